package controller

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/berth-dev/berth/api"
)

// replicaSetReplicaFailure is the condition a ReplicaSet carries while it cannot
// create or delete its pods.
const replicaSetReplicaFailure = "ReplicaFailure"

// replicaSetStatus computes a ReplicaSet's status from its active pods. manageErr is
// the failure of this sync's creates or deletes, if any. recheck, when positive, is
// how long until a ready pod becomes available (minReadySeconds), when the status
// will change without any event.
func replicaSetStatus(rs *api.ReplicaSet, active []*api.Pod, manageErr error, now time.Time) (st api.ReplicaSetStatus, recheck time.Duration) {
	st.Replicas = int32(len(active))
	st.ObservedGeneration = rs.Generation
	tmpl := rs.Spec.Template.Labels
	for _, p := range active {
		if labelsContain(p.Labels, tmpl) {
			st.FullyLabeledReplicas++
		}
		if _, ready := readySince(p); ready {
			st.ReadyReplicas++
		}
		available, wait := availableAt(p, rs.Spec.MinReadySeconds, now)
		if available {
			st.AvailableReplicas++
		} else if wait > 0 && (recheck == 0 || wait < recheck) {
			recheck = wait
		}
	}
	st.Conditions = slices.Clone(rs.Status.Conditions)
	i := slices.IndexFunc(st.Conditions, func(c api.ReplicaSetCondition) bool { return c.Type == replicaSetReplicaFailure })
	switch {
	case manageErr != nil && i < 0:
		reason := "FailedCreate"
		if len(active) > int(replicasOf(rs.Spec.Replicas)) {
			reason = "FailedDelete"
		}
		st.Conditions = append(st.Conditions, api.ReplicaSetCondition{
			Type: replicaSetReplicaFailure, Status: api.ConditionTrue, LastTransitionTime: api.NewTime(now),
			Reason: reason, Message: manageErr.Error(),
		})
	case manageErr == nil && i >= 0:
		st.Conditions = slices.Delete(st.Conditions, i, i+1)
	}
	if len(st.Conditions) == 0 {
		st.Conditions = nil
	}
	return st, recheck
}

// labelsContain reports whether every label of want is in have with the same value.
func labelsContain(have, want map[string]string) bool {
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			return false
		}
	}
	return true
}

// writeStatus writes st when it differs from the stored status. The ReplicaSet
// controller is the only writer of this status, so no resourceVersion precondition
// is needed (a spec change meanwhile queues the key again anyway).
func (c *ReplicaSetController) writeStatus(ctx context.Context, rs *api.ReplicaSet, st api.ReplicaSetStatus) error {
	if reflect.DeepEqual(rs.Status, st) {
		return nil
	}
	cp := api.DeepCopy(rs).(*api.ReplicaSet)
	cp.ResourceVersion = ""
	cp.Status = st
	if _, err := c.env.Writer.UpdateStatus(ctx, cp); err != nil {
		if api.ReasonOf(err) == api.ReasonNotFound {
			return nil
		}
		return fmt.Errorf("replicaset %s/%s: update status: %w", rs.Namespace, rs.Name, err)
	}
	return nil
}
