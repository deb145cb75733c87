package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/berth-dev/berth/api"
)

// nodeRequeueFloor keeps a deadline that has just passed from spinning the queue.
const nodeRequeueFloor = 10 * time.Millisecond

// reconcile judges one node, writes Ready=Unknown when its client is lost, keeps
// this controller's taint in line with the Ready condition, evicts the pods whose
// time is up and queues the node again for its next deadline.
func (c *NodeLifecycle) reconcile(ctx context.Context, name string) error {
	rec, ok := c.env.Store.Get(c.nodeRes, "", name)
	if !ok {
		return nil
	}
	node, ok := rec.Object.(*api.Node)
	if !ok {
		return nil
	}
	now := c.cfg.Now()
	seen, _ := c.observe(node, now)
	var health NodeHealthReport
	if c.cfg.Health != nil {
		health = c.cfg.Health.Health(name)
	}
	cond := readyConditionOf(node)
	v := judgeNode(seen, health, c.cfg.GracePeriod, now, cond != nil && cond.LastHeartbeatTime != nil)
	if v.lost && (cond == nil || cond.Status != api.ConditionUnknown) {
		var err error
		if node, err = c.markUnknown(ctx, node, v.message, now); err != nil {
			return err
		}
	}
	node, err := c.syncTaints(ctx, node, now)
	if err != nil {
		return err
	}
	next, err := c.evict(ctx, node, now)
	if err != nil {
		return err
	}
	if !v.recheck.IsZero() && (next.IsZero() || v.recheck.Before(next)) {
		next = v.recheck
	}
	if !next.IsZero() {
		c.queue.AddAfter(name, max(next.Sub(c.cfg.Now()), nodeRequeueFloor))
	}
	return nil
}

// markUnknown sets the node's Ready condition to Unknown, keeping the client's
// last heartbeat time, as Kubernetes' node lifecycle controller does.
func (c *NodeLifecycle) markUnknown(ctx context.Context, node *api.Node, why string, now time.Time) (*api.Node, error) {
	next := api.DeepCopy(node).(*api.Node)
	cond := readyConditionOf(next)
	if cond == nil {
		next.Status.Conditions = append(next.Status.Conditions, api.NodeCondition{Type: api.NodeReady})
		cond = &next.Status.Conditions[len(next.Status.Conditions)-1]
	}
	cond.Status, cond.Reason, cond.Message = api.ConditionUnknown, "NodeStatusUnknown", why
	cond.LastTransitionTime = api.NewTime(now)
	out, err := c.env.Writer.UpdateStatus(ctx, next)
	if err != nil {
		return nil, fmt.Errorf("node %s: marking Ready=Unknown: %w", node.Name, err)
	}
	c.env.Log.Warn("node lost", "node", node.Name, "why", why)
	c.record(out, "Normal", "NodeNotReady", fmt.Sprintf("Node %s status is now: NodeNotReady (%s)", node.Name, why))
	return out.(*api.Node), nil
}

// syncTaints makes this controller's taint follow the Ready condition:
// Unknown → unreachable, False → not-ready, True (or none) → neither.
func (c *NodeLifecycle) syncTaints(ctx context.Context, node *api.Node, now time.Time) (*api.Node, error) {
	want := ""
	if cond := readyConditionOf(node); cond != nil {
		switch cond.Status {
		case api.ConditionUnknown:
			want = TaintNodeUnreachable
		case api.ConditionFalse:
			want = TaintNodeNotReady
		}
	}
	taints, changed := withLifecycleTaint(node.Spec.Taints, want, now)
	if !changed {
		return node, nil
	}
	next := api.DeepCopy(node).(*api.Node)
	next.Spec.Taints = taints
	out, err := c.env.Writer.Update(ctx, next)
	if err != nil {
		return nil, fmt.Errorf("node %s: setting taints: %w", node.Name, err)
	}
	c.mu.Lock()
	for _, key := range []string{TaintNodeUnreachable, TaintNodeNotReady} {
		k := [2]string{node.Name, key}
		if key != want {
			delete(c.added, k)
		} else if _, ok := c.added[k]; !ok {
			c.added[k] = now
		}
	}
	c.mu.Unlock()
	if want == "" {
		c.env.Log.Info("node is ready again: taints removed", "node", node.Name)
	} else {
		c.env.Log.Info("node tainted", "node", node.Name, "taint", want)
	}
	return out.(*api.Node), nil
}

// evict deletes the node's pods whose eviction time has come and returns the
// earliest time still to come (zero if none).
func (c *NodeLifecycle) evict(ctx context.Context, node *api.Node, now time.Time) (time.Time, error) {
	var taints []noExecuteTaint
	for i := range node.Spec.Taints {
		if t := &node.Spec.Taints[i]; t.Effect == api.TaintNoExecute {
			taints = append(taints, noExecuteTaint{taint: t, added: c.taintAdded(node.Name, t)})
		}
	}
	if len(taints) == 0 {
		return time.Time{}, nil
	}
	// An unreachable node cannot confirm a graceful delete: its pods are removed
	// at once, and even those already terminating there.
	unreachable := noExecuteMaskOf(node)&nxUnreachable != 0
	recs, _ := c.env.Store.ListByNode(node.Name)
	var next time.Time
	var errs []error
	for _, rec := range recs {
		pod, ok := rec.Object.(*api.Pod)
		if !ok || pod.Spec.NodeName != node.Name || pod.Status.Phase == api.PodSucceeded || pod.Status.Phase == api.PodFailed {
			continue
		}
		if pod.DeletionTimestamp != nil && !unreachable {
			continue // the node's client is finishing it
		}
		at, ok := podEvictionTime(pod.Spec.Tolerations, taints, c.cfg.PodEvictionTimeout)
		switch {
		case !ok:
		case at.After(now):
			if next.IsZero() || at.Before(next) {
				next = at
			}
		default:
			errs = append(errs, c.deletePod(ctx, pod, unreachable))
		}
	}
	return next, errors.Join(errs...)
}

// taintAdded is when t was put on the node: the exact time if this controller
// added it, else its timeAdded, else (a taint without one) when this
// controller started.
func (c *NodeLifecycle) taintAdded(node string, t *api.Taint) time.Time {
	if t.TimeAdded == nil {
		return c.start
	}
	c.mu.Lock()
	exact, ok := c.added[[2]string{node, t.Key}]
	c.mu.Unlock()
	if ok && exact.UTC().Truncate(time.Second).Equal(t.TimeAdded.Time) {
		return exact
	}
	return t.TimeAdded.Time
}

func (c *NodeLifecycle) deletePod(ctx context.Context, pod *api.Pod, force bool) error {
	opts := DeleteOptions{UID: pod.UID}
	if force {
		zero := int64(0)
		opts.GracePeriodSeconds = &zero
	}
	err := c.env.Writer.Delete(ctx, c.podRes, pod.Namespace, pod.Name, opts)
	switch r := api.ReasonOf(err); {
	case err == nil:
	case r == api.ReasonNotFound || r == api.ReasonConflict:
		return nil // gone already, or a new pod of the same name
	default:
		return fmt.Errorf("evicting pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	c.env.Log.Info("evicted pod from tainted node", "pod", pod.Namespace+"/"+pod.Name, "node", pod.Spec.NodeName, "force", force)
	c.record(pod, "Normal", "TaintManagerEviction", "Marking for deletion Pod "+pod.Namespace+"/"+pod.Name)
	return nil
}

func (c *NodeLifecycle) record(obj api.Object, typ, reason, msg string) {
	if c.env.Events != nil {
		c.env.Events.Record(obj, typ, reason, msg)
	}
}
