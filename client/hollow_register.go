package client

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"sync"
	"time"

	"github.com/berth-dev/berth/api"
)

// registerAll registers every hollow node, registerConcurrency at a time,
// each retrying until it succeeds or ctx ends.
func (h *Hollow) registerAll(ctx context.Context) error {
	start := time.Now()
	port := 0
	if _, p, err := splitHostPort(h.ClientAddr()); err == nil {
		port = p
	}
	sem := make(chan struct{}, max(1, h.registerConcurrency))
	var wg sync.WaitGroup
	for _, n := range h.nodes {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return ctx.Err()
		}
		wg.Go(func() {
			defer func() { <-sem }()
			err := retryUntil(ctx, time.Second, func() error { return h.register(ctx, n, port) }, h.log, "register hollow node "+n.name)
			if err == nil {
				h.registered.Add(1)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	h.log.Info("hollow nodes registered", "nodes", len(h.nodes), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// register creates n's Node with its status (the leader assigns the pod CIDR
// in the create), or takes over an existing one (a restarted process), then
// wakes the pods that were bound to n before it had a pod CIDR.
func (h *Hollow) register(ctx context.Context, n *hollowNode, port int) error {
	info, err := n.rt.Info(ctx)
	if err != nil {
		return err
	}
	want := buildNode(h.cfg, n.name, port, info)
	var node *api.Node
	err = h.apis.do(ctx, func(c *api.Client) error {
		var err error
		node, err = upsertHollowNode(ctx, c, want)
		return err
	})
	if err != nil {
		return err
	}
	cidr, err := netip.ParsePrefix(node.Spec.PodCIDR)
	if err != nil || !cidr.Addr().Is4() || cidr.Bits() > 30 {
		return fmt.Errorf("%w: node %s has pod CIDR %q", ErrNoPodCIDR, n.name, node.Spec.PodCIDR)
	}
	cidr = cidr.Masked()
	if err := n.rt.EnsureNetwork(ctx, h.cfg.PodNetwork, cidr); err != nil {
		return err
	}
	m, err := newIPAM("", cidr)
	if err != nil {
		return err
	}
	n.mu.Lock()
	if n.ipam == nil || n.cidr != cidr {
		n.cidr, n.ipam = cidr, m
	}
	n.node = node
	parked := n.parked
	n.parked = nil
	n.mu.Unlock()
	for _, uid := range parked {
		h.queue.add(uid)
	}
	return nil
}

// upsertHollowNode creates want, status included, or updates the Node of that
// name (labels merged, status replaced) and returns the stored Node.
func upsertHollowNode(ctx context.Context, c *api.Client, want *api.Node) (*api.Node, error) {
	obj, err := c.Create(ctx, want)
	switch {
	case err == nil:
		if readyCondition(obj.(*api.Node)) != nil {
			return obj.(*api.Node), nil // the create kept the status
		}
	case api.ReasonOf(err) == api.ReasonAlreadyExists:
		if obj, err = c.Get(ctx, nodeRes, "", want.Name, api.GetOptions{Consistent: true}); err != nil {
			return nil, err
		}
		cur := obj.(*api.Node)
		if cur.Labels == nil {
			cur.Labels = map[string]string{}
		}
		maps.Copy(cur.Labels, want.Labels)
		if obj, err = c.Update(ctx, cur); err != nil {
			return nil, err
		}
	default:
		return nil, err
	}
	node := obj.(*api.Node)
	node.Status = want.Status
	node.ResourceVersion = ""
	if obj, err = c.UpdateStatus(ctx, node); err != nil {
		return nil, err
	}
	return obj.(*api.Node), nil
}

// readyCondition returns the Node's Ready condition, nil if none.
func readyCondition(n *api.Node) *api.NodeCondition {
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == api.NodeReady {
			return &n.Status.Conditions[i]
		}
	}
	return nil
}

// heartbeatPeriod is the gap between two heartbeats of the process: the
// interval spread over the nodes, but never more than qps a second. One
// round over every node thus takes max(interval, nodes/qps).
func heartbeatPeriod(interval time.Duration, nodes int, qps float64) time.Duration {
	p := interval / time.Duration(max(1, nodes))
	if qps > 0 {
		p = max(p, time.Duration(float64(time.Second)/qps))
	}
	return max(p, time.Microsecond)
}

// heartbeatLoop refreshes the Ready condition of one node per period, round
// robin, so heartbeats are spread evenly and bounded in rate.
func (h *Hollow) heartbeatLoop(ctx context.Context) {
	tick := time.NewTicker(heartbeatPeriod(h.cfg.StatusInterval, len(h.nodes), h.heartbeatQPS))
	defer tick.Stop()
	sem := make(chan struct{}, max(1, h.heartbeatsInFlight))
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := 0; ; i = (i + 1) % len(h.nodes) {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		n := h.nodes[i]
		n.mu.Lock()
		registered := n.node != nil
		n.mu.Unlock()
		if !registered {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := h.heartbeat(ctx, n); err != nil && ctx.Err() == nil {
				h.log.Warn("hollow node heartbeat failed", "node", n.name, "err", err)
			}
		})
	}
}

// heartbeat writes n's status with a fresh Ready heartbeat. The node owns its
// status, so the write carries no resourceVersion and costs one request; a
// deleted Node is registered anew.
func (h *Hollow) heartbeat(ctx context.Context, n *hollowNode) error {
	n.mu.Lock()
	node := api.DeepCopy(n.node).(*api.Node)
	n.mu.Unlock()
	now := api.NewTime(time.Now())
	cond := readyCondition(node)
	if cond == nil {
		node.Status.Conditions = append(node.Status.Conditions, api.NodeCondition{Type: api.NodeReady})
		cond = &node.Status.Conditions[len(node.Status.Conditions)-1]
	}
	if cond.Status != api.ConditionTrue {
		cond.LastTransitionTime = now
	}
	cond.Status, cond.Reason, cond.LastHeartbeatTime = api.ConditionTrue, "BerthClientReady", now
	cond.Message = "berth client is posting ready status"
	node.ResourceVersion = ""
	var stored api.Object
	err := h.apis.do(ctx, func(c *api.Client) error {
		var err error
		stored, err = c.UpdateStatus(ctx, node)
		return err
	})
	if api.ReasonOf(err) == api.ReasonNotFound {
		h.log.Info("hollow node's Node was deleted; registering again", "node", n.name)
		_, port, _ := splitHostPort(h.ClientAddr())
		return h.register(ctx, n, port)
	}
	if err != nil {
		return err
	}
	n.mu.Lock()
	n.node = stored.(*api.Node)
	n.mu.Unlock()
	return nil
}
