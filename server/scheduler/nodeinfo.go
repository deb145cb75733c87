package scheduler

import (
	"slices"

	"github.com/berth-dev/berth/api"
)

// nodeStatic is what a node object alone determines; it is reused across refreshes
// while the node object (shared, never mutated, by the store) stays the same.
type nodeStatic struct {
	node *api.Node
	// Copies of the node's hot fields, so a filter pass reads one struct.
	labels        map[string]string
	taints        []api.Taint
	unschedulable bool
	alloc         resources
	allocPods     int64
	ready         bool
	images        map[string]int64 // normalised image name → size in bytes
}

func newNodeStatic(n *api.Node) *nodeStatic {
	l := n.Status.Allocatable
	if len(l) == 0 { // a node that reports only capacity
		l = n.Status.Capacity
	}
	st := &nodeStatic{node: n, alloc: resources{l.Cpu().MilliValue(), l.Memory().Value()},
		labels: n.Labels, taints: n.Spec.Taints, unschedulable: n.Spec.Unschedulable}
	st.allocPods = defaultPodsPerNode
	if q, ok := l[api.ResourcePods]; ok {
		st.allocPods = q.Value()
	}
	for _, c := range n.Status.Conditions {
		if c.Type == api.NodeReady {
			st.ready = c.Status == api.ConditionTrue
		}
	}
	if len(n.Status.Images) > 0 {
		st.images = make(map[string]int64, len(n.Status.Images))
		for _, im := range n.Status.Images {
			for _, name := range im.Names {
				st.images[normalizeImage(name)] = im.SizeBytes
			}
		}
	}
	return st
}

// nodeInfo is one node with the pods that count on it: bound, assumed, and (for
// resources only) nominated pods of higher priority.
type nodeInfo struct {
	*nodeStatic
	name      string
	idx       int       // position in Cache.nodes
	requested resources // sum of real requests, for filtering
	nonzero   resources // sum with non-zero defaults, for scoring
	pods      []*podInfo
	ports     []hostPort
	owners    map[string]int // controller uid → non-terminating pods here
	nominated []*podInfo
}

func newNodeInfo(st *nodeStatic) *nodeInfo {
	return &nodeInfo{nodeStatic: st, name: st.node.Name}
}

func (n *nodeInfo) addPod(pi *podInfo) {
	n.pods = append(n.pods, pi)
	n.requested.add(pi.req)
	n.nonzero.add(pi.nonzero)
	n.ports = append(n.ports, pi.ports...)
	if pi.owner != "" && !pi.terminating {
		if n.owners == nil {
			n.owners = make(map[string]int)
		}
		n.owners[pi.owner]++
	}
}

// removePod takes pi off the node; false when it was not there.
func (n *nodeInfo) removePod(pi *podInfo) bool {
	i := slices.Index(n.pods, pi)
	if i < 0 {
		return false
	}
	n.pods = slices.Delete(n.pods, i, i+1)
	n.requested.sub(pi.req)
	n.nonzero.sub(pi.nonzero)
	for _, p := range pi.ports {
		if j := slices.Index(n.ports, p); j >= 0 {
			n.ports = slices.Delete(n.ports, j, j+1)
		}
	}
	if pi.owner != "" && !pi.terminating {
		n.owners[pi.owner]--
	}
	return true
}

// without is a copy of n minus the removed pods (preemption's simulation).
func (n *nodeInfo) without(removed map[*podInfo]bool) *nodeInfo {
	c := newNodeInfo(n.nodeStatic)
	c.nominated = n.nominated
	for _, p := range n.pods {
		if !removed[p] {
			c.addPod(p)
		}
	}
	return c
}

// nominatedRequests sums the pods nominated to this node that pi must leave room
// for: those of priority at least its own, other than itself.
func (n *nodeInfo) nominatedRequests(pi *podInfo) (resources, int64) {
	var r resources
	var count int64
	for _, q := range n.nominated {
		if q.uid != pi.uid && q.priority >= pi.priority {
			r.add(q.req)
			count++
		}
	}
	return r, count
}
