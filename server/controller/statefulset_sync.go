package controller

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/berth-dev/berth/api"
)

// stsState is one sync's view of a set: its pods by slot, the ones to remove, the
// revisions and the volume record.
type stsState struct {
	set       *api.StatefulSet
	slots     []*api.Pod // slots[i] is the pod of ordinal start+i, or nil
	condemned []*api.Pod // pods of ordinals beyond the replica count, highest first
	start     int
	update    string // the revision of the current template
	current   string // the revision every pod had before the update began
	updateTpl *api.PodTemplateSpec
	place     *stsPlacement
	now       time.Time
	// requeue is set when a pod becomes available later: sync again then.
	requeue time.Duration
}

// sync reconciles one StatefulSet; key is "namespace/name".
func (c *StatefulSetController) sync(ctx context.Context, key string) error {
	stored, ok := lookup[*api.StatefulSet](c.env.Store, c.stsRes, key)
	if !ok || stored.DeletionTimestamp != nil {
		return nil // the garbage collector takes the pods with it
	}
	set := api.DeepCopy(stored).(*api.StatefulSet)
	st := c.newState(set)
	if err := c.ensureRevision(ctx, st); err != nil {
		return err
	}
	for _, group := range [][]*api.Pod{st.slots, st.condemned} {
		for _, p := range group {
			if p != nil {
				st.place.observe(p)
			}
		}
	}
	actErr := c.act(ctx, st)
	if err := c.savePlacement(ctx, set, st.place); err != nil {
		actErr = errors.Join(actErr, err)
	}
	if err := c.updateStatus(ctx, st); err != nil {
		actErr = errors.Join(actErr, err)
	}
	if actErr == nil && st.requeue > 0 {
		c.queue.AddAfter(key, st.requeue)
	}
	return actErr
}

func (c *StatefulSetController) newState(set *api.StatefulSet) *stsState {
	st := &stsState{set: set, start: stsStart(set), now: c.now(), updateTpl: &set.Spec.Template}
	st.update = stsRevisionName(set, &set.Spec.Template)
	st.current = set.Status.CurrentRevision
	if st.current == "" {
		st.current = st.update
	}
	replicas := stsReplicas(set)
	st.slots = make([]*api.Pod, replicas)
	for _, p := range podsControlledBy(c.env.Store, c.podRes, set.UID) {
		ord, ok := stsOrdinal(set, p.Name)
		if !ok {
			continue // not a name this set makes: Kubernetes ignores it too
		}
		if i := ord - st.start; i >= 0 && i < replicas {
			st.slots[i] = p
		} else {
			st.condemned = append(st.condemned, p)
		}
	}
	sort.Slice(st.condemned, func(i, j int) bool {
		a, _ := stsOrdinal(set, st.condemned[i].Name)
		b, _ := stsOrdinal(set, st.condemned[j].Name)
		return a > b
	})
	st.place = c.loadPlacement(set)
	return st
}

