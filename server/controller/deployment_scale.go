package controller

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/berth-dev/berth/api"
)

// syncScale handles a paused Deployment or a change of spec.replicas: it resizes
// the ReplicaSets without moving the rollout, then reports status.
func (c *DeploymentController) syncScale(ctx context.Context, d *api.Deployment, rsList []*api.ReplicaSet) error {
	newRS, oldRSs, d, err := c.replicaSetsAndSyncRevision(ctx, d, rsList, false)
	if err != nil {
		return err
	}
	if err := c.scale(ctx, d, newRS, oldRSs); err != nil {
		return err
	}
	if d.Spec.Paused {
		if err := c.cleanupDeployment(ctx, d, c.refresh(oldRSs)); err != nil {
			return err
		}
	}
	return c.syncDeploymentStatus(ctx, d, withNew(oldRSs, newRS), newRS)
}

// isScalingEvent reports whether spec.replicas differs from what an active
// ReplicaSet was last sized for (its desired-replicas annotation).
func (c *DeploymentController) isScalingEvent(ctx context.Context, d *api.Deployment, rsList []*api.ReplicaSet) (bool, *api.Deployment, error) {
	newRS, oldRSs, d, err := c.replicaSetsAndSyncRevision(ctx, d, rsList, false)
	if err != nil {
		return false, d, err
	}
	for _, rs := range activeReplicaSets(withNew(oldRSs, newRS)) {
		if desired, ok := intAnnotation(rs, desiredReplicasAnnotation); ok && desired != replicasOf(d.Spec.Replicas) {
			return true, d, nil
		}
	}
	return false, d, nil
}

// scale sizes the ReplicaSets for spec.replicas: one active set (or none: the
// newest) takes all of it; a saturated new set leaves the old ones at 0; otherwise,
// during a rolling update, the change is spread over the active sets in proportion
// to their sizes (the largest set takes the rounding leftover).
func (c *DeploymentController) scale(ctx context.Context, d *api.Deployment, newRS *api.ReplicaSet, oldRSs []*api.ReplicaSet) error {
	want := replicasOf(d.Spec.Replicas)
	if rs := activeOrLatest(newRS, oldRSs); rs != nil {
		if replicasOf(rs.Spec.Replicas) == want {
			return nil
		}
		_, _, err := c.scaleReplicaSetAndRecordEvent(ctx, d, rs, want)
		return err
	}
	if isSaturated(d, newRS) {
		for _, old := range activeReplicaSets(oldRSs) {
			if _, _, err := c.scaleReplicaSetAndRecordEvent(ctx, d, old, 0); err != nil {
				return err
			}
		}
		return nil
	}
	if !isRollingUpdate(d) {
		return nil
	}
	sizes := proportionalSizes(d, activeReplicaSets(withNew(oldRSs, newRS)))
	for _, s := range sizes {
		op := "down"
		if s.size > replicasOf(s.rs.Spec.Replicas) {
			op = "up"
		}
		if _, _, err := c.scaleReplicaSet(ctx, d, s.rs, s.size, op); err != nil {
			return err
		}
	}
	return nil
}

// rsSize is a ReplicaSet and the size scaling gives it.
type rsSize struct {
	rs   *api.ReplicaSet
	size int32
}

// proportionalSizes spreads the difference between replicas+maxSurge (0 when
// replicas is 0) and the active sets' total over the sets, each in proportion to
// its size against the max-replicas it was last sized for. Scaling up, ties go to
// newer sets; scaling down, to older ones; the first (largest) set takes what
// rounding leaves.
func proportionalSizes(d *api.Deployment, active []*api.ReplicaSet) []rsSize {
	want := replicasOf(d.Spec.Replicas)
	var allowed int32
	if want > 0 {
		allowed = want + maxSurge(d)
	}
	toAdd := allowed - specReplicas(active)
	sets := slices.Clone(active)
	slices.SortFunc(sets, func(a, b *api.ReplicaSet) int {
		if n := cmp.Compare(replicasOf(b.Spec.Replicas), replicasOf(a.Spec.Replicas)); n != 0 {
			return n // larger first
		}
		if toAdd > 0 {
			return byCreation(b, a) // newer first
		}
		return byCreation(a, b) // older first
	})
	out := make([]rsSize, len(sets))
	var added int32
	for i, rs := range sets {
		out[i] = rsSize{rs: rs, size: replicasOf(rs.Spec.Replicas)}
		if toAdd != 0 {
			p := proportion(d, rs, toAdd, added)
			out[i].size += p
			added += p
		}
	}
	if len(out) > 0 && toAdd != 0 {
		out[0].size = max(0, out[0].size+toAdd-added)
	}
	return out
}

// proportion is rs's share of toAdd, given added so far.
func proportion(d *api.Deployment, rs *api.ReplicaSet, toAdd, added int32) int32 {
	if replicasOf(rs.Spec.Replicas) == 0 || toAdd == 0 || toAdd == added {
		return 0
	}
	fraction := replicaSetFraction(d, rs)
	left := toAdd - added
	if toAdd > 0 {
		return min(fraction, left)
	}
	return max(fraction, left)
}

