package client

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	goruntime "runtime"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/runtime"
)

// nodeState is what the agent knows of its Node.
type nodeState struct {
	cidr   netip.Prefix // the leader-assigned pod CIDR
	hostIP string       // the InternalIP
}

var nodeRes = mustResource("Node")

func mustResource(kind string) *api.Resource {
	res, ok := api.ResourceForKind(kind)
	if !ok {
		// Every kind named here is registered by package api's init; a typo is
		// caught by the first test run.
		panic("client: unknown kind " + kind)
	}
	return res
}

// register creates the Node, or updates it after a restart, retrying until the
// API answers or ctx ends.
func (a *Agent) register(ctx context.Context) error {
	return retryUntil(ctx, time.Second, func() error {
		info, err := a.rt.Info(ctx)
		if err != nil {
			return fmt.Errorf("runtime info: %w", err)
		}
		return a.apis.do(ctx, func(c *api.Client) error { return a.upsertNode(ctx, c, info) })
	}, a.log, "register node")
}

func (a *Agent) upsertNode(ctx context.Context, c *api.Client, info runtime.NodeInfo) error {
	want := a.desiredNode(info)
	obj, err := c.Get(ctx, nodeRes, "", a.cfg.Name, api.GetOptions{Consistent: true})
	switch {
	case api.ReasonOf(err) == api.ReasonNotFound:
		if obj, err = c.Create(ctx, want); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		cur := obj.(*api.Node)
		if cur.Labels == nil {
			cur.Labels = map[string]string{}
		}
		maps.Copy(cur.Labels, want.Labels)
		if obj, err = c.Update(ctx, cur); err != nil {
			return err
		}
	}
	node := obj.(*api.Node)
	node.Status = want.Status
	_, err = c.UpdateStatus(ctx, node)
	return err
}

// desiredNode is the Node as this agent reports it (contract 1).
func (a *Agent) desiredNode(info runtime.NodeInfo) *api.Node {
	return buildNode(a.cfg, a.cfg.Name, a.clientPort(), info)
}

// buildNode is the Node called name as an agent with cfg reports it, with its
// client endpoint on port; the real agent and hollow nodes share it.
func buildNode(cfg Config, name string, port int, info runtime.NodeInfo) *api.Node {
	labels := map[string]string{
		"kubernetes.io/hostname": name,
		"kubernetes.io/os":       goruntime.GOOS,
		"kubernetes.io/arch":     goruntime.GOARCH,
	}
	maps.Copy(labels, cfg.NodeLabels)
	maxPods := int64(info.MaxPods)
	if maxPods <= 0 {
		maxPods = 110
	}
	capacity := api.ResourceList{
		api.ResourceCPU:    api.NewQuantity(int64(info.CPUs), api.DecimalSI),
		api.ResourceMemory: api.NewQuantity(info.MemoryBytes, api.BinarySI),
		api.ResourcePods:   api.NewQuantity(maxPods, api.DecimalSI),
	}
	now := api.NewTime(time.Now())
	hostname := info.Hostname
	if hostname == "" {
		hostname = name
	}
	n := &api.Node{
		TypeMeta:   api.TypeMeta{APIVersion: "v1", Kind: "Node"},
		ObjectMeta: api.ObjectMeta{Name: name, Labels: labels},
	}
	n.Status = api.NodeStatus{
		Capacity:    capacity,
		Allocatable: maps.Clone(capacity),
		Phase:       "Running",
		Conditions: []api.NodeCondition{{
			Type: api.NodeReady, Status: api.ConditionTrue, Reason: "BerthClientReady",
			Message: "berth client is posting ready status", LastHeartbeatTime: now, LastTransitionTime: now,
		}},
		Addresses: []api.NodeAddress{
			{Type: "InternalIP", Address: cfg.advertise()},
			{Type: "Hostname", Address: hostname},
		},
		DaemonEndpoints: api.NodeDaemonEndpoints{KubeletEndpoint: api.DaemonEndpoint{Port: int32(port)}},
		NodeInfo: api.NodeSystemInfo{
			KernelVersion: info.KernelVersion, OSImage: info.OSImage,
			ContainerRuntimeVersion: info.EngineVersion, KubeletVersion: cfg.Version,
			OperatingSystem: goruntime.GOOS, Architecture: goruntime.GOARCH,
		},
	}
	for _, im := range info.Images {
		if len(im.Names) > 0 {
			n.Status.Images = append(n.Status.Images, api.ContainerImage{Names: im.Names, SizeBytes: im.SizeBytes})
		}
	}
	return n
}

