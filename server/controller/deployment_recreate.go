package controller

import (
	"context"

	"github.com/berth-dev/berth/api"
)

// rolloutRecreate replaces all pods at once: scale every old ReplicaSet to 0, wait
// until their pods are gone (not merely terminating), then create or scale the new
// ReplicaSet to spec.replicas.
func (c *DeploymentController) rolloutRecreate(ctx context.Context, d *api.Deployment, rsList []*api.ReplicaSet) error {
	newRS, oldRSs, d, err := c.replicaSetsAndSyncRevision(ctx, d, rsList, false)
	if err != nil {
		return err
	}
	scaledDown := false
	for _, rs := range activeReplicaSets(oldRSs) {
		scaled, _, err := c.scaleReplicaSetAndRecordEvent(ctx, d, rs, 0)
		if err != nil {
			return err
		}
		scaledDown = scaledDown || scaled
	}
	if scaledDown || c.oldPodsRunning(oldRSs) {
		return c.syncRolloutStatus(ctx, d, withNew(oldRSs, newRS), newRS)
	}
	if newRS == nil {
		if newRS, oldRSs, d, err = c.replicaSetsAndSyncRevision(ctx, d, rsList, true); err != nil {
			return err
		}
	}
	if _, _, err := c.scaleReplicaSetAndRecordEvent(ctx, d, newRS, replicasOf(d.Spec.Replicas)); err != nil {
		return err
	}
	if deploymentComplete(d, &d.Status) {
		if err := c.cleanupDeployment(ctx, d, oldRSs); err != nil {
			return err
		}
	}
	return c.syncRolloutStatus(ctx, d, withNew(oldRSs, newRS), newRS)
}

// oldPodsRunning reports whether an old ReplicaSet still has pods that have not
// finished: counted in its status, or still in the store (terminating included).
func (c *DeploymentController) oldPodsRunning(oldRSs []*api.ReplicaSet) bool {
	for _, rs := range oldRSs {
		if rs.Status.Replicas > 0 {
			return true
		}
	}
	for _, rs := range oldRSs {
		for _, o := range controlledBy(c.env.Store.ListByOwner(c.podRes, rs.UID), rs.UID) {
			if p, ok := o.(*api.Pod); ok && p.Status.Phase != api.PodSucceeded && p.Status.Phase != api.PodFailed {
				return true
			}
		}
	}
	return false
}
