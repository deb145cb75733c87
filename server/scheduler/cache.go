package scheduler

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/berth-dev/berth/api"
)

// defaultAssumeTTL is how long a confirmed binding may stay invisible in snapshots
// before the cache stops counting it: long enough for any commit to show up, short
// enough that a pod deleted meanwhile does not hold room for long.
const defaultAssumeTTL = 30 * time.Second

// assumedPod is a binding the scheduler made that snapshots may not show yet.
type assumedPod struct {
	pi        *podInfo
	node      string
	confirmed bool      // the Binder reported success
	deadline  time.Time // set by Confirm: drop if still unseen by then
}

// Cache holds node infos built from one State snapshot, plus the assume cache: pods
// bound by this scheduler that the snapshot does not show bound yet. It is not safe
// for concurrent use; the Scheduler serialises access.
type Cache struct {
	nodes   []*nodeInfo // sorted by name
	byName  map[string]*nodeInfo
	classes func(string) (int32, bool)
	// withAffinity are the pods on nodes that carry any pod (anti-)affinity term:
	// the only existing pods InterPodAffinity has to look at for most incoming pods.
	withAffinity []placedPod
	imageNodes   map[string]int // normalised image → nodes that have it
	// owners indexes the non-terminating pods of each controller by node, so
	// default spreading counts a zone from the owner's few nodes, not every node.
	owners map[string]map[*nodeInfo]int
	topo   map[string]*topoIndex // by label key, built on first use per refresh

	assumed     map[string]*assumedPod // by pod key
	nominations map[string]nomination  // by pod key

	// Memos keyed by object identity: the store never mutates an object it handed
	// out, so the same pointer means the same content.
	podMemo  map[*api.Pod]*podInfo
	nodeMemo map[*api.Node]*nodeStatic

	now func() time.Time
	ttl time.Duration
}

// nomination is a preemptor waiting for its victims to go.
type nomination struct {
	pi      *podInfo
	node    string
	victims []string // pod keys
}

// NewCache is an empty cache; Refresh fills it.
func NewCache() *Cache {
	return &Cache{
		byName: map[string]*nodeInfo{}, assumed: map[string]*assumedPod{},
		nominations: map[string]nomination{}, podMemo: map[*api.Pod]*podInfo{},
		nodeMemo: map[*api.Node]*nodeStatic{}, now: time.Now, ttl: defaultAssumeTTL,
	}
}

// Refresh rebuilds the node infos from st and lays the still-pending assumed pods
// over it. An assumed pod is dropped once st shows it bound (to any node), once st
// no longer has it, or once a confirmed binding outlives its deadline.
func (c *Cache) Refresh(st State) {
	c.classes = st.PriorityClass
	c.buildNodes(st.Nodes())
	seen := c.addBoundPods(st.Pods())
	now := c.now()
	for key, a := range c.assumed {
		boundNode, exists := seen[key]
		n := c.byName[a.node]
		if !exists || boundNode != "" || n == nil || (a.confirmed && now.After(a.deadline)) {
			delete(c.assumed, key)
			continue
		}
		c.addToNode(n, a.pi)
	}
	c.refreshNominations(seen)
}

func (c *Cache) buildNodes(nodes []*api.Node) {
	memo := make(map[*api.Node]*nodeStatic, len(nodes))
	c.nodes = make([]*nodeInfo, 0, len(nodes))
	c.byName = make(map[string]*nodeInfo, len(nodes))
	c.imageNodes = map[string]int{}
	for _, n := range nodes {
		if n == nil {
			continue
		}
		st := c.nodeMemo[n]
		if st == nil {
			st = newNodeStatic(n)
		}
		memo[n] = st
		ni := newNodeInfo(st)
		c.nodes = append(c.nodes, ni)
		c.byName[ni.name] = ni
		for im := range st.images {
			c.imageNodes[im]++
		}
	}
	c.nodeMemo = memo
	slices.SortFunc(c.nodes, func(a, b *nodeInfo) int { return strings.Compare(a.name, b.name) })
	for i, n := range c.nodes {
		n.idx = i
	}
	c.topo = map[string]*topoIndex{}
	c.withAffinity = nil
	c.owners = map[string]map[*nodeInfo]int{}
}

// addBoundPods adds every bound, non-terminal pod to its node and returns every
// pod's key with the node it is bound to ("" when unbound).
func (c *Cache) addBoundPods(pods []*api.Pod) map[string]string {
	memo := make(map[*api.Pod]*podInfo, len(pods))
	seen := make(map[string]string, len(pods))
	for _, p := range pods {
		if p == nil {
			continue
		}
		key := podKey(p)
		seen[key] = p.Spec.NodeName
		if p.Spec.NodeName == "" || p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed {
			continue
		}
		n := c.byName[p.Spec.NodeName]
		if n == nil {
			continue
		}
		pi := c.podMemo[p]
		if pi == nil {
			pi = newPodInfo(p, c.classes)
		}
		memo[p] = pi
		c.addToNode(n, pi)
	}
	c.podMemo = memo
	return seen
}

// topoIndex numbers the domains of one topology key: dom[node idx] is the node's
// domain, -1 when it lacks the label. Counting by index spares a map lookup per
// node per pod.
type topoIndex struct {
	dom     []int32
	domains int
}

