package controller

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"slices"
	"time"

	"github.com/berth-dev/berth/api"
)

// The reasons of the Progressing and Available conditions, with Kubernetes' names.
const (
	reasonNewRSCreated       = "NewReplicaSetCreated"
	reasonFoundNewRS         = "FoundNewReplicaSet"
	reasonRSUpdated          = "ReplicaSetUpdated"
	reasonNewRSAvailable     = "NewReplicaSetAvailable"
	reasonTimedOut           = "ProgressDeadlineExceeded"
	reasonPaused             = "DeploymentPaused"
	reasonResumed            = "DeploymentResumed"
	reasonFailedRSCreate     = "ReplicaSetCreateError"
	reasonMinimumAvailable   = "MinimumReplicasAvailable"
	reasonMinimumUnavailable = "MinimumReplicasUnavailable"
)

// hasProgressDeadline: progressDeadlineSeconds set and not "forever" (MaxInt32).
func hasProgressDeadline(d *api.Deployment) bool {
	p := d.Spec.ProgressDeadlineSeconds
	return p != nil && *p != math.MaxInt32
}

func (c *DeploymentController) newCondition(typ, status, reason, message string) api.DeploymentCondition {
	now := api.NewTime(c.now())
	return api.DeploymentCondition{Type: typ, Status: status, LastUpdateTime: now, LastTransitionTime: now, Reason: reason, Message: message}
}

func deploymentCondition(st api.DeploymentStatus, typ string) *api.DeploymentCondition {
	for i := range st.Conditions {
		if st.Conditions[i].Type == typ {
			return &st.Conditions[i]
		}
	}
	return nil
}

// setDeploymentCondition sets cond unless one of its type with the same status and
// reason is there already; an unchanged status keeps its lastTransitionTime.
func setDeploymentCondition(st *api.DeploymentStatus, cond api.DeploymentCondition) {
	cur := deploymentCondition(*st, cond.Type)
	if cur != nil && cur.Status == cond.Status && cur.Reason == cond.Reason {
		return
	}
	if cur != nil && cur.Status == cond.Status {
		cond.LastTransitionTime = cur.LastTransitionTime
	}
	removeDeploymentCondition(st, cond.Type)
	st.Conditions = append(st.Conditions, cond)
}

func removeDeploymentCondition(st *api.DeploymentStatus, typ string) {
	st.Conditions = slices.DeleteFunc(slices.Clone(st.Conditions), func(c api.DeploymentCondition) bool { return c.Type == typ })
	if len(st.Conditions) == 0 {
		st.Conditions = nil
	}
}

// calculateStatus is the Deployment's status from its ReplicaSets, with the
// Available condition; other conditions are carried over.
func (c *DeploymentController) calculateStatus(d *api.Deployment, allRSs []*api.ReplicaSet, newRS *api.ReplicaSet) api.DeploymentStatus {
	st := api.DeploymentStatus{
		ObservedGeneration: d.Generation,
		CollisionCount:     d.Status.CollisionCount,
		Conditions:         slices.Clone(d.Status.Conditions),
	}
	for _, rs := range allRSs {
		st.Replicas += rs.Status.Replicas
		st.ReadyReplicas += rs.Status.ReadyReplicas
		st.AvailableReplicas += rs.Status.AvailableReplicas
	}
	if newRS != nil {
		st.UpdatedReplicas = newRS.Status.Replicas
	}
	st.UnavailableReplicas = max(0, specReplicas(allRSs)-st.AvailableReplicas)
	if st.AvailableReplicas >= replicasOf(d.Spec.Replicas)-maxUnavailable(d) {
		setDeploymentCondition(&st, c.newCondition(api.DeploymentAvailable, api.ConditionTrue, reasonMinimumAvailable, "Deployment has minimum availability."))
	} else {
		setDeploymentCondition(&st, c.newCondition(api.DeploymentAvailable, api.ConditionFalse, reasonMinimumUnavailable, "Deployment does not have minimum availability."))
	}
	return st
}

// syncDeploymentStatus writes the calculated status when it changed.
func (c *DeploymentController) syncDeploymentStatus(ctx context.Context, d *api.Deployment, allRSs []*api.ReplicaSet, newRS *api.ReplicaSet) error {
	st := c.calculateStatus(d, c.refresh(allRSs), c.refreshOne(newRS))
	if reflect.DeepEqual(d.Status, st) {
		return nil
	}
	d.Status = st
	_, err := c.writeDeploymentStatus(ctx, d)
	return err
}

