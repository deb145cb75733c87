package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/spf13/cobra"
)

// The annotations a deployment's history is told by, with Kubernetes' names.
const (
	revisionAnnotation    = "deployment.kubernetes.io/revision"
	changeCauseAnnotation = "kubernetes.io/change-cause"
	podTemplateHashLabel  = "pod-template-hash"
)

// revision is one ReplicaSet of a deployment, numbered by its revision annotation.
type revision struct {
	number int64
	rs     fields
}

// deploymentRevisions reads a deployment and the ReplicaSets it owns (by uid, in its
// ownerReferences) that carry a revision, oldest first.
func deploymentRevisions(ctx context.Context, c *api.Client, ref workloadRef) (fields, []revision, error) {
	obj, err := c.Get(ctx, ref.res, ref.ns, ref.name, api.GetOptions{Consistent: true})
	if err != nil {
		return nil, nil, err
	}
	dep, err := newItem(ref.res, obj)
	if err != nil {
		return nil, nil, err
	}
	rsRes, err := resolveKind("replicasets")
	if err != nil {
		return nil, nil, err
	}
	// Ownership decides, not the selector: a ReplicaSet's own labels need not match it.
	l, err := c.List(ctx, rsRes, ref.ns, api.ListOptions{Consistent: true})
	if err != nil {
		return nil, nil, err
	}
	sets, err := itemsOf(rsRes, l)
	if err != nil {
		return nil, nil, err
	}
	uid := dep.u.str("metadata", "uid")
	var revs []revision
	for _, rs := range sets {
		if !ownedBy(rs.u, uid) {
			continue
		}
		n, err := strconv.ParseInt(rs.u.str("metadata", "annotations", revisionAnnotation), 10, 64)
		if err != nil || n <= 0 {
			continue
		}
		revs = append(revs, revision{number: n, rs: rs.u})
	}
	sort.Slice(revs, func(i, j int) bool { return revs[i].number < revs[j].number })
	return dep.u, revs, nil
}

// ownedBy says whether one of u's ownerReferences names uid.
func ownedBy(u fields, uid string) bool {
	if uid == "" {
		return false
	}
	for _, ref := range u.list("metadata", "ownerReferences") {
		if ref.str("uid") == uid {
			return true
		}
	}
	return false
}

type rolloutHistoryCmd struct {
	g        *globals
	revision int64
}

func newRolloutHistoryCommand(g *globals) *cobra.Command {
	o := &rolloutHistoryCmd{g: g}
	cmd := &cobra.Command{
		Use:   "history deployment/NAME",
		Short: "List a deployment's revisions, or show one with --revision",
		RunE:  o.run,
	}
	cmd.Flags().Int64Var(&o.revision, "revision", 0, "show the pod template of this revision")
	return cmd
}

func (o *rolloutHistoryCmd) run(cmd *cobra.Command, args []string) error {
	ref, err := o.g.parseWorkload(args, "rollout history", "Deployment")
	if err != nil {
		return err
	}
	c, err := o.g.client(cmd)
	if err != nil {
		return err
	}
	_, revs, err := deploymentRevisions(cmd.Context(), c, ref)
	if err != nil {
		return err
	}
	w := printer(cmd)
	if o.revision > 0 {
		for _, r := range revs {
			if r.number == o.revision {
				fmt.Fprintf(w, "%s with revision #%d\n", ref.qualified, r.number)
				return printRevisionTemplate(w, r.rs)
			}
		}
		return fmt.Errorf("%w: unable to find the specified revision %d", ErrNoRevision, o.revision)
	}
	if len(revs) == 0 {
		fmt.Fprintln(w, "No rollout history found.")
		return nil
	}
	fmt.Fprintln(w, ref.qualified)
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "REVISION\tCHANGE-CAUSE")
	for _, r := range revs {
		fmt.Fprintf(tw, "%d\t%s\n", r.number, cell(orNone(r.rs.str("metadata", "annotations", changeCauseAnnotation))))
	}
	return tw.Flush()
}

// printRevisionTemplate prints a revision's pod template as describe does.
func printRevisionTemplate(w io.Writer, rs fields) error {
	d := &describer{w: w, tw: tabwriter.NewWriter(w, 0, 8, 2, ' ', 0), now: time.Now()}
	describeTemplate(d, rs)
	return d.tw.Flush()
}
