package controller

import (
	"context"
	"errors"
	"reflect"

	"github.com/berth-dev/berth/api"
)

// dsSplit returns a node's live old and updated pod; ok is false when the node has
// more than one of either (manage removes the extra first) and is skipped.
func dsSplit(dn *dsNode, hash string) (oldPod, newPod *api.Pod, ok bool) {
	for _, p := range dn.pods {
		if podIsTerminating(p) || podIsTerminal(p) {
			continue
		}
		if p.Labels[api.ControllerRevisionHashLabel] == hash {
			if newPod != nil {
				return nil, nil, false
			}
			newPod = p
		} else {
			if oldPod != nil {
				return nil, nil, false
			}
			oldPod = p
		}
	}
	return oldPod, newPod, true
}

// available reports a pod ready for minReadySeconds, and arranges a later sync
// when it will be.
func (st *dsState) available(p *api.Pod) bool {
	ok, wait := podAvailableAt(p, st.ds.Spec.MinReadySeconds, st.now)
	if !ok && wait > 0 && (st.requeue == 0 || wait < st.requeue) {
		st.requeue = wait
	}
	return ok
}

// rollingUpdate is Kubernetes' rollingUpdate for DaemonSets. Without surge it
// deletes old pods (their nodes get new ones from manage) while at most
// maxUnavailable nodes lack an available pod; an old pod that is not available
// anyway is replaced at once. With surge it starts new pods beside old ones on at
// most maxSurge nodes at a time, and deletes an old pod once its node's new pod is
// available.
func (c *DaemonSetController) rollingUpdate(ctx context.Context, st *dsState) error {
	if surge := st.surge(); surge > 0 {
		return c.surgeUpdate(ctx, st, surge)
	}
	maxUnavailable := 1
	if ru := st.ds.Spec.UpdateStrategy.RollingUpdate; ru != nil && ru.MaxUnavailable != nil {
		if n, err := ru.MaxUnavailable.ScaledValue(st.desired(), true); err == nil {
			maxUnavailable = n
		}
	}
	unavailable := 0
	var replace, candidates []*api.Pod
	for _, dn := range st.nodes {
		if !dn.shouldRun {
			continue
		}
		oldPod, newPod, ok := dsSplit(dn, st.hash)
		if !ok {
			continue
		}
		switch {
		case oldPod == nil && newPod == nil, oldPod != nil && newPod != nil:
			unavailable++ // manage creates or deletes here; count it as down
		case newPod != nil:
			if !st.available(newPod) {
				unavailable++
			}
		case !st.available(oldPod):
			replace = append(replace, oldPod)
		case unavailable < maxUnavailable:
			candidates = append(candidates, oldPod)
		}
	}
	n := min(max(maxUnavailable-unavailable, 0), len(candidates))
	var errs []error
	for _, p := range append(replace, candidates[:n]...) {
		errs = append(errs, c.deletePod(ctx, st.ds, p, nil))
	}
	return errors.Join(errs...)
}

func (c *DaemonSetController) surgeUpdate(ctx context.Context, st *dsState, maxSurge int) error {
	surging := 0
	var allowed, candidates []string
	var oldToDelete []*api.Pod
	for _, dn := range st.nodes {
		if !dn.shouldRun {
			continue
		}
		oldPod, newPod, ok := dsSplit(dn, st.hash)
		switch {
		case !ok, oldPod == nil:
		case newPod == nil:
			switch {
			case !st.available(oldPod):
				allowed = append(allowed, dn.node.Name)
			case surging < maxSurge:
				candidates = append(candidates, dn.node.Name)
			}
		case !st.available(newPod):
			surging++
		default:
			oldToDelete = append(oldToDelete, oldPod)
		}
	}
	n := min(max(maxSurge-surging, 0), len(candidates))
	var errs []error
	for _, node := range append(allowed, candidates[:n]...) {
		errs = append(errs, c.createPod(ctx, st.ds, node, st.hash))
	}
	for _, p := range oldToDelete {
		errs = append(errs, c.deletePod(ctx, st.ds, p, nil))
	}
	return errors.Join(errs...)
}

// updateStatus writes the set's status, counted in nodes as Kubernetes counts it,
// when it changed.
func (c *DaemonSetController) updateStatus(ctx context.Context, st *dsState) error {
	ds := st.ds
	s := api.DaemonSetStatus{
		ObservedGeneration: ds.Generation,
		CollisionCount:     ds.Status.CollisionCount, Conditions: ds.Status.Conditions,
	}
	for _, dn := range st.nodes {
		var pod *api.Pod // the pod that speaks for the node: the updated one if any
		for _, p := range dn.pods {
			if podIsTerminating(p) {
				continue
			}
			if pod == nil || p.Labels[api.ControllerRevisionHashLabel] == st.hash {
				pod = p
			}
		}
		switch {
		case dn.shouldRun:
			s.DesiredNumberScheduled++
			if pod == nil {
				continue
			}
			s.CurrentNumberScheduled++
			if podIsReady(pod) {
				s.NumberReady++
				if st.available(pod) {
					s.NumberAvailable++
				}
			}
			if pod.Labels[api.ControllerRevisionHashLabel] == st.hash {
				s.UpdatedNumberScheduled++
			}
		case pod != nil:
			s.NumberMisscheduled++
		}
	}
	s.NumberUnavailable = max(s.DesiredNumberScheduled-s.NumberAvailable, 0)
	if reflect.DeepEqual(s, ds.Status) {
		return nil
	}
	next := api.DeepCopy(ds).(*api.DaemonSet)
	next.Status = s
	_, err := c.env.Writer.UpdateStatus(ctx, next)
	return err
}
