package controller

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/berth-dev/berth/api"
)

// dsNode is one node as a sync sees it.
type dsNode struct {
	node                      *api.Node
	shouldRun, shouldContinue bool
	pods                      []*api.Pod // the set's pods for it, oldest first
}

// dsState is one sync's view of a DaemonSet.
type dsState struct {
	ds      *api.DaemonSet
	hash    string
	nodes   []*dsNode
	strays  []*api.Pod // pods for nodes that do not exist
	now     time.Time
	requeue time.Duration
}

// sync reconciles one DaemonSet; key is "namespace/name".
func (c *DaemonSetController) sync(ctx context.Context, key string) error {
	stored, ok := lookup[*api.DaemonSet](c.env.Store, c.dsRes, key)
	if !ok || stored.DeletionTimestamp != nil {
		return nil
	}
	ds := api.DeepCopy(stored).(*api.DaemonSet)
	sel, err := ds.Spec.Selector.AsSelector()
	if err != nil {
		c.event(ds, "Warning", "InvalidSelector", fmt.Sprintf("invalid selector: %v", err))
		return nil
	}
	pods := podsControlledBy(c.env.Store, c.podRes, ds.UID)
	adopted, err := c.adopt(ctx, ds, sel)
	pods = append(pods, adopted...)
	st := c.newState(ds, pods)
	errs := []error{err, c.manage(ctx, st)}
	if ds.Spec.UpdateStrategy.Type != api.OnDeleteDaemonSetStrategyType {
		errs = append(errs, c.rollingUpdate(ctx, st))
	}
	errs = append(errs, c.updateStatus(ctx, st))
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if st.requeue > 0 {
		c.queue.AddAfter(key, st.requeue)
	}
	return nil
}

// adopt makes this set the controller of the orphans it selects (pods left by a set
// deleted with propagationPolicy Orphan, say), so it rolls them instead of doubling
// them.
func (c *DaemonSetController) adopt(ctx context.Context, ds *api.DaemonSet, sel api.Selector) ([]*api.Pod, error) {
	var out []*api.Pod
	var errs []error
	for _, name := range c.orphans.list(ds.Namespace, ds.Spec.Selector) {
		rec, ok := c.env.Store.Get(c.podRes, ds.Namespace, name)
		if !ok {
			continue
		}
		p := api.DeepCopy(rec.Object).(*api.Pod)
		if ControllerOf(p) != nil || podIsTerminating(p) || len(p.Labels) == 0 || !sel.Matches(p.Labels) {
			continue
		}
		p.OwnerReferences = append(p.OwnerReferences, NewControllerRef(ds))
		updated, err := c.env.Writer.Update(ctx, p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, updated.(*api.Pod))
	}
	return out, errors.Join(errs...)
}

func (c *DaemonSetController) newState(ds *api.DaemonSet, pods []*api.Pod) *dsState {
	st := &dsState{ds: ds, hash: podTemplateRevision(&ds.Spec.Template), now: c.now()}
	byNode := map[string][]*api.Pod{}
	for _, p := range pods {
		byNode[dsTargetNode(p)] = append(byNode[dsTargetNode(p)], p)
	}
	spec := &ds.Spec.Template.Spec
	tols := dsWithDaemonTolerations(spec.Tolerations, spec.HostNetwork)
	recs, _ := c.env.Store.List(c.nodeRes, "")
	for _, r := range recs {
		n, ok := r.Object.(*api.Node)
		if !ok {
			continue
		}
		dn := &dsNode{node: n, pods: byNode[n.Name]}
		dn.shouldRun, dn.shouldContinue = dsShouldRun(ds, tols, n)
		sort.SliceStable(dn.pods, func(i, j int) bool { return podCreatedBefore(dn.pods[i], dn.pods[j]) })
		st.nodes = append(st.nodes, dn)
		delete(byNode, n.Name)
	}
	for _, ps := range byNode {
		st.strays = append(st.strays, ps...)
	}
	return st
}

func podCreatedBefore(a, b *api.Pod) bool {
	var ta, tb time.Time
	if a.CreationTimestamp != nil {
		ta = a.CreationTimestamp.Time
	}
	if b.CreationTimestamp != nil {
		tb = b.CreationTimestamp.Time
	}
	if !ta.Equal(tb) {
		return ta.Before(tb)
	}
	return a.Name < b.Name
}