// syncRolloutStatus writes the status of a rollout: counts, Available, Progressing
// (progressing, complete, or past its deadline) and ReplicaFailure. An unchanged
// status of a rollout still in progress is checked again at its deadline.
func (c *DeploymentController) syncRolloutStatus(ctx context.Context, d *api.Deployment, allRSs []*api.ReplicaSet, newRS *api.ReplicaSet) error {
	allRSs, newRS = c.refresh(allRSs), c.refreshOne(newRS)
	st := c.calculateStatus(d, allRSs, newRS)
	if !hasProgressDeadline(d) {
		removeDeploymentCondition(&st, api.DeploymentProgressing)
	}
	cur := deploymentCondition(d.Status, api.DeploymentProgressing)
	complete := st.Replicas == st.UpdatedReplicas && cur != nil && cur.Reason == reasonNewRSAvailable
	if hasProgressDeadline(d) && !complete {
		subject := fmt.Sprintf("Deployment %q", d.Name)
		if newRS != nil {
			subject = fmt.Sprintf("ReplicaSet %q", newRS.Name)
		}
		switch {
		case deploymentComplete(d, &st):
			setDeploymentCondition(&st, c.newCondition(api.DeploymentProgressing, api.ConditionTrue, reasonNewRSAvailable, subject+" has successfully progressed."))
		case deploymentProgressing(d, &st):
			cond := c.newCondition(api.DeploymentProgressing, api.ConditionTrue, reasonRSUpdated, subject+" is progressing.")
			if cur != nil {
				if cur.Status == api.ConditionTrue {
					cond.LastTransitionTime = cur.LastTransitionTime
				}
				removeDeploymentCondition(&st, api.DeploymentProgressing)
			}
			setDeploymentCondition(&st, cond)
		case c.deploymentTimedOut(d, &st):
			setDeploymentCondition(&st, c.newCondition(api.DeploymentProgressing, api.ConditionFalse, reasonTimedOut, subject+" has timed out progressing."))
		}
	}
	if f := replicaFailure(allRSs, newRS); f != nil {
		setDeploymentCondition(&st, *f)
	} else {
		removeDeploymentCondition(&st, api.DeploymentReplicaFailure)
	}
	if reflect.DeepEqual(d.Status, st) {
		c.requeueStuck(d, st)
		return nil
	}
	d.Status = st
	_, err := c.writeDeploymentStatus(ctx, d)
	return err
}

// replicaFailure is the ReplicaFailure condition of the new ReplicaSet, else of
// any ReplicaSet, as a Deployment condition.
func replicaFailure(allRSs []*api.ReplicaSet, newRS *api.ReplicaSet) *api.DeploymentCondition {
	for _, rs := range append([]*api.ReplicaSet{newRS}, allRSs...) {
		if rs == nil {
			continue
		}
		for _, rc := range rs.Status.Conditions {
			if rc.Type == replicaSetReplicaFailure {
				return &api.DeploymentCondition{Type: api.DeploymentReplicaFailure, Status: rc.Status, Reason: rc.Reason,
					Message: rc.Message, LastUpdateTime: rc.LastTransitionTime, LastTransitionTime: rc.LastTransitionTime}
			}
		}
	}
	return nil
}

// deploymentComplete: every replica updated and available, and the latest spec
// observed.
func deploymentComplete(d *api.Deployment, st *api.DeploymentStatus) bool {
	want := replicasOf(d.Spec.Replicas)
	return st.UpdatedReplicas == want && st.Replicas == want && st.AvailableReplicas == want &&
		st.ObservedGeneration >= d.Generation
}

// deploymentProgressing: more updated, ready or available pods than the stored
// status says, or fewer old ones.
func deploymentProgressing(d *api.Deployment, st *api.DeploymentStatus) bool {
	old := d.Status
	return st.UpdatedReplicas > old.UpdatedReplicas ||
		st.Replicas-st.UpdatedReplicas < old.Replicas-old.UpdatedReplicas ||
		st.ReadyReplicas > old.ReadyReplicas ||
		st.AvailableReplicas > old.AvailableReplicas
}

// deploymentTimedOut: no progress for progressDeadlineSeconds since the
// Progressing condition was last updated.
func (c *DeploymentController) deploymentTimedOut(d *api.Deployment, st *api.DeploymentStatus) bool {
	cond := deploymentCondition(*st, api.DeploymentProgressing)
	if !hasProgressDeadline(d) || cond == nil || cond.Reason == reasonNewRSAvailable {
		return false
	}
	if cond.Reason == reasonTimedOut {
		return true
	}
	if cond.LastUpdateTime == nil {
		return false
	}
	deadline := cond.LastUpdateTime.Add(time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second)
	return deadline.Before(c.now())
}

// requeueStuck checks an unfinished rollout again when its progress deadline
// passes: nothing else would wake the controller then.
func (c *DeploymentController) requeueStuck(d *api.Deployment, st api.DeploymentStatus) {
	cond := deploymentCondition(d.Status, api.DeploymentProgressing)
	if !hasProgressDeadline(d) || cond == nil || cond.LastUpdateTime == nil || cond.Reason == reasonTimedOut || deploymentComplete(d, &st) {
		return
	}
	deadline := cond.LastUpdateTime.Add(time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second)
	c.queue.AddAfter(KeyOf(d), max(deadline.Sub(c.now()), 0)+10*time.Millisecond)
}
