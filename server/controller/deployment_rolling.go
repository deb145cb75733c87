package controller

import (
	"context"
	"slices"

	"github.com/berth-dev/berth/api"
)

// defaultFencepost is maxSurge's and maxUnavailable's default.
var defaultFencepost = api.FromString("25%")

// resolveFenceposts turns maxSurge and maxUnavailable into pod counts for desired
// replicas: surge rounds up, unavailable rounds down, and when both come to 0
// unavailable becomes 1 so the rollout can move (validation forbids two explicit
// zeros, but 25% of 1 rounds down to 0). A value that does not resolve (validation
// rejects those) counts as 0.
func resolveFenceposts(surge, unavailable *api.IntOrString, desired int32) (maxSurge, maxUnavailable int32) {
	if surge == nil {
		surge = &defaultFencepost
	}
	if unavailable == nil {
		unavailable = &defaultFencepost
	}
	s, err := surge.ScaledValue(int(desired), true)
	if err != nil || s < 0 {
		s = 0
	}
	u, err := unavailable.ScaledValue(int(desired), false)
	if err != nil || u < 0 {
		u = 0
	}
	if s == 0 && u == 0 {
		u = 1
	}
	return int32(s), int32(u)
}

func isRollingUpdate(d *api.Deployment) bool {
	return d.Spec.Strategy.Type != api.RecreateDeploymentStrategyType
}

func fenceposts(d *api.Deployment) (maxSurge, maxUnavailable int32) {
	var surge, unavailable *api.IntOrString
	if ru := d.Spec.Strategy.RollingUpdate; ru != nil {
		surge, unavailable = ru.MaxSurge, ru.MaxUnavailable
	}
	return resolveFenceposts(surge, unavailable, replicasOf(d.Spec.Replicas))
}

// maxSurge is how many pods a rolling update may run above spec.replicas.
func maxSurge(d *api.Deployment) int32 {
	if !isRollingUpdate(d) {
		return 0
	}
	s, _ := fenceposts(d)
	return s
}

// maxUnavailable is how many of spec.replicas may be unavailable during a rolling
// update (never more than spec.replicas).
func maxUnavailable(d *api.Deployment) int32 {
	want := replicasOf(d.Spec.Replicas)
	if !isRollingUpdate(d) || want == 0 {
		return 0
	}
	_, u := fenceposts(d)
	return min(u, want)
}

// newRSNewReplicas is the size the new ReplicaSet may grow to now: under
// RollingUpdate, up to spec.replicas while all sets together stay within
// replicas+maxSurge; under Recreate, spec.replicas at once.
//
// A set counts with the larger of its spec and its status replicas: one just
// scaled down still runs its surplus pods until its own controller removes them,
// and growing the new set meanwhile would run more than replicas+maxSurge pods
// (Kubernetes counts spec alone and allows that overshoot).
func newRSNewReplicas(d *api.Deployment, allRSs []*api.ReplicaSet, newRS *api.ReplicaSet) int32 {
	want := replicasOf(d.Spec.Replicas)
	cur := replicasOf(newRS.Spec.Replicas)
	if !isRollingUpdate(d) {
		return want
	}
	maxTotal := want + maxSurge(d)
	var current int32
	for _, rs := range allRSs {
		current += max(replicasOf(rs.Spec.Replicas), rs.Status.Replicas)
	}
	if current >= maxTotal {
		return cur
	}
	return cur + max(0, min(maxTotal-current, want-cur))
}

// rolloutRolling moves one step of a rolling update: scale the new ReplicaSet up
// within maxSurge, else scale old ones down keeping replicas-maxUnavailable pods
// available, and report status; a finished rollout cleans up history.
func (c *DeploymentController) rolloutRolling(ctx context.Context, d *api.Deployment, rsList []*api.ReplicaSet) error {
	newRS, oldRSs, d, err := c.replicaSetsAndSyncRevision(ctx, d, rsList, true)
	if err != nil {
		return err
	}
	allRSs := withNew(oldRSs, newRS)
	scaledUp, err := c.reconcileNewReplicaSet(ctx, d, allRSs, newRS)
	if err != nil {
		return err
	}
	if scaledUp {
		return c.syncRolloutStatus(ctx, d, allRSs, newRS)
	}
	scaledDown, err := c.reconcileOldReplicaSets(ctx, d, allRSs, activeReplicaSets(oldRSs), newRS)
	if err != nil {
		return err
	}
	if scaledDown {
		return c.syncRolloutStatus(ctx, d, allRSs, newRS)
	}
	if deploymentComplete(d, &d.Status) {
		if err := c.cleanupDeployment(ctx, d, oldRSs); err != nil {
			return err
		}
	}
	return c.syncRolloutStatus(ctx, d, allRSs, newRS)
}

