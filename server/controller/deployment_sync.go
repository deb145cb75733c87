package controller

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/berth-dev/berth/api"
)

// sync reconciles one Deployment from the store's current state.
func (c *DeploymentController) sync(ctx context.Context, key string) error {
	stored, ok := lookup[*api.Deployment](c.env.Store, c.dRes, key)
	if !ok {
		return nil // deleted; the garbage collector takes its ReplicaSets
	}
	d := api.DeepCopy(stored).(*api.Deployment) // private: the sync edits its status
	sel := c.selectors.get(d.UID, d.Spec.Selector)
	if sel.Empty() {
		return nil // validation requires a selector; never select everything
	}
	rsList, err := c.claimReplicaSets(ctx, d, sel)
	if err != nil {
		return err
	}
	if d.DeletionTimestamp != nil {
		return c.syncStatusOnly(ctx, d, rsList)
	}
	if d, err = c.checkPausedConditions(ctx, d); err != nil {
		return err
	}
	if d.Spec.Paused {
		return c.syncScale(ctx, d, rsList)
	}
	scaling, d, err := c.isScalingEvent(ctx, d, rsList)
	if err != nil {
		return err
	}
	rsList = c.refresh(rsList) // isScalingEvent may have updated the current set
	if scaling {
		return c.syncScale(ctx, d, rsList)
	}
	if d.Spec.Strategy.Type == api.RecreateDeploymentStrategyType {
		return c.rolloutRecreate(ctx, d, rsList)
	}
	return c.rolloutRolling(ctx, d, rsList)
}

// claimReplicaSets returns the ReplicaSets the Deployment controls after adopting
// matching orphans and releasing the ones its selector no longer matches.
func (c *DeploymentController) claimReplicaSets(ctx context.Context, d *api.Deployment, sel api.Selector) ([]*api.ReplicaSet, error) {
	return claimDependents[*api.ReplicaSet](ctx, c.env, c.rsRes, d, sel, c.orphans.list(d.Namespace, d.Spec.Selector))
}

// checkPausedConditions sets Progressing to DeploymentPaused or DeploymentResumed
// when spec.paused changed, unless the rollout already timed out.
func (c *DeploymentController) checkPausedConditions(ctx context.Context, d *api.Deployment) (*api.Deployment, error) {
	if !hasProgressDeadline(d) {
		return d, nil
	}
	cond := deploymentCondition(d.Status, api.DeploymentProgressing)
	if cond != nil && cond.Reason == reasonTimedOut {
		return d, nil
	}
	pausedCond := cond != nil && cond.Reason == reasonPaused
	switch {
	case d.Spec.Paused && !pausedCond:
		setDeploymentCondition(&d.Status, c.newCondition(api.DeploymentProgressing, api.ConditionUnknown, reasonPaused, "Deployment is paused"))
	case !d.Spec.Paused && pausedCond:
		setDeploymentCondition(&d.Status, c.newCondition(api.DeploymentProgressing, api.ConditionUnknown, reasonResumed, "Deployment is resumed"))
	default:
		return d, nil
	}
	return c.writeDeploymentStatus(ctx, d)
}

// syncStatusOnly only reports status (a Deployment being deleted).
func (c *DeploymentController) syncStatusOnly(ctx context.Context, d *api.Deployment, rsList []*api.ReplicaSet) error {
	newRS, oldRSs, d, err := c.replicaSetsAndSyncRevision(ctx, d, rsList, false)
	if err != nil {
		return err
	}
	return c.syncDeploymentStatus(ctx, d, withNew(oldRSs, newRS), newRS)
}

// writeDeploymentStatus writes d's status and returns the stored result. Only
// this controller writes a Deployment's status, so there is no resourceVersion
// precondition: a spec change meanwhile queues the Deployment again anyway.
func (c *DeploymentController) writeDeploymentStatus(ctx context.Context, d *api.Deployment) (*api.Deployment, error) {
	cp := api.DeepCopy(d).(*api.Deployment)
	cp.ResourceVersion = ""
	out, err := c.env.Writer.UpdateStatus(ctx, cp)
	if err != nil {
		return d, fmt.Errorf("deployment %s/%s: update status: %w", d.Namespace, d.Name, err)
	}
	return out.(*api.Deployment), nil
}

// refresh re-reads ReplicaSets from the store (this sync's writes are there),
// dropping the ones that are gone.
func (c *DeploymentController) refresh(list []*api.ReplicaSet) []*api.ReplicaSet {
	out := make([]*api.ReplicaSet, 0, len(list))
	for _, rs := range list {
		if cur := c.refreshOne(rs); cur != nil {
			out = append(out, cur)
		}
	}
	return out
}

func (c *DeploymentController) refreshOne(rs *api.ReplicaSet) *api.ReplicaSet {
	if rs == nil {
		return nil
	}
	rec, ok := c.env.Store.Get(c.rsRes, rs.Namespace, rs.Name)
	if !ok || rec.Object.GetObjectMeta().UID != rs.UID {
		return nil
	}
	cur, _ := rec.Object.(*api.ReplicaSet)
	return cur
}

// withNew is oldRSs plus newRS when there is one, in a new slice.
func withNew(oldRSs []*api.ReplicaSet, newRS *api.ReplicaSet) []*api.ReplicaSet {
	out := slices.Clone(oldRSs)
	if newRS != nil {
		out = append(out, newRS)
	}
	return out
}

// activeReplicaSets are the ReplicaSets with replicas wanted.
func activeReplicaSets(list []*api.ReplicaSet) []*api.ReplicaSet {
	var out []*api.ReplicaSet
	for _, rs := range list {
		if rs != nil && replicasOf(rs.Spec.Replicas) > 0 {
			out = append(out, rs)
		}
	}
	return out
}

// byCreation orders oldest first, then by name.
func byCreation(a, b *api.ReplicaSet) int {
	ta, tb := a.CreationTimestamp, b.CreationTimestamp
	if ta != nil && tb != nil && !ta.Equal(tb.Time) {
		return ta.Compare(tb.Time)
	}
	return cmp.Compare(a.Name, b.Name)
}

// specReplicas sums spec.replicas.
func specReplicas(list []*api.ReplicaSet) int32 {
	var n int32
	for _, rs := range list {
		if rs != nil {
			n += replicasOf(rs.Spec.Replicas)
		}
	}
	return n
}

// availableReplicas sums status.availableReplicas, each capped at the set's
// spec.replicas: a ReplicaSet just scaled down has not yet removed its surplus
// pods, and counting them would let a rolling update go below its minimum.
func availableReplicas(list []*api.ReplicaSet) int32 {
	var n int32
	for _, rs := range list {
		if rs != nil {
			n += min(rs.Status.AvailableReplicas, replicasOf(rs.Spec.Replicas))
		}
	}
	return n
}
