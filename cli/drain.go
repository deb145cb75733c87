package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/spf13/cobra"
)

type drainCmd struct {
	g                *globals
	ignoreDaemonSets bool
	deleteEmptyDir   bool
	force            bool
	gracePeriod      int
	timeout          time.Duration
	poll             time.Duration
}

func newDrainCommand(g *globals) *cobra.Command {
	o := &drainCmd{g: g}
	cmd := &cobra.Command{
		Use:   "drain NODE",
		Short: "Cordon a node, then evict its pods",
		Long: "Cordon a node, then evict its pods, waiting until they are gone. DaemonSet pods,\n" +
			"pods no controller recreates and pods with emptyDir data are refused unless the\n" +
			"matching flag allows them. Pods of a Deployment go at most maxUnavailable at a\n" +
			"time: the next ones wait until the replacements of the evicted ones are ready.",
		Args: cobra.ExactArgs(1),
		RunE: o.run,
	}
	f := cmd.Flags()
	f.BoolVar(&o.ignoreDaemonSets, "ignore-daemonsets", false, "leave DaemonSet-managed pods in place instead of failing")
	f.BoolVar(&o.deleteEmptyDir, "delete-emptydir-data", false, "evict pods with emptyDir volumes (their data is lost)")
	f.BoolVar(&o.force, "force", false, "evict pods that no controller recreates too")
	f.IntVar(&o.gracePeriod, "grace-period", -1, "seconds each pod gets to stop (-1: the pod's own)")
	f.DurationVar(&o.timeout, "timeout", 0, "how long to wait before giving up (0: forever)")
	f.DurationVar(&o.poll, "poll-interval", 500*time.Millisecond, "how often to check on evicted pods and their replacements")
	_ = f.MarkHidden("poll-interval")
	return cmd
}

func (o *drainCmd) run(cmd *cobra.Command, args []string) error {
	node := args[0]
	if o.poll <= 0 {
		return fmt.Errorf("%w: --poll-interval must be positive", ErrUsage)
	}
	c, err := o.g.client(cmd)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	if err := cordon(ctx, c, printer(cmd), node, true); err != nil {
		return err
	}
	podRes, err := resolveKind("pods")
	if err != nil {
		return err
	}
	l, err := c.List(ctx, podRes, "", api.ListOptions{FieldSelector: "spec.nodeName=" + node, Consistent: true})
	if err != nil {
		return err
	}
	pods, err := itemsOf(podRes, l)
	if err != nil {
		return err
	}
	victims, warnings, problems := o.sortPods(pods)
	for _, w := range warnings {
		fmt.Fprintf(cmd.ErrOrStderr(), "Warning: %s\n", w)
	}
	if len(problems) > 0 {
		return worded(ErrDrain, "unable to drain node %q: %s", node, strings.Join(problems, "; "))
	}
	e := &evictor{c: c, podRes: podRes, node: node, w: printer(cmd), poll: o.poll}
	if o.gracePeriod >= 0 {
		grace := int64(o.gracePeriod)
		e.grace = &grace
	}
	if err := e.pace(ctx, victims); err != nil {
		return err
	}
	err = e.evict(ctx, victims)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && cmd.Context().Err() == nil {
		return worded(ErrDrain, "unable to drain node %q: global timeout reached: %v (pods left: %s)",
			node, o.timeout, strings.Join(e.left(victims), ", "))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(printer(cmd), "node/%s drained\n", node)
	return nil
}

// The reasons drain refuses or warns about a pod, in kubectl's words.
const (
	daemonSetFatal    = "DaemonSet-managed Pods (use --ignore-daemonsets to ignore)"
	daemonSetWarning  = "ignoring DaemonSet-managed Pods"
	localStorageFatal = "Pods with local storage (use --delete-emptydir-data to override)"
	localStorageWarn  = "deleting Pods with local storage"
	unmanagedFatal    = "Pods that declare no controller (use --force to override)"
	unmanagedWarning  = "deleting Pods that declare no controller"
)

// sortPods decides, pod by pod and in kubectl's order of checks, which pods to evict,
// which to leave with a warning and which make the drain fail. Finished pods
// (Succeeded or Failed) are always evicted: nothing is lost with them.
func (o *drainCmd) sortPods(pods []item) (victims []*drainPod, warnings, problems []string) {
	fatal, warn := map[string][]string{}, map[string][]string{}
	var fatalOrder, warnOrder []string
	note := func(m map[string][]string, order *[]string, msg, pod string) {
		if _, ok := m[msg]; !ok {
			*order = append(*order, msg)
		}
		m[msg] = append(m[msg], pod)
	}
	for _, p := range pods {
		u := p.u
		id := u.namespace() + "/" + u.name()
		phase := u.str("status", "phase")
		finished := phase == "Succeeded" || phase == "Failed"
		ctrl := controllerOf(u)
		if ctrl != nil && ctrl.str("kind") == "DaemonSet" && !finished {
			if o.ignoreDaemonSets {
				note(warn, &warnOrder, daemonSetWarning, id)
			} else {
				note(fatal, &fatalOrder, daemonSetFatal, id)
			}
			continue
		}
		if hasEmptyDir(u) && !finished {
			if !o.deleteEmptyDir {
				note(fatal, &fatalOrder, localStorageFatal, id)
				continue
			}
			note(warn, &warnOrder, localStorageWarn, id)
		}
		if ctrl == nil && !finished {
			if !o.force {
				note(fatal, &fatalOrder, unmanagedFatal, id)
				continue
			}
			note(warn, &warnOrder, unmanagedWarning, id)
		}
		victims = append(victims, &drainPod{u: u})
	}
	for _, msg := range fatalOrder {
		problems = append(problems, fmt.Sprintf("cannot delete %s: %s", msg, strings.Join(fatal[msg], ", ")))
	}
	for _, msg := range warnOrder {
		warnings = append(warnings, fmt.Sprintf("%s: %s", msg, strings.Join(warn[msg], ", ")))
	}
	return victims, warnings, problems
}

// controllerOf is the ownerReference marked controller, nil when there is none.
func controllerOf(u fields) fields {
	for _, ref := range u.list("metadata", "ownerReferences") {
		if ref.boolean("controller") {
			return ref
		}
	}
	return nil
}

func hasEmptyDir(u fields) bool {
	for _, v := range u.list("spec", "volumes") {
		if v.has("emptyDir") {
			return true
		}
	}
	return false
}

// podReady says the pod's Ready condition is True and it is not being deleted.
func podReady(u fields) bool {
	if u.has("metadata", "deletionTimestamp") {
		return false
	}
	for _, c := range u.list("status", "conditions") {
		if c.str("type") == api.PodReady {
			return c.str("status") == "True"
		}
	}
	return false
}