func (c *Cache) topology(key string) *topoIndex {
	if ti := c.topo[key]; ti != nil {
		return ti
	}
	ti := &topoIndex{dom: make([]int32, len(c.nodes))}
	ids := map[string]int32{}
	for i, n := range c.nodes {
		v, ok := n.labels[key]
		if !ok {
			ti.dom[i] = -1
			continue
		}
		id, seen := ids[v]
		if !seen {
			id = int32(len(ids))
			ids[v] = id
		}
		ti.dom[i] = id
	}
	ti.domains = len(ids)
	c.topo[key] = ti
	return ti
}

// placedPod is a pod with the node it counts on.
type placedPod struct {
	pi *podInfo
	n  *nodeInfo
}

func (c *Cache) addToNode(n *nodeInfo, pi *podInfo) {
	n.addPod(pi)
	if pi.owner != "" && !pi.terminating {
		m := c.owners[pi.owner]
		if m == nil {
			m = map[*nodeInfo]int{}
			c.owners[pi.owner] = m
		}
		m[n]++
	}
	if pi.hasAffinity() {
		c.withAffinity = append(c.withAffinity, placedPod{pi, n})
	}
}

func (c *Cache) removeFromNode(n *nodeInfo, pi *podInfo) {
	if !n.removePod(pi) {
		return
	}
	if m := c.owners[pi.owner]; m != nil && !pi.terminating {
		if m[n]--; m[n] <= 0 {
			delete(m, n)
		}
	}
	if pi.hasAffinity() {
		if i := slices.Index(c.withAffinity, placedPod{pi, n}); i >= 0 {
			c.withAffinity = slices.Delete(c.withAffinity, i, i+1)
		}
	}
}

// podInfo derives (or recalls) the scheduler's view of pod.
func (c *Cache) podInfo(pod *api.Pod) *podInfo {
	if pi := c.podMemo[pod]; pi != nil {
		return pi
	}
	return newPodInfo(pod, c.classes)
}

// Assume counts pod on node from now on, before its binding is committed.
func (c *Cache) Assume(pod *api.Pod, node string) error {
	return c.assume(c.podInfo(pod), node)
}

func (c *Cache) assume(pi *podInfo, node string) error {
	n := c.byName[node]
	if n == nil {
		return fmt.Errorf("%w: node %q is not in the snapshot", ErrBind, node)
	}
	c.forget(pi.uid)
	c.assumed[pi.uid] = &assumedPod{pi: pi, node: node}
	c.addToNode(n, pi)
	return nil
}

// Forget undoes Assume: the binding failed, the pod no longer counts on its node.
func (c *Cache) Forget(pod *api.Pod) { c.forget(podKey(pod)) }

func (c *Cache) forget(key string) {
	a := c.assumed[key]
	if a == nil {
		return
	}
	delete(c.assumed, key)
	if n := c.byName[a.node]; n != nil {
		c.removeFromNode(n, a.pi)
	}
}

// Confirm records that the pod's binding committed: it keeps counting until a
// snapshot shows it bound, or at most the assume TTL.
func (c *Cache) Confirm(pod *api.Pod) {
	if a := c.assumed[podKey(pod)]; a != nil {
		a.confirmed = true
		a.deadline = c.now().Add(c.ttl)
	}
}

// IsAssumed reports whether pod is assumed and not yet seen bound.
func (c *Cache) IsAssumed(pod *api.Pod) bool { return c.assumed[podKey(pod)] != nil }

// nominate reserves room on node for a preemptor until it is bound or gone.
func (c *Cache) nominate(pi *podInfo, node string, victims []*podInfo) {
	c.clearNomination(pi.uid)
	nm := nomination{pi: pi, node: node}
	for _, v := range victims {
		nm.victims = append(nm.victims, v.uid)
	}
	c.nominations[pi.uid] = nm
	if n := c.byName[node]; n != nil {
		n.nominated = append(n.nominated, pi)
	}
}

func (c *Cache) clearNomination(key string) {
	nm, ok := c.nominations[key]
	if !ok {
		return
	}
	delete(c.nominations, key)
	if n := c.byName[nm.node]; n != nil {
		if i := slices.Index(n.nominated, nm.pi); i >= 0 {
			n.nominated = slices.Delete(n.nominated, i, i+1)
		}
	}
}

// refreshNominations drops those whose pod is bound or gone and re-attaches the rest.
func (c *Cache) refreshNominations(seen map[string]string) {
	for key, nm := range c.nominations {
		bound, exists := seen[key]
		n := c.byName[nm.node]
		if !exists || bound != "" || n == nil {
			delete(c.nominations, key)
			continue
		}
		n.nominated = append(n.nominated, nm.pi)
	}
}

// victimsPending reports whether a nominated pod still waits for one of its victims.
func (c *Cache) victimsPending(key string) bool {
	nm, ok := c.nominations[key]
	if !ok {
		return false
	}
	n := c.byName[nm.node]
	if n == nil {
		return false
	}
	for _, p := range n.pods {
		if slices.Contains(nm.victims, p.uid) {
			return true
		}
	}
	return false
}
