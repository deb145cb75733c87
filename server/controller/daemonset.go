package controller

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// DaemonSetController runs one pod of each DaemonSet on every node the set's pods
// should run on: the node matches the template's nodeSelector and required node
// affinity, and its NoSchedule and NoExecute taints are tolerated (the controller
// adds to every daemon pod the tolerations Kubernetes adds, so cordoned, not-ready
// and unreachable nodes keep their daemons). A node that stops fitting loses its pod
// only when a NoExecute taint or the selector says so, as in Kubernetes.
//
// Placement goes through the scheduler, as in Kubernetes: each pod carries a
// required node affinity on the node's metadata.name (Berth's scheduler honours
// matchFields), so resources, ports and priority are checked and preemption works.
// The scheduler does not bind to a node that is not Ready, so a daemon pod for such a
// node waits Pending until the node is.
//
// A template change rolls out node by node: with maxSurge 0 the old pod is deleted
// first, at most maxUnavailable nodes at a time; with maxSurge the new pod starts
// beside the old one, which goes once the new one is available. OnDelete replaces a
// pod only when the user deletes it.
type DaemonSetController struct {
	env Env
	// Workers is the number of DaemonSets reconciled at once.
	Workers int

	dsRes, podRes, nodeRes *api.Resource
	now                    func() time.Time

	// Per run (a new leadership term starts a new run).
	adoption // queue, orphan pods, selectors
	mu       sync.Mutex
	nodes    map[string]string // node name → what of it placement depends on
}

// NewDaemonSetController builds the controller with 2 workers.
func NewDaemonSetController(env Env) *DaemonSetController {
	c := &DaemonSetController{env: env, Workers: 2, now: time.Now}
	c.dsRes, _ = api.ResourceForKind("DaemonSet")
	c.podRes, _ = api.ResourceForKind("Pod")
	c.nodeRes, _ = api.ResourceForKind("Node")
	return c
}

var _ Controller = (*DaemonSetController)(nil)

// Name implements Controller.
func (c *DaemonSetController) Name() string { return "daemonset" }

// Run implements Controller: it watches DaemonSets, pods and nodes and reconciles
// until ctx ends.
func (c *DaemonSetController) Run(ctx context.Context) error {
	c.adoption = newAdoption(c.env.Store, c.dsRes, func(o api.Object) *api.LabelSelector {
		if ds, ok := o.(*api.DaemonSet); ok {
			return ds.Spec.Selector
		}
		return nil
	})
	c.nodes = map[string]string{}
	inf := NewInformer(c.env.Store, c.env.Log).
		On("DaemonSet", c.onOwner).
		On("Pod", c.onDependent).
		On("Node", c.onNode)
	inf.runAndProcess(ctx, c.queue, c.Workers, c.sync, "daemonset", "daemonset")
	return nil
}

// onNode queues every DaemonSet when a node appears, goes, or changes what
// placement reads (labels, taints, unschedulable); heartbeats change none of it and
// queue nothing.
func (c *DaemonSetController) onNode(typ raftfsm.EventType, rec *raftfsm.Record) {
	n, ok := rec.Object.(*api.Node)
	if !ok {
		return
	}
	c.mu.Lock()
	prev, seen := c.nodes[n.Name]
	fp := dsNodeFingerprint(n)
	if typ == raftfsm.Deleted {
		delete(c.nodes, n.Name)
	} else {
		c.nodes[n.Name] = fp
	}
	c.mu.Unlock()
	if typ != raftfsm.Deleted && seen && prev == fp {
		return
	}
	recs, _ := c.env.Store.List(c.dsRes, "")
	for _, r := range recs {
		c.queue.Add(KeyOf(r.Object))
	}
}

// dsNodeFingerprint is what of a node decides which daemon pods it runs.
func dsNodeFingerprint(n *api.Node) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(n.Labels)) {
		fmt.Fprintf(&b, "%s=%s,", k, n.Labels[k])
	}
	b.WriteByte('|')
	for _, t := range n.Spec.Taints {
		fmt.Fprintf(&b, "%s=%s:%s,", t.Key, t.Value, t.Effect)
	}
	fmt.Fprintf(&b, "|%t", n.Spec.Unschedulable)
	return b.String()
}

func (c *DaemonSetController) event(obj api.Object, eventType, reason, message string) {
	recordEvent(c.env, obj, eventType, reason, message)
}
