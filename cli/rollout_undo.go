package cli

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/spf13/cobra"
)

type rolloutUndoCmd struct {
	g          *globals
	toRevision int64
}

func newRolloutUndoCommand(g *globals) *cobra.Command {
	o := &rolloutUndoCmd{g: g}
	cmd := &cobra.Command{
		Use:   "undo deployment/NAME [--to-revision N]",
		Short: "Roll a deployment back to its previous revision, or to --to-revision",
		RunE:  o.run,
	}
	cmd.Flags().Int64Var(&o.toRevision, "to-revision", 0, "the revision to go back to (0: the previous one)")
	return cmd
}

func (o *rolloutUndoCmd) run(cmd *cobra.Command, args []string) error {
	ref, err := o.g.parseWorkload(args, "rollout undo", "Deployment")
	if err != nil {
		return err
	}
	if o.toRevision < 0 {
		return fmt.Errorf("%w: --to-revision must be 0 or more, not %d", ErrUsage, o.toRevision)
	}
	c, err := o.g.client(cmd)
	if err != nil {
		return err
	}
	dep, revs, err := deploymentRevisions(cmd.Context(), c, ref)
	if err != nil {
		return err
	}
	target, err := pickRevision(revs, o.toRevision, ref.name)
	if err != nil {
		return err
	}
	template, err := templateOfRevision(target.rs)
	if err != nil {
		return err
	}
	uid := dep.str("metadata", "uid")
	_, changed, err := editObject(cmd.Context(), c, ref.res, ref.ns, ref.name, func(u fields) error {
		if u.str("metadata", "uid") != uid {
			return fmt.Errorf("%w: %s was replaced while rolling back", ErrPrecondition, ref.qualified)
		}
		if u.boolean("spec", "paused") {
			return worded(ErrPrecondition, "you cannot rollback a paused deployment; resume it first with "+
				"'berth rollout resume deployment/%s' and try again", ref.name)
		}
		if reflect.DeepEqual(map[string]any(u.obj("spec", "template")), template) {
			return errUnchanged
		}
		u.set(template, "spec", "template")
		if cause := target.rs.str("metadata", "annotations", changeCauseAnnotation); cause != "" {
			u.set(cause, "metadata", "annotations", changeCauseAnnotation)
		} else {
			u.unset("metadata", "annotations", changeCauseAnnotation)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !changed {
		fmt.Fprintf(printer(cmd), "%s skipped rollback (current template already matches revision %d)\n",
			ref.qualified, target.number)
		return nil
	}
	fmt.Fprintf(printer(cmd), "%s rolled back\n", ref.qualified)
	return nil
}

// pickRevision finds revision want, or for 0 the one before the newest, as kubectl does.
func pickRevision(revs []revision, want int64, name string) (revision, error) {
	if want == 0 {
		if len(revs) < 2 {
			return revision{}, worded(ErrNoRevision, "no rollout history found for deployment %q", name)
		}
		return revs[len(revs)-2], nil
	}
	for _, r := range revs {
		if r.number == want {
			return r, nil
		}
	}
	return revision{}, worded(ErrNoRevision, "unable to find specified revision %d in history", want)
}

// templateOfRevision is a deep copy of a ReplicaSet's pod template without the
// pod-template-hash label, which belongs to the ReplicaSet, not to the deployment.
func templateOfRevision(rs fields) (map[string]any, error) {
	data, err := json.Marshal(rs.obj("spec", "template"))
	if err != nil {
		return nil, fmt.Errorf("cli: encode pod template: %w", err)
	}
	var t fields
	if err := json.Unmarshal(data, &t); err != nil || t == nil {
		return nil, fmt.Errorf("%w: replicaset %q has no pod template", ErrNoRevision, rs.name())
	}
	t.unset("metadata", "labels", podTemplateHashLabel)
	return t, nil
}
