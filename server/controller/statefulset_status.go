package controller

import (
	"context"
	"fmt"
	"reflect"

	"github.com/berth-dev/berth/api"
)

// adoptByName takes over an existing pod that holds an ordinal's name: an orphan
// the selector matches (say, left by a set deleted with propagationPolicy Orphan)
// becomes this set's, as Kubernetes adopts; anything else is reported and retried.
func (c *StatefulSetController) adoptByName(ctx context.Context, st *stsState, name string) error {
	set := st.set
	rec, ok := c.env.Store.Get(c.podRes, set.Namespace, name)
	if !ok {
		return fmt.Errorf("statefulset %s/%s: pod %s vanished while being created", set.Namespace, set.Name, name)
	}
	p := api.DeepCopy(rec.Object).(*api.Pod)
	if ref := ControllerOf(p); ref != nil {
		if ref.UID == set.UID {
			return nil
		}
		c.event(set, "Warning", "FailedCreate", fmt.Sprintf("create Pod %s in StatefulSet %s failed error: the pod exists and is controlled by %s %s", name, set.Name, ref.Kind, ref.Name))
		return fmt.Errorf("statefulset %s/%s: pod %s belongs to %s %s", set.Namespace, set.Name, name, ref.Kind, ref.Name)
	}
	if podIsTerminating(p) {
		return fmt.Errorf("statefulset %s/%s: waiting for the old pod %s to go", set.Namespace, set.Name, name)
	}
	sel, err := set.Spec.Selector.AsSelector()
	if err != nil || !sel.Matches(p.Labels) {
		c.event(set, "Warning", "FailedCreate", fmt.Sprintf("create Pod %s in StatefulSet %s failed error: an unrelated pod of that name exists", name, set.Name))
		return fmt.Errorf("statefulset %s/%s: pod %s exists and does not match the selector", set.Namespace, set.Name, name)
	}
	p.OwnerReferences = append(p.OwnerReferences, NewControllerRef(set))
	if _, err := c.env.Writer.Update(ctx, p); err != nil {
		return err
	}
	c.event(set, "Normal", "SuccessfulAdopt", fmt.Sprintf("adopted Pod %s", name))
	return nil
}

// updateStatus writes the set's status as Kubernetes computes it, when it changed.
// The rollout is complete (current revision := update revision) once every pod is
// updated and ready.
func (c *StatefulSetController) updateStatus(ctx context.Context, st *stsState) error {
	set := st.set
	s := api.StatefulSetStatus{
		ObservedGeneration: set.Generation,
		CurrentRevision:    st.current, UpdateRevision: st.update,
		CollisionCount: set.Status.CollisionCount, Conditions: set.Status.Conditions,
	}
	for _, group := range [][]*api.Pod{st.slots, st.condemned} {
		for _, p := range group {
			if p == nil {
				continue
			}
			s.Replicas++
			if podIsTerminating(p) {
				continue
			}
			if podIsRunningAndReady(p) {
				s.ReadyReplicas++
				if c.healthy(st, p) {
					s.AvailableReplicas++
				}
			}
			switch rev := stsPodRevision(p); {
			case rev == st.current && rev == st.update:
				s.CurrentReplicas++
				s.UpdatedReplicas++
			case rev == st.current:
				s.CurrentReplicas++
			case rev == st.update:
				s.UpdatedReplicas++
			}
		}
	}
	if set.Spec.UpdateStrategy.Type != api.OnDeleteStatefulSetStrategyType &&
		s.UpdatedReplicas == s.Replicas && s.ReadyReplicas == s.Replicas {
		s.CurrentRevision, s.CurrentReplicas = s.UpdateRevision, s.UpdatedReplicas
	}
	if reflect.DeepEqual(s, set.Status) {
		return nil
	}
	next := api.DeepCopy(set).(*api.StatefulSet)
	next.Status = s
	_, err := c.env.Writer.UpdateStatus(ctx, next)
	return err
}
