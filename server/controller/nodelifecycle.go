package controller

import (
	"context"
	"sync"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// The node lifecycle defaults, Kubernetes' grace and Berth's eviction timeout.
const (
	// DefaultNodeMonitorGracePeriod is Kubernetes' --node-monitor-grace-period:
	// four missed heartbeats of a client posting every 10 s. It only matters for
	// nodes gossip says nothing about (hollow nodes, clients without --join):
	// gossip finds a dead client in 2-3 s.
	DefaultNodeMonitorGracePeriod = 40 * time.Second
	// DefaultPodEvictionTimeout is how long pods stay on a lost node: long
	// enough for a client that restarts (kill -9, then up again) to come back
	// and keep its pods, short enough that they run elsewhere within seconds.
	DefaultPodEvictionTimeout = 5 * time.Second
)

// nodeLifecycleWorkers reconcile nodes at once: a reconcile is a few map reads
// unless it writes, and writes wait on Raft, so a few workers keep a mass
// failure (a hollow process of 5,000 nodes killed) moving.
const nodeLifecycleWorkers = 8

// NodeLifecycleConfig configures the node lifecycle controller.
type NodeLifecycleConfig struct {
	// GracePeriod is how long a node's client may go without a heartbeat before
	// the node is unreachable; a new leader also waits this long before it
	// judges silence. Zero means DefaultNodeMonitorGracePeriod.
	GracePeriod time.Duration
	// PodEvictionTimeout is how long after its node is tainted a pod that does
	// not tolerate the taint is deleted (a toleration's tolerationSeconds wins).
	// Zero means DefaultPodEvictionTimeout.
	PodEvictionTimeout time.Duration
	// Health tells of clients through gossip; nil means heartbeats only.
	Health NodeHealth
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// NodeLifecycle watches nodes' health. A node whose client is lost (dead in
// gossip, its endpoint refusing connections, or silent past the grace) gets
// Ready=Unknown and the NoExecute taint node.berth.io/unreachable; a client's own
// Ready=False gets node.berth.io/not-ready. Pods that do not tolerate a node's
// NoExecute taints are deleted when their time is up (force-deleted from an
// unreachable node: it cannot confirm), and their owners replace them elsewhere.
// When the client posts Ready=True again the taints go.
//
// Each node has its own deadline in the queue (its next silence check or pod
// eviction): a heartbeat costs a map update and nothing else, so thousands of
// nodes are cheap.
type NodeLifecycle struct {
	env     Env
	cfg     NodeLifecycleConfig
	nodeRes *api.Resource
	podRes  *api.Resource

	// Set at the start of Run.
	queue *Queue
	start time.Time

	mu   sync.Mutex
	seen map[string]*nodeSeen
	// added holds the exact time this controller added a taint (timeAdded is
	// stored to the second), by node name and taint key.
	added map[[2]string]time.Time
}

var _ Controller = (*NodeLifecycle)(nil)

// NewNodeLifecycle builds the controller.
func NewNodeLifecycle(env Env, cfg NodeLifecycleConfig) *NodeLifecycle {
	if cfg.GracePeriod <= 0 {
		cfg.GracePeriod = DefaultNodeMonitorGracePeriod
	}
	if cfg.PodEvictionTimeout <= 0 {
		cfg.PodEvictionTimeout = DefaultPodEvictionTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	nodeRes, _ := api.ResourceForKind("Node")
	podRes, _ := api.ResourceForKind("Pod")
	return &NodeLifecycle{env: env, cfg: cfg, nodeRes: nodeRes, podRes: podRes}
}

// Name implements Controller.
func (c *NodeLifecycle) Name() string { return "node-lifecycle" }

// Run implements Controller.
func (c *NodeLifecycle) Run(ctx context.Context) error {
	q := c.reset()

	var wg sync.WaitGroup
	if c.cfg.Health != nil {
		changed := c.cfg.Health.Watch(ctx)
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case name, ok := <-changed:
					if !ok {
						return
					}
					q.Add(name)
				}
			}
		})
	}
	inf := NewInformer(c.env.Store, c.env.Log).On("Node", c.onNode).On("Pod", c.onPod)
	wg.Go(func() { inf.Run(ctx) })
	Process(ctx, q, nodeLifecycleWorkers, c.reconcile, func(key string, err error) {
		c.env.Log.Warn("node lifecycle: reconcile failed", "node", key, "err", err)
	})
	wg.Wait()
	return nil
}

// reset starts a run afresh: nothing a previous leadership saw is trusted.
func (c *NodeLifecycle) reset() *Queue {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.queue, c.start = NewQueue(), c.cfg.Now()
	c.seen, c.added = map[string]*nodeSeen{}, map[[2]string]time.Time{}
	return c.queue
}

// onNode notes a node's heartbeat and queues the node only when something a
// reconcile acts on changed: a first sight, its Ready status or its taints.
func (c *NodeLifecycle) onNode(typ raftfsm.EventType, rec *raftfsm.Record) {
	node, ok := rec.Object.(*api.Node)
	if !ok {
		return
	}
	if typ == raftfsm.Deleted {
		c.mu.Lock()
		delete(c.seen, node.Name)
		delete(c.added, [2]string{node.Name, TaintNodeUnreachable})
		delete(c.added, [2]string{node.Name, TaintNodeNotReady})
		c.mu.Unlock()
		return
	}
	if _, changed := c.observe(node, c.cfg.Now()); changed {
		c.queue.Add(node.Name)
	}
}

// observe records what node shows now and returns the record and whether a
// reconcile should look at it.
func (c *NodeLifecycle) observe(node *api.Node, now time.Time) (nodeSeen, bool) {
	var hb time.Time
	status := ""
	if cond := readyConditionOf(node); cond != nil {
		status = cond.Status
		if cond.LastHeartbeatTime != nil {
			hb = cond.LastHeartbeatTime.Time
		}
	}
	mask := noExecuteMaskOf(node)
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.seen[node.Name]
	if !ok {
		s = &nodeSeen{firstSeen: now, heartbeat: hb, ready: status, taints: mask}
		c.seen[node.Name] = s
		return *s, true
	}
	if !hb.Equal(s.heartbeat) {
		s.heartbeat, s.heardAt = hb, now
	}
	changed := s.ready != status || s.taints != mask
	s.ready, s.taints = status, mask
	return *s, changed
}

// onPod queues a tainted node when one of its pods changes: a pod bound there
// late, or one whose tolerations changed, gets its own eviction time.
func (c *NodeLifecycle) onPod(typ raftfsm.EventType, rec *raftfsm.Record) {
	pod, ok := rec.Object.(*api.Pod)
	if !ok || typ == raftfsm.Deleted || pod.Spec.NodeName == "" {
		return
	}
	c.mu.Lock()
	s := c.seen[pod.Spec.NodeName]
	tainted := s != nil && s.taints&nxAny != 0
	c.mu.Unlock()
	if tainted {
		c.queue.Add(pod.Spec.NodeName)
	}
}

// readyConditionOf returns the node's Ready condition, nil if none.
func readyConditionOf(n *api.Node) *api.NodeCondition {
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == api.NodeReady {
			return &n.Status.Conditions[i]
		}
	}
	return nil
}
