package scheduler

import (
	"math"

	"github.com/berth-dev/berth/api"
)

// spreadConstraint is a parsed TopologySpreadConstraint, or one of the default
// constraints that spread one owner's pods (matching by controller uid stands in
// for Kubernetes' selector of the owning workload).
type spreadConstraint struct {
	key          string
	maxSkew      int64
	hard         bool // DoNotSchedule: a filter; otherwise a score
	minDomains   int
	sel          api.Selector
	extra        map[string]string // matchLabelKeys, with the pod's values
	ns           string
	owner        string // default constraints: match this controller uid instead
	ignoreAff    bool   // nodeAffinityPolicy: Ignore
	honourTaints bool   // nodeTaintsPolicy: Honor
}

// spreadConstraints are the pod's own constraints, else the defaults when it has
// a controller: hostname (maxSkew 3) and zone (maxSkew 5), both ScheduleAnyway.
func spreadConstraints(pi *podInfo) []spreadConstraint {
	pod := pi.pod
	if len(pod.Spec.TopologySpreadConstraints) == 0 {
		if pi.owner == "" {
			return nil
		}
		return []spreadConstraint{
			{key: labelHostname, maxSkew: defaultSpreadHostSkew, owner: pi.owner},
			{key: labelZone, maxSkew: defaultSpreadZoneSkew, owner: pi.owner},
		}
	}
	out := make([]spreadConstraint, 0, len(pod.Spec.TopologySpreadConstraints))
	for _, t := range pod.Spec.TopologySpreadConstraints {
		sel, err := t.LabelSelector.AsSelector()
		if err != nil {
			sel = api.Nothing()
		}
		c := spreadConstraint{
			key: t.TopologyKey, maxSkew: int64(t.MaxSkew), hard: t.WhenUnsatisfiable == whenUnsatisfiableNoSch,
			sel: sel, ns: pod.Namespace,
			ignoreAff:    t.NodeAffinityPolicy != nil && *t.NodeAffinityPolicy == "Ignore",
			honourTaints: t.NodeTaintsPolicy != nil && *t.NodeTaintsPolicy == "Honor",
		}
		if t.MinDomains != nil {
			c.minDomains = int(*t.MinDomains)
		}
		for _, k := range t.MatchLabelKeys {
			if v, ok := pod.Labels[k]; ok {
				if c.extra == nil {
					c.extra = map[string]string{}
				}
				c.extra[k] = v
			}
		}
		out = append(out, c)
	}
	return out
}

// matches reports whether q counts for the constraint; terminating pods never do.
func (c *spreadConstraint) matches(q *podInfo) bool {
	if q.terminating {
		return false
	}
	if c.owner != "" {
		return q.owner == c.owner
	}
	if q.pod.Namespace != c.ns || !c.sel.Matches(q.pod.Labels) {
		return false
	}
	for k, v := range c.extra {
		if q.pod.Labels[k] != v {
			return false
		}
	}
	return true
}

func (c *spreadConstraint) countOn(n *nodeInfo) int64 {
	if c.owner != "" {
		return int64(n.owners[c.owner])
	}
	var k int64
	for _, q := range n.pods {
		if c.matches(q) {
			k++
		}
	}
	return k
}

// eligible: the nodes whose pods count, per the constraint's inclusion policies.
func (c *spreadConstraint) eligible(cs *cycleState, n *nodeInfo) bool {
	if !c.ignoreAff && !cs.nodeAff.matches(n) {
		return false
	}
	return !c.honourTaints || filterTaints(cs, n) == nil
}

func hasKeys(cons []spreadConstraint, labels map[string]string) bool {
	for i := range cons {
		if _, ok := labels[cons[i].key]; !ok {
			return false
		}
	}
	return true
}

// spreadFilter holds, per DoNotSchedule constraint, the matching pods per domain
// and the smallest count (the skew baseline).
type spreadFilter struct {
	cons   []spreadConstraint
	counts []map[string]int64
	least  []int64
}

func prepareSpreadFilter(c *Cache, cs *cycleState, all []spreadConstraint, removed map[*podInfo]bool) *spreadFilter {
	sf := &spreadFilter{}
	for _, k := range all {
		if k.hard {
			sf.cons = append(sf.cons, k)
		}
	}
	if len(sf.cons) == 0 {
		return nil
	}
	sf.counts = make([]map[string]int64, len(sf.cons))
	for i := range sf.counts {
		sf.counts[i] = map[string]int64{}
	}
	for _, n := range c.nodes {
		if !hasKeys(sf.cons, n.labels) {
			continue
		}
		if len(removed) > 0 {
			n = n.without(removed)
		}
		for i := range sf.cons {
			k := &sf.cons[i]
			if k.eligible(cs, n) {
				sf.counts[i][n.labels[k.key]] += k.countOn(n)
			}
		}
	}
	sf.least = make([]int64, len(sf.cons))
	for i, m := range sf.counts {
		least := int64(math.MaxInt64)
		for _, v := range m {
			least = min(least, v)
		}
		if len(m) == 0 || len(m) < sf.cons[i].minDomains {
			least = 0
		}
		sf.least[i] = least
	}
	return sf
}

