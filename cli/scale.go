package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

type scaleCmd struct {
	g               *globals
	replicas        int32
	currentReplicas int32
	resourceVersion string
}

func newScaleCommand(g *globals) *cobra.Command {
	o := &scaleCmd{g: g}
	cmd := &cobra.Command{
		Use:   "scale deployment/NAME... | replicaset/NAME... | statefulset/NAME... --replicas N",
		Short: "Set the number of replicas of a deployment, replicaset or statefulset",
		Long: "Set spec.replicas. With --current-replicas or --resource-version the change is\n" +
			"made only if the object still matches, checked against the copy that is written.",
		RunE: o.run,
	}
	f := cmd.Flags()
	f.Int32Var(&o.replicas, "replicas", -1, "the new number of replicas")
	f.Int32Var(&o.currentReplicas, "current-replicas", -1, "scale only if spec.replicas is this now (-1: any)")
	f.StringVar(&o.resourceVersion, "resource-version", "", "scale only if the object is at this resourceVersion")
	return cmd
}

func (o *scaleCmd) run(cmd *cobra.Command, args []string) error {
	if o.replicas < 0 {
		return fmt.Errorf("%w: --replicas=COUNT is required, and COUNT must be 0 or more", ErrUsage)
	}
	refs, err := o.g.parseWorkloads(args, "scale", "Deployment", "ReplicaSet", "StatefulSet")
	if err != nil {
		return err
	}
	c, err := o.g.client(cmd)
	if err != nil {
		return err
	}
	for _, ref := range refs {
		_, _, err := editObject(cmd.Context(), c, ref.res, ref.ns, ref.name, func(u fields) error {
			if o.resourceVersion != "" && u.str("metadata", "resourceVersion") != o.resourceVersion {
				return worded(ErrPrecondition, "Expected resourceVersion to be %s, was %s",
					o.resourceVersion, u.str("metadata", "resourceVersion"))
			}
			if cur := desiredReplicas(u); o.currentReplicas >= 0 && cur != int64(o.currentReplicas) {
				return worded(ErrPrecondition, "Expected replicas to be %d, was %d", o.currentReplicas, cur)
			}
			if u.has("spec", "replicas") && desiredReplicas(u) == int64(o.replicas) {
				return errUnchanged
			}
			u.set(o.replicas, "spec", "replicas")
			return nil
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(printer(cmd), "%s scaled\n", ref.qualified)
	}
	return nil
}