// surge is the rolling update's maxSurge in nodes (0 under OnDelete).
func (st *dsState) surge() int {
	us := st.ds.Spec.UpdateStrategy
	if us.Type == api.OnDeleteDaemonSetStrategyType || us.RollingUpdate == nil || us.RollingUpdate.MaxSurge == nil {
		return 0
	}
	n, err := us.RollingUpdate.MaxSurge.ScaledValue(st.desired(), true)
	if err != nil {
		return 0
	}
	return n
}

func (st *dsState) desired() int {
	n := 0
	for _, dn := range st.nodes {
		if dn.shouldRun {
			n++
		}
	}
	return n
}

// manage is Kubernetes' podsShouldBeOnNode for every node: a pod where one should
// run and none exists (a terminating one still counts: a daemon's host ports are
// not freed until it is gone), failed pods deleted for replacement, duplicates
// deleted, pods deleted from nodes that must not run them.
func (c *DaemonSetController) manage(ctx context.Context, st *dsState) error {
	var errs []error
	surging := st.surge() > 0
	for _, dn := range st.nodes {
		var live []*api.Pod
		for _, p := range dn.pods {
			switch {
			case podIsTerminating(p):
			case podIsTerminal(p):
				if dn.shouldRun {
					c.event(st.ds, "Warning", "FailedDaemonPod", fmt.Sprintf(
						"Found failed daemon pod %s/%s on node %s, will try to kill it", p.Namespace, p.Name, dn.node.Name))
				}
				errs = append(errs, c.deletePod(ctx, st.ds, p, nil))
			default:
				live = append(live, p)
			}
		}
		switch {
		case dn.shouldRun && len(dn.pods) == 0:
			errs = append(errs, c.createPod(ctx, st.ds, dn.node.Name, st.hash))
		case dn.shouldRun || (dn.shouldContinue && len(live) > 0):
			for _, p := range dsDuplicates(live, st.hash, surging) {
				errs = append(errs, c.deletePod(ctx, st.ds, p, nil))
			}
		default:
			for _, p := range live {
				errs = append(errs, c.deletePod(ctx, st.ds, p, nil))
			}
		}
	}
	zero := int64(0)
	for _, p := range st.strays {
		// No node, no agent to confirm a graceful delete: remove it at once.
		errs = append(errs, c.deletePod(ctx, st.ds, p, &zero))
	}
	return errors.Join(errs...)
}

// dsDuplicates are the live pods of one node beyond the one it should run (oldest
// first kept); while surging, the oldest old and the oldest updated pod both stay.
func dsDuplicates(live []*api.Pod, hash string, surging bool) []*api.Pod {
	if len(live) <= 1 {
		return nil
	}
	if !surging {
		return live[1:]
	}
	var out []*api.Pod
	keptOld, keptNew := false, false
	for _, p := range live {
		updated := p.Labels[api.ControllerRevisionHashLabel] == hash
		switch {
		case updated && !keptNew:
			keptNew = true
		case !updated && !keptOld:
			keptOld = true
		default:
			out = append(out, p)
		}
	}
	return out
}

func (c *DaemonSetController) createPod(ctx context.Context, ds *api.DaemonSet, node, hash string) error {
	created, err := c.env.Writer.Create(ctx, dsNewPod(ds, node, hash))
	if err != nil {
		c.event(ds, "Warning", "FailedCreate", fmt.Sprintf("Error creating: %v", err))
		return err
	}
	c.event(ds, "Normal", "SuccessfulCreate", "Created pod: "+created.GetObjectMeta().Name)
	return nil
}

func (c *DaemonSetController) deletePod(ctx context.Context, ds *api.DaemonSet, p *api.Pod, grace *int64) error {
	err := c.env.Writer.Delete(ctx, c.podRes, p.Namespace, p.Name, DeleteOptions{UID: p.UID, GracePeriodSeconds: grace})
	switch {
	case err == nil:
		c.event(ds, "Normal", "SuccessfulDelete", "Deleted pod: "+p.Name)
		return nil
	case api.ReasonOf(err) == api.ReasonNotFound:
		return nil
	default:
		c.event(ds, "Warning", "FailedDelete", fmt.Sprintf("Error deleting: %v", err))
		return err
	}
}