// replicaSetFraction is how much rs should grow (or shrink) for the Deployment's
// new size, from its size relative to the total it was last sized for.
func replicaSetFraction(d *api.Deployment, rs *api.ReplicaSet) int32 {
	cur := replicasOf(rs.Spec.Replicas)
	want := replicasOf(d.Spec.Replicas)
	if want == 0 {
		return -cur
	}
	total := want + maxSurge(d)
	annotated, ok := intAnnotation(rs, maxReplicasAnnotation)
	if !ok || annotated == 0 {
		annotated = d.Status.Replicas
	}
	if annotated == 0 {
		return 0
	}
	size := math.Round(float64(cur) * float64(total) / float64(annotated))
	return int32(size) - cur
}

// activeOrLatest is the one ReplicaSet with replicas wanted; with none, the new
// one or else the newest old one; with several, nil.
func activeOrLatest(newRS *api.ReplicaSet, oldRSs []*api.ReplicaSet) *api.ReplicaSet {
	if newRS == nil && len(oldRSs) == 0 {
		return nil
	}
	active := activeReplicaSets(withNew(oldRSs, newRS))
	switch len(active) {
	case 0:
		if newRS != nil {
			return newRS
		}
		return slices.MaxFunc(oldRSs, byCreation)
	case 1:
		return active[0]
	}
	return nil
}

// isSaturated reports a new ReplicaSet sized for, and fully available at, the
// Deployment's replicas.
func isSaturated(d *api.Deployment, rs *api.ReplicaSet) bool {
	if rs == nil {
		return false
	}
	want := replicasOf(d.Spec.Replicas)
	desired, ok := intAnnotation(rs, desiredReplicasAnnotation)
	return ok && replicasOf(rs.Spec.Replicas) == want && desired == want && rs.Status.AvailableReplicas == want
}

// scaleReplicaSetAndRecordEvent sets rs's replicas to n when different.
func (c *DeploymentController) scaleReplicaSetAndRecordEvent(ctx context.Context, d *api.Deployment, rs *api.ReplicaSet, n int32) (bool, *api.ReplicaSet, error) {
	cur := replicasOf(rs.Spec.Replicas)
	if cur == n {
		return false, rs, nil
	}
	op := "down"
	if n > cur {
		op = "up"
	}
	return c.scaleReplicaSet(ctx, d, rs, n, op)
}

// scaleReplicaSet sets rs's replicas to n and its replica annotations to the
// Deployment's, writing only when something differs. It reports whether the size
// changed and returns the set as stored.
func (c *DeploymentController) scaleReplicaSet(ctx context.Context, d *api.Deployment, rs *api.ReplicaSet, n int32, op string) (bool, *api.ReplicaSet, error) {
	want := replicasOf(d.Spec.Replicas)
	resize := replicasOf(rs.Spec.Replicas) != n
	if !resize && !replicasAnnotationsNeedUpdate(rs, want, want+maxSurge(d)) {
		return false, rs, nil
	}
	cp := api.DeepCopy(rs).(*api.ReplicaSet)
	cp.Spec.Replicas = &n
	setReplicasAnnotations(cp, want, want+maxSurge(d))
	out, err := c.env.Writer.Update(ctx, cp)
	if err != nil {
		return false, rs, fmt.Errorf("deployment %s/%s: scale replica set %s to %d: %w", d.Namespace, d.Name, rs.Name, n, err)
	}
	if resize {
		c.event(d, "Normal", "ScalingReplicaSet", fmt.Sprintf("Scaled %s replica set %s to %d", op, rs.Name, n))
	}
	return resize, out.(*api.ReplicaSet), nil
}

// cleanupDeployment deletes the oldest old ReplicaSets beyond
// revisionHistoryLimit, only those scaled to 0 with no pods left.
func (c *DeploymentController) cleanupDeployment(ctx context.Context, d *api.Deployment, oldRSs []*api.ReplicaSet) error {
	if d.Spec.RevisionHistoryLimit == nil {
		return nil
	}
	var cleanable []*api.ReplicaSet
	for _, rs := range oldRSs {
		if rs.DeletionTimestamp == nil {
			cleanable = append(cleanable, rs)
		}
	}
	diff := len(cleanable) - int(*d.Spec.RevisionHistoryLimit)
	if diff <= 0 {
		return nil
	}
	slices.SortFunc(cleanable, func(a, b *api.ReplicaSet) int {
		if n := cmp.Compare(revisionOf(a), revisionOf(b)); n != 0 {
			return n
		}
		return byCreation(a, b)
	})
	for _, rs := range cleanable[:diff] {
		if rs.Status.Replicas != 0 || replicasOf(rs.Spec.Replicas) != 0 || rs.Generation > rs.Status.ObservedGeneration {
			continue
		}
		err := c.env.Writer.Delete(ctx, c.rsRes, rs.Namespace, rs.Name, DeleteOptions{UID: rs.UID})
		if err != nil && api.ReasonOf(err) != api.ReasonNotFound {
			return fmt.Errorf("deployment %s/%s: delete old replica set %s: %w", d.Namespace, d.Name, rs.Name, err)
		}
	}
	return nil
}