// act is Kubernetes' updateStatefulSet: make the missing pods and replace the
// failed ones, then remove the condemned, then roll the template, each in the order
// and with the waiting the pod management policy asks for. It returns early where
// OrderedReady must wait; the pod events of what it waits for sync it again.
func (c *StatefulSetController) act(ctx context.Context, st *stsState) error {
	set := st.set
	ordered := set.Spec.PodManagementPolicy != api.ParallelPodManagement
	var errs []error
	for i, p := range st.slots {
		ord := st.start + i
		switch {
		case p == nil:
			if err := c.createPod(ctx, st, ord); err != nil {
				if ordered {
					return err
				}
				errs = append(errs, err)
			}
			if ordered {
				return errors.Join(errs...)
			}
			continue
		case podIsTerminal(p) && !podIsTerminating(p):
			// A finished pod of a set is a failed replica: delete it, and the next
			// sync (its deletion's event) makes it again under the same name.
			c.event(set, "Warning", "RecreatingFailedPod", fmt.Sprintf(
				"StatefulSet %s/%s is recreating %s Pod %s", set.Namespace, set.Name, p.Status.Phase, p.Name))
			if err := c.deletePod(ctx, set, p); err != nil {
				errs = append(errs, err)
			}
			if ordered {
				return errors.Join(errs...)
			}
			continue
		}
		if ordered && !c.healthy(st, p) {
			return errors.Join(errs...) // wait for it (terminating, pending or not ready)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if done, err := c.scaleDown(ctx, st, ordered); done || err != nil {
		return err
	}
	return c.rollingUpdate(ctx, st)
}

// healthy is running, ready for minReadySeconds and not terminating; a pod that
// will be available later makes the sync come back then.
func (c *StatefulSetController) healthy(st *stsState, p *api.Pod) bool {
	if podIsTerminating(p) {
		return false
	}
	ok, wait := podAvailableAt(p, st.set.Spec.MinReadySeconds, st.now)
	if !ok && wait > 0 && (st.requeue == 0 || wait < st.requeue) {
		st.requeue = wait
	}
	return ok
}

// scaleDown deletes the condemned pods from the highest ordinal: OrderedReady one at
// a time and only while every other pod is healthy, Parallel all at once. done is
// true when the sync must stop here (OrderedReady waiting).
func (c *StatefulSetController) scaleDown(ctx context.Context, st *stsState, ordered bool) (done bool, err error) {
	set := st.set
	var errs []error
	for i, p := range st.condemned {
		if podIsTerminating(p) {
			if ordered {
				return true, nil
			}
			continue
		}
		if ordered && !c.othersHealthy(st, st.condemned[i+1:]) {
			return true, nil
		}
		if err := c.deletePod(ctx, set, p); err != nil {
			errs = append(errs, err)
		}
		if stsWhenScaledDelete(set) {
			st.place.forget(p.Name)
		}
		if ordered {
			return true, errors.Join(errs...)
		}
	}
	if stsWhenScaledDelete(set) {
		c.forgetScaledAway(st)
	}
	return false, errors.Join(errs...)
}

// othersHealthy: every pod in the replica slots and the lower condemned ones is
// healthy, the precondition of an ordered scale-down step.
func (c *StatefulSetController) othersHealthy(st *stsState, lower []*api.Pod) bool {
	for _, p := range st.slots {
		if p == nil || !c.healthy(st, p) {
			return false
		}
	}
	for _, p := range lower {
		if !c.healthy(st, p) {
			return false
		}
	}
	return true
}

// forgetScaledAway drops the volume records of ordinals above the replica count
// whose pods are gone (whenScaled Delete).
func (c *StatefulSetController) forgetScaledAway(st *stsState) {
	live := map[string]bool{}
	for _, p := range st.condemned {
		live[p.Name] = true
	}
	for name := range st.place.nodes {
		ord, ok := stsOrdinal(st.set, name)
		if ok && (ord < st.start || ord >= st.start+len(st.slots)) && !live[name] {
			st.place.forget(name)
		}
	}
}

// rollingUpdate replaces the pods not at the update revision from the highest
// ordinal down to the partition, keeping at most maxUnavailable (default 1) of
// those ordinals unhealthy: with 1, it deletes one outdated pod and waits until its
// replacement is healthy before the next, as Kubernetes does.
func (c *StatefulSetController) rollingUpdate(ctx context.Context, st *stsState) error {
	set := st.set
	us := set.Spec.UpdateStrategy
	if us.Type == api.OnDeleteStatefulSetStrategyType {
		return nil
	}
	partition, budget := 0, 1
	if ru := us.RollingUpdate; ru != nil {
		if ru.Partition != nil {
			partition = int(*ru.Partition)
		}
		if ru.MaxUnavailable != nil {
			if n, err := ru.MaxUnavailable.ScaledValue(len(st.slots), false); err == nil {
				budget = max(n, 1)
			}
		}
	}
	for i := len(st.slots) - 1; i >= partition; i-- {
		p := st.slots[i]
		if p == nil {
			budget--
		} else if stsPodRevision(p) != st.update && !podIsTerminating(p) {
			c.event(set, "Normal", "RollingUpdate", fmt.Sprintf("updating Pod %s to revision %s", p.Name, st.update))
			if err := c.deletePod(ctx, set, p); err != nil {
				return err
			}
			budget--
		} else if !c.healthy(st, p) {
			budget--
		}
		if budget <= 0 {
			return nil
		}
	}
	return nil
}

// createPod makes ordinal's pod at the revision Kubernetes would: the current one
// below the partition while an update is in progress, the update one otherwise.
func (c *StatefulSetController) createPod(ctx context.Context, st *stsState, ord int) error {
	set := st.set
	tpl, rev := st.updateTpl, st.update
	if st.current != st.update && set.Spec.UpdateStrategy.Type != api.OnDeleteStatefulSetStrategyType &&
		ord < st.start+stsPartition(set) {
		if cur := c.revisionTemplate(set, st.current); cur != nil {
			tpl, rev = cur, st.current
		}
	}
	name := stsPodName(set, ord)
	pod := stsNewPod(set, tpl, rev, ord, c.nodeFor(set, st.place, name))
	_, err := c.env.Writer.Create(ctx, pod)
	switch {
	case err == nil:
		c.event(set, "Normal", "SuccessfulCreate", fmt.Sprintf("create Pod %s in StatefulSet %s successful", name, set.Name))
		return nil
	case api.ReasonOf(err) == api.ReasonAlreadyExists:
		return c.adoptByName(ctx, st, name)
	default:
		c.event(set, "Warning", "FailedCreate", fmt.Sprintf("create Pod %s in StatefulSet %s failed error: %v", name, set.Name, err))
		return err
	}
}

func stsPartition(set *api.StatefulSet) int {
	if ru := set.Spec.UpdateStrategy.RollingUpdate; ru != nil && ru.Partition != nil {
		return int(*ru.Partition)
	}
	return 0
}

func (c *StatefulSetController) deletePod(ctx context.Context, set *api.StatefulSet, p *api.Pod) error {
	err := c.env.Writer.Delete(ctx, c.podRes, p.Namespace, p.Name, DeleteOptions{UID: p.UID})
	switch {
	case err == nil:
		c.event(set, "Normal", "SuccessfulDelete", fmt.Sprintf("delete Pod %s in StatefulSet %s successful", p.Name, set.Name))
		return nil
	case api.ReasonOf(err) == api.ReasonNotFound:
		return nil
	default:
		c.event(set, "Warning", "FailedDelete", fmt.Sprintf("delete Pod %s in StatefulSet %s failed error: %v", p.Name, set.Name, err))
		return err
	}
}
