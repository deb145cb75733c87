package controller

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/berth-dev/berth/api"
)

// maxGeneratedPrefix is the longest generateName prefix a pod gets, so that prefix
// plus the five random characters is a valid DNS label (Kubernetes truncates the
// same way).
const maxGeneratedPrefix = 58

// sync reconciles one ReplicaSet from the store's current state.
func (c *ReplicaSetController) sync(ctx context.Context, key string) error {
	rs, ok := lookup[*api.ReplicaSet](c.env.Store, c.rsRes, key)
	if !ok {
		return nil // deleted; the garbage collector takes its pods
	}
	sel := c.selectors.get(rs.UID, rs.Spec.Selector)
	pods, err := c.claimPods(ctx, rs, sel)
	if err != nil {
		return err // counting without the pods it failed to adopt would over-create
	}
	active := activeReplicas(pods)

	var manageErr error
	if rs.DeletionTimestamp == nil {
		var changed bool
		changed, manageErr = c.manageReplicas(ctx, rs, active)
		if changed {
			pods, _ = c.claimPods(ctx, rs, sel) // re-read what the writes left
			active = activeReplicas(pods)
		}
	}
	status, recheck := replicaSetStatus(rs, active, manageErr, c.now())
	statusErr := c.writeStatus(ctx, rs, status)
	if recheck > 0 {
		c.queue.AddAfter(key, recheck) // a ready pod becomes available
	}
	return errors.Join(manageErr, statusErr)
}

// claimPods returns the pods the ReplicaSet controls after adopting the orphans
// its selector matches and releasing owned pods that no longer match.
func (c *ReplicaSetController) claimPods(ctx context.Context, rs *api.ReplicaSet, sel api.Selector) ([]*api.Pod, error) {
	return claimDependents[*api.Pod](ctx, c.env, c.podRes, rs, sel, c.orphans.list(rs.Namespace, rs.Spec.Selector))
}

func activeReplicas(pods []*api.Pod) []*api.Pod {
	out := make([]*api.Pod, 0, len(pods))
	for _, p := range pods {
		if countsAsReplica(p) {
			out = append(out, p)
		}
	}
	return out
}

// replicasOf is spec.replicas, where nil means 1.
func replicasOf(r *int32) int32 {
	if r == nil {
		return 1
	}
	return *r
}

// manageReplicas creates or deletes pods toward spec.replicas; changed says whether
// it wrote anything.
func (c *ReplicaSetController) manageReplicas(ctx context.Context, rs *api.ReplicaSet, active []*api.Pod) (changed bool, err error) {
	diff := len(active) - int(replicasOf(rs.Spec.Replicas))
	switch {
	case diff < 0:
		proto := podFromTemplate(rs)
		created, err := slowStartBatch(min(-diff, c.Burst), 1, func() error { return c.createPod(ctx, rs, proto) })
		return created > 0, err
	case diff > 0:
		victims := append([]*api.Pod(nil), active...)
		orderVictims(victims, nodeRanks(victims))
		return true, c.deletePods(ctx, rs, victims[:min(diff, c.Burst)])
	}
	return false, nil
}

// podFromTemplate is the pod a ReplicaSet creates: its template's metadata and
// spec, a generated name, and the ReplicaSet as controller.
func podFromTemplate(rs *api.ReplicaSet) *api.Pod {
	t := &rs.Spec.Template
	prefix := rs.Name + "-"
	if len(prefix) > maxGeneratedPrefix {
		prefix = prefix[:maxGeneratedPrefix]
	}
	pod := &api.Pod{
		TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: api.ObjectMeta{
			GenerateName:    prefix,
			Namespace:       rs.Namespace,
			Labels:          t.Labels,
			Annotations:     t.Annotations,
			Finalizers:      t.Finalizers,
			OwnerReferences: []api.OwnerReference{NewControllerRef(rs)},
		},
		Spec: t.Spec,
	}
	return api.DeepCopy(pod).(*api.Pod) // the template belongs to the store
}

func (c *ReplicaSetController) createPod(ctx context.Context, rs *api.ReplicaSet, proto *api.Pod) error {
	out, err := c.env.Writer.Create(ctx, proto)
	if err != nil {
		c.event(rs, "Warning", "FailedCreate", "Error creating: "+err.Error())
		return fmt.Errorf("replicaset %s/%s: create pod: %w", rs.Namespace, rs.Name, err)
	}
	c.event(rs, "Normal", "SuccessfulCreate", "Created pod: "+out.GetObjectMeta().Name)
	return nil
}

// deletePods deletes victims in parallel, each only if it is still the same pod.
func (c *ReplicaSetController) deletePods(ctx context.Context, rs *api.ReplicaSet, victims []*api.Pod) error {
	errs := make([]error, len(victims))
	var wg sync.WaitGroup
	for i, p := range victims {
		wg.Go(func() {
			err := c.env.Writer.Delete(ctx, c.podRes, p.Namespace, p.Name, DeleteOptions{UID: p.UID})
			switch {
			case err == nil:
				c.event(rs, "Normal", "SuccessfulDelete", "Deleted pod: "+p.Name)
			case api.ReasonOf(err) == api.ReasonNotFound:
			default:
				c.event(rs, "Warning", "FailedDelete", "Error deleting: "+err.Error())
				errs[i] = fmt.Errorf("replicaset %s/%s: delete pod %s: %w", rs.Namespace, rs.Name, p.Name, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// slowStartBatch calls fn count times in parallel batches of 1, 2, 4, … (starting
// at initial), stopping after the first batch with a failure, so a create that will
// fail (a quota, an invalid template) fails once instead of count times. It returns
// the number of successes and the first error.
func slowStartBatch(count, initial int, fn func() error) (int, error) {
	remaining, successes := count, 0
	for batch := min(remaining, max(initial, 1)); batch > 0; batch = min(2*batch, remaining) {
		errs := make([]error, batch)
		var wg sync.WaitGroup
		for i := range batch {
			wg.Go(func() { errs[i] = fn() })
		}
		wg.Wait()
		var first error
		for _, err := range errs {
			if err == nil {
				successes++
			} else if first == nil {
				first = err
			}
		}
		if first != nil {
			return successes, first
		}
		remaining -= batch
	}
	return successes, nil
}