func (c *DeploymentController) reconcileNewReplicaSet(ctx context.Context, d *api.Deployment, allRSs []*api.ReplicaSet, newRS *api.ReplicaSet) (bool, error) {
	want, cur := replicasOf(d.Spec.Replicas), replicasOf(newRS.Spec.Replicas)
	switch {
	case cur == want:
		return false, nil
	case cur > want:
		scaled, _, err := c.scaleReplicaSetAndRecordEvent(ctx, d, newRS, want)
		return scaled, err
	}
	scaled, _, err := c.scaleReplicaSetAndRecordEvent(ctx, d, newRS, newRSNewReplicas(d, allRSs, newRS))
	return scaled, err
}

// reconcileOldReplicaSets scales old ReplicaSets down as far as availability
// allows: first their unavailable pods, then available ones down to
// replicas-maxUnavailable available pods in all.
func (c *DeploymentController) reconcileOldReplicaSets(ctx context.Context, d *api.Deployment, allRSs, oldRSs []*api.ReplicaSet, newRS *api.ReplicaSet) (bool, error) {
	if specReplicas(oldRSs) == 0 {
		return false, nil
	}
	minAvailable := replicasOf(d.Spec.Replicas) - maxUnavailable(d)
	newUnavailable := replicasOf(newRS.Spec.Replicas) - availableReplicas([]*api.ReplicaSet{newRS})
	maxScaledDown := specReplicas(allRSs) - minAvailable - newUnavailable
	if maxScaledDown <= 0 {
		return false, nil
	}
	oldRSs, cleaned, err := c.cleanupUnhealthyReplicas(ctx, d, oldRSs, maxScaledDown)
	if err != nil {
		return false, err
	}
	scaled, err := c.scaleDownOldReplicaSetsForRollingUpdate(ctx, d, withNew(oldRSs, newRS), oldRSs)
	if err != nil {
		return false, err
	}
	return cleaned+scaled > 0, nil
}

// cleanupUnhealthyReplicas scales old ReplicaSets down by their unavailable pods,
// oldest set first, at most maxCleanup in all. It returns the sets as updated.
func (c *DeploymentController) cleanupUnhealthyReplicas(ctx context.Context, d *api.Deployment, oldRSs []*api.ReplicaSet, maxCleanup int32) ([]*api.ReplicaSet, int32, error) {
	oldRSs = slices.Clone(oldRSs)
	slices.SortFunc(oldRSs, byCreation)
	var total int32
	for i, rs := range oldRSs {
		if total >= maxCleanup {
			break
		}
		cur := replicasOf(rs.Spec.Replicas)
		unhealthy := cur - availableReplicas([]*api.ReplicaSet{rs})
		if cur == 0 || unhealthy <= 0 {
			continue
		}
		n := min(maxCleanup-total, unhealthy)
		_, updated, err := c.scaleReplicaSetAndRecordEvent(ctx, d, rs, cur-n)
		if err != nil {
			return nil, total, err
		}
		total += n
		oldRSs[i] = updated
	}
	return oldRSs, total, nil
}

// scaleDownOldReplicaSetsForRollingUpdate scales old ReplicaSets down, oldest
// first, by as many pods as are available above replicas-maxUnavailable.
func (c *DeploymentController) scaleDownOldReplicaSetsForRollingUpdate(ctx context.Context, d *api.Deployment, allRSs, oldRSs []*api.ReplicaSet) (int32, error) {
	minAvailable := replicasOf(d.Spec.Replicas) - maxUnavailable(d)
	available := availableReplicas(allRSs)
	if available <= minAvailable {
		return 0, nil
	}
	oldRSs = slices.Clone(oldRSs)
	slices.SortFunc(oldRSs, byCreation)
	budget := available - minAvailable
	var total int32
	for _, rs := range oldRSs {
		if total >= budget {
			break
		}
		cur := replicasOf(rs.Spec.Replicas)
		if cur == 0 {
			continue
		}
		n := min(cur, budget-total)
		if _, _, err := c.scaleReplicaSetAndRecordEvent(ctx, d, rs, cur-n); err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}