func (a *Agent) clientPort() int {
	_, port, _ := splitHostPort(a.ClientAddr())
	return port
}

// waitPodCIDR polls the Node until the leader has assigned its pod CIDR.
func (a *Agent) waitPodCIDR(ctx context.Context) error {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		var node *api.Node
		err := a.apis.do(ctx, func(c *api.Client) error {
			obj, err := c.Get(ctx, nodeRes, "", a.cfg.Name, api.GetOptions{})
			if err == nil {
				node = obj.(*api.Node)
			}
			return err
		})
		if err == nil && node.Spec.PodCIDR != "" {
			p, perr := netip.ParsePrefix(node.Spec.PodCIDR)
			if perr != nil || !p.Addr().Is4() || p.Bits() > 30 {
				return fmt.Errorf("%w: unusable %q", ErrNoPodCIDR, node.Spec.PodCIDR)
			}
			a.mu.Lock()
			a.node = nodeState{cidr: p.Masked(), hostIP: a.cfg.advertise()}
			a.mu.Unlock()
			a.log.Info("node registered", "podCIDR", p.Masked())
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", ErrNoPodCIDR, ctx.Err())
		case <-tick.C:
		}
	}
}

// heartbeatLoop refreshes the Ready condition every StatusInterval. The agent
// is Ready while the last heartbeat succeeded.
func (a *Agent) heartbeatLoop(ctx context.Context) {
	a.ready.Store(true)
	tick := time.NewTicker(a.cfg.StatusInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		err := a.apis.do(ctx, func(c *api.Client) error { return a.heartbeat(ctx, c) })
		if err != nil && ctx.Err() == nil {
			a.log.Warn("node heartbeat failed", "err", err)
		}
		a.ready.Store(err == nil)
	}
}

func (a *Agent) heartbeat(ctx context.Context, c *api.Client) error {
	obj, err := c.Get(ctx, nodeRes, "", a.cfg.Name, api.GetOptions{})
	if api.ReasonOf(err) == api.ReasonNotFound {
		// Deleted by an operator: register again (the leader assigns a CIDR anew).
		info, ierr := a.rt.Info(ctx)
		if ierr != nil {
			return ierr
		}
		return a.upsertNode(ctx, c, info)
	}
	if err != nil {
		return err
	}
	node := obj.(*api.Node)
	now := api.NewTime(time.Now())
	found := false
	for i := range node.Status.Conditions {
		cond := &node.Status.Conditions[i]
		if cond.Type != api.NodeReady {
			continue
		}
		found = true
		if cond.Status != api.ConditionTrue {
			cond.LastTransitionTime = now
		}
		cond.Status, cond.Reason, cond.LastHeartbeatTime = api.ConditionTrue, "BerthClientReady", now
		cond.Message = "berth client is posting ready status"
	}
	if !found {
		node.Status.Conditions = append(node.Status.Conditions, api.NodeCondition{
			Type: api.NodeReady, Status: api.ConditionTrue, Reason: "BerthClientReady",
			LastHeartbeatTime: now, LastTransitionTime: now,
		})
	}
	_, err = c.UpdateStatus(ctx, node)
	return err
}

// podCIDR returns the node's pod CIDR (valid after waitPodCIDR).
func (a *Agent) podCIDR() netip.Prefix {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.node.cidr
}
