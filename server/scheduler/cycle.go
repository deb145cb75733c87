package scheduler

import (
	"hash/fnv"
	"slices"

	"github.com/berth-dev/berth/api"
)

// cycleState is what one pod's scheduling attempt computes once and every node's
// filter and score read.
type cycleState struct {
	pi                *podInfo
	nodeAff           *nodeAffinity
	preferTolerations []api.Toleration
	interPod          *interPodState
	spreadCons        []spreadConstraint
	spreadFilter      *spreadFilter
	spreadScore       *spreadScore
	interPodScore     *interPodScore
	totalNodes        int
	imageNodes        map[string]int
}

// global reports whether the state depends on pods other than the node's own, so
// preemption must recompute it without the victims.
func (cs *cycleState) global() bool { return cs.interPod != nil || cs.spreadFilter != nil }

type filterPlugin struct {
	name       string
	fn         func(*cycleState, *nodeInfo) []string
	resolvable bool // preemption can make the node pass by removing pods
}

type scorePlugin struct {
	name   string
	weight int64
	// prepare readies the plugin for this pod; false when its score would be the
	// same on every node, so it cannot change the choice and is skipped.
	prepare   func(c *Cache, cs *cycleState, feasible []*nodeInfo) bool
	score     func(cs *cycleState, i int, n *nodeInfo) int64
	normalize func(cs *cycleState, scores []int64) // nil: none
}

func (s *Scheduler) newCycleState(pi *podInfo, removed map[*podInfo]bool) *cycleState {
	c := s.cache
	cs := &cycleState{
		pi: pi, nodeAff: newNodeAffinity(&pi.pod.Spec),
		preferTolerations: preferNoScheduleTolerations(pi.pod.Spec.Tolerations),
		totalNodes:        len(c.nodes), imageNodes: c.imageNodes,
	}
	if s.cfg.Plugins.InterPodAffinity.Enabled {
		cs.interPod = prepareInterPod(c, pi, removed)
	}
	if s.cfg.Plugins.PodTopologySpread.Enabled {
		cs.spreadCons = spreadConstraints(pi)
		cs.spreadFilter = prepareSpreadFilter(c, cs, cs.spreadCons, removed)
	}
	return cs
}

// runFilters runs the filters in order and stops at the first that fails, as
// Kubernetes does; resolvable says whether that filter is one preemption can fix.
func (s *Scheduler) runFilters(cs *cycleState, n *nodeInfo) (reasons []string, resolvable bool) {
	for i := range s.filters {
		if r := s.filters[i].fn(cs, n); r != nil {
			return r, s.filters[i].resolvable
		}
	}
	return nil, false
}

// numFeasibleToFind is how many feasible nodes are enough (Kubernetes'
// percentageOfNodesToScore): below 100 nodes all of them; otherwise the configured
// share, or adaptively 50% minus 1% per 125 nodes with a floor of 5%, and never
// fewer than 100.
func numFeasibleToFind(numNodes int, pct int32) int {
	const minFeasible = 100
	if numNodes <= minFeasible || pct >= 100 {
		return numNodes
	}
	p := int(pct)
	if p == 0 {
		p = max(50-numNodes/125, 5)
	}
	return max(numNodes*p/100, minFeasible)
}

// findNode filters the nodes (from a rotating start, stopping once enough are
// feasible) and scores the feasible ones. It returns nil and the diagnosis when
// none is feasible.
func (s *Scheduler) findNode(cs *cycleState) (*nodeInfo, *diagnosis) {
	nodes := s.cache.nodes
	if len(nodes) == 0 {
		return nil, newDiagnosis()
	}
	want := numFeasibleToFind(len(nodes), s.cfg.PercentageOfNodesToScore)
	feasible := make([]*nodeInfo, 0, min(want, 256))
	var diag *diagnosis
	start, processed := s.nextStart%len(nodes), 0
	for processed < len(nodes) && len(feasible) < want {
		n := nodes[(start+processed)%len(nodes)]
		processed++
		reasons, resolvable := s.runFilters(cs, n)
		if reasons == nil {
			feasible = append(feasible, n)
			continue
		}
		if diag == nil {
			diag = newDiagnosis()
		}
		diag.record(n, reasons, resolvable)
	}
	s.nextStart = (start + processed) % len(nodes)
	switch len(feasible) {
	case 0:
		return nil, diag
	case 1:
		return feasible[0], nil
	}
	return s.pickBest(cs, feasible), nil
}

// pickBest sums the weighted, normalised scores and takes the highest; ties go to
// the node a hash of the pod picks among them, so equal nodes share the load
// deterministically.
func (s *Scheduler) pickBest(cs *cycleState, feasible []*nodeInfo) *nodeInfo {
	total := make([]int64, len(feasible))
	scores := make([]int64, len(feasible))
	for _, p := range s.scores {
		if !p.prepare(s.cache, cs, feasible) {
			continue
		}
		for i, n := range feasible {
			scores[i] = p.score(cs, i, n)
		}
		if p.normalize != nil {
			p.normalize(cs, scores)
		}
		for i := range total {
			total[i] += p.weight * scores[i]
		}
	}
	best := slices.Max(total)
	ties := 0
	for _, t := range total {
		if t == best {
			ties++
		}
	}
	h := fnv.New32a()
	h.Write([]byte(cs.pi.uid))
	pick := int(h.Sum32() % uint32(ties))
	for i, t := range total {
		if t == best {
			if pick == 0 {
				return feasible[i]
			}
			pick--
		}
	}
	return feasible[0] // unreachable: pick < ties
}