var (
	failSpread        = []string{ReasonSpread}
	failSpreadMissing = []string{ReasonSpreadMissingLabel}
)

// filterSpread is PodTopologySpread's filter: placing the pod must not push its
// domain more than maxSkew above the least populated one.
func filterSpread(cs *cycleState, n *nodeInfo) []string {
	sf := cs.spreadFilter
	if sf == nil {
		return nil
	}
	labels := n.labels
	for i := range sf.cons {
		k := &sf.cons[i]
		v, ok := labels[k.key]
		if !ok {
			return failSpreadMissing
		}
		self := int64(0)
		if k.matches(cs.pi) {
			self = 1
		}
		if sf.counts[i][v]+self-sf.least[i] > k.maxSkew {
			return failSpread
		}
	}
	return nil
}

// spreadScore is PodTopologySpread's score over ScheduleAnyway (or default)
// constraints, computed as Kubernetes does: per node, the matching pods in its
// domains weighted by log(domains+2); fewer is better after normalising. A node
// without a constraint's label adds nothing for it.
type spreadScore struct {
	cons    []spreadConstraint
	ignored []bool       // per feasible node: lacks a key of the pod's own constraints
	topo    []*topoIndex // per constraint; nil for hostname (counted per node)
	counts  [][]int64    // per constraint, per domain; nil where no feasible node is
	weights []float64
}

func prepareSpreadScore(c *Cache, cs *cycleState, all []spreadConstraint, feasible []*nodeInfo) *spreadScore {
	ss := &spreadScore{}
	for _, k := range all {
		if !k.hard {
			ss.cons = append(ss.cons, k)
		}
	}
	if len(ss.cons) == 0 {
		return nil
	}
	requireAll := ss.cons[0].owner == "" // the defaults tolerate a missing zone label
	ss.ignored = make([]bool, len(feasible))
	ss.topo, ss.counts = make([]*topoIndex, len(ss.cons)), make([][]int64, len(ss.cons))
	present := make([][]bool, len(ss.cons))
	for j := range ss.cons {
		if ss.cons[j].key != labelHostname {
			ss.topo[j] = c.topology(ss.cons[j].key)
			present[j] = make([]bool, ss.topo[j].domains)
		}
	}
	sizes, ignored := make([]int, len(ss.cons)), 0
	for i, n := range feasible {
		if requireAll && !hasKeys(ss.cons, n.labels) {
			ss.ignored[i] = true
			ignored++
			continue
		}
		for j, ti := range ss.topo {
			if ti != nil && ti.dom[n.idx] >= 0 && !present[j][ti.dom[n.idx]] {
				present[j][ti.dom[n.idx]] = true
				sizes[j]++
			}
		}
	}
	ss.weights = make([]float64, len(ss.cons))
	for j := range ss.cons {
		if ss.topo[j] == nil {
			sizes[j] = len(feasible) - ignored
		} else {
			ss.counts[j] = make([]int64, ss.topo[j].domains)
		}
		ss.weights[j] = math.Log(float64(sizes[j] + 2))
	}
	ss.countDomains(c, cs, requireAll, present)
	return ss
}

// countDomains adds up the matching pods of every eligible node in the domains
// the feasible nodes span.
func (ss *spreadScore) countDomains(c *Cache, cs *cycleState, requireAll bool, present [][]bool) {
	nodes := c.nodes
	if owner := ss.cons[0].owner; owner != "" { // only the owner's nodes can count
		nodes = make([]*nodeInfo, 0, len(c.owners[owner]))
		for n := range c.owners[owner] {
			nodes = append(nodes, n)
		}
	}
	for _, n := range nodes {
		if requireAll && !hasKeys(ss.cons, n.labels) {
			continue
		}
		for j, ti := range ss.topo {
			if ti == nil || ti.dom[n.idx] < 0 || !present[j][ti.dom[n.idx]] || !ss.cons[j].eligible(cs, n) {
				continue
			}
			ss.counts[j][ti.dom[n.idx]] += ss.cons[j].countOn(n)
		}
	}
}

func (ss *spreadScore) score(i int, n *nodeInfo) int64 {
	if ss.ignored[i] {
		return 0
	}
	var s float64
	for j := range ss.cons {
		k := &ss.cons[j]
		var cnt int64
		if ti := ss.topo[j]; ti == nil {
			if _, ok := n.labels[k.key]; !ok {
				continue
			}
			cnt = k.countOn(n)
		} else {
			d := ti.dom[n.idx]
			if d < 0 {
				continue
			}
			cnt = ss.counts[j][d]
		}
		s += float64(cnt)*ss.weights[j] + float64(k.maxSkew-1)
	}
	return int64(math.Round(s))
}

// normalize flips the scores so the emptiest domain gets 100; ignored nodes get 0.
func (ss *spreadScore) normalize(scores []int64) {
	lo, hi := int64(math.MaxInt64), int64(0)
	for i, s := range scores {
		if !ss.ignored[i] {
			lo, hi = min(lo, s), max(hi, s)
		}
	}
	for i, s := range scores {
		switch {
		case ss.ignored[i]:
			scores[i] = 0
		case hi == 0:
			scores[i] = maxNodeScore
		default:
			scores[i] = maxNodeScore * (hi + lo - s) / hi
		}
	}
}
