package scheduler

import "math"

// filterResources is NodeResourcesFit's filter: requests (plus the room nominated
// preemptors of at least this priority hold) against allocatable. Like Kubernetes,
// a resource the pod does not request is not checked.
func filterResources(cs *cycleState, n *nodeInfo) []string {
	pi := cs.pi
	used, nominated := n.requested, int64(0)
	if len(n.nominated) > 0 {
		extra, count := n.nominatedRequests(pi)
		used.add(extra)
		nominated = count
	}
	var out []string
	if int64(len(n.pods))+nominated+1 > n.allocPods {
		out = append(out, ReasonTooManyPods)
	}
	if pi.req.milliCPU > 0 && pi.req.milliCPU > n.alloc.milliCPU-used.milliCPU {
		out = append(out, ReasonInsufficientCPU)
	}
	if pi.req.memory > 0 && pi.req.memory > n.alloc.memory-used.memory {
		out = append(out, ReasonInsufficientMemory)
	}
	return out
}

// filterPorts is NodePorts: no host port of the pod may clash with one in use.
func filterPorts(cs *cycleState, n *nodeInfo) []string {
	for _, want := range cs.pi.ports {
		for _, used := range n.ports {
			if want.conflicts(used) {
				return failNodePorts
			}
		}
	}
	return nil
}

// Scoring strategies of NodeResourcesFit.
const (
	LeastAllocated = "LeastAllocated"
	MostAllocated  = "MostAllocated"
)

// scoreLeastAllocated favours emptier nodes: the mean over cpu and memory of the
// free share after placing the pod, on non-zero requests.
func scoreLeastAllocated(cs *cycleState, n *nodeInfo) int64 {
	cpu := leastRequested(n.nonzero.milliCPU+cs.pi.nonzero.milliCPU, n.alloc.milliCPU)
	mem := leastRequested(n.nonzero.memory+cs.pi.nonzero.memory, n.alloc.memory)
	return (cpu + mem) / 2
}

func leastRequested(requested, capacity int64) int64 {
	if capacity <= 0 || requested > capacity {
		return 0
	}
	return (capacity - requested) * maxNodeScore / capacity
}

// scoreMostAllocated favours fuller nodes (bin packing).
func scoreMostAllocated(cs *cycleState, n *nodeInfo) int64 {
	cpu := mostRequested(n.nonzero.milliCPU+cs.pi.nonzero.milliCPU, n.alloc.milliCPU)
	mem := mostRequested(n.nonzero.memory+cs.pi.nonzero.memory, n.alloc.memory)
	return (cpu + mem) / 2
}

func mostRequested(requested, capacity int64) int64 {
	if capacity <= 0 {
		return 0
	}
	return min(requested, capacity) * maxNodeScore / capacity
}

// scoreBalanced is BalancedAllocation: 100 × (1 − standard deviation of the cpu
// and memory shares), on real requests as Kubernetes does, so nodes whose two
// resources fill evenly win.
func scoreBalanced(cs *cycleState, n *nodeInfo) int64 {
	var fr [2]float64
	k := 0
	for _, p := range [2][2]int64{
		{n.requested.milliCPU + cs.pi.req.milliCPU, n.alloc.milliCPU},
		{n.requested.memory + cs.pi.req.memory, n.alloc.memory},
	} {
		if p[1] <= 0 {
			continue
		}
		fr[k] = math.Min(float64(p[0])/float64(p[1]), 1)
		k++
	}
	std := 0.0
	if k == 2 {
		std = math.Abs(fr[0]-fr[1]) / 2
	}
	return int64((1 - std) * maxNodeScore)
}
