package scheduler

// topoPair is one topology domain: a node label key and its value.
type topoPair struct{ key, value string }

// interPodState is InterPodAffinity's per-pod view of the cluster: how many
// matching pods each topology domain holds.
type interPodState struct {
	existingAnti map[topoPair]int // domains where an existing pod's anti-affinity forbids the pod
	affinity     map[topoPair]int // pods matching all the pod's required affinity terms
	anti         map[topoPair]int // pods matching one of its required anti-affinity terms
	selfMatch    bool             // the pod matches all its own affinity terms
}

// prepareInterPod counts domains, skipping removed pods (preemption's victims);
// nil when neither the pod nor any existing pod has a required term that applies.
func prepareInterPod(c *Cache, pi *podInfo, removed map[*podInfo]bool) *interPodState {
	st := &interPodState{existingAnti: map[topoPair]int{}}
	for _, pp := range c.withAffinity {
		if removed[pp.pi] {
			continue
		}
		for i := range pp.pi.reqAnti {
			t := &pp.pi.reqAnti[i]
			if v, ok := pp.n.labels[t.topologyKey]; ok && t.matches(pi) {
				st.existingAnti[topoPair{t.topologyKey, v}]++
			}
		}
	}
	if len(pi.reqAffinity)+len(pi.reqAnti) == 0 {
		if len(st.existingAnti) == 0 {
			return nil
		}
		return st
	}
	st.affinity, st.anti = map[topoPair]int{}, map[topoPair]int{}
	st.selfMatch = matchesAll(pi.reqAffinity, pi)
	for _, n := range c.nodes {
		for _, q := range n.pods {
			if !removed[q] {
				st.countPod(pi, q, n)
			}
		}
	}
	return st
}

func (st *interPodState) countPod(pi, q *podInfo, n *nodeInfo) {
	labels := n.labels
	if len(pi.reqAffinity) > 0 && matchesAll(pi.reqAffinity, q) {
		for _, t := range pi.reqAffinity {
			if v, ok := labels[t.topologyKey]; ok {
				st.affinity[topoPair{t.topologyKey, v}]++
			}
		}
	}
	for i := range pi.reqAnti {
		t := &pi.reqAnti[i]
		if v, ok := labels[t.topologyKey]; ok && t.matches(q) {
			st.anti[topoPair{t.topologyKey, v}]++
		}
	}
}

func matchesAll(terms []affinityTerm, q *podInfo) bool {
	for i := range terms {
		if !terms[i].matches(q) {
			return false
		}
	}
	return true
}

var (
	failExistingAnti = []string{ReasonExistingAntiAffinity}
	failPodAffinity  = []string{ReasonPodAffinity}
	failPodAnti      = []string{ReasonPodAntiAffinity}
)

// filterInterPod is InterPodAffinity's filter, checked in Kubernetes' order:
// existing pods' anti-affinity, then the pod's affinity, then its anti-affinity.
func filterInterPod(cs *cycleState, n *nodeInfo) []string {
	st := cs.interPod
	if st == nil {
		return nil
	}
	labels := n.labels
	for p, count := range st.existingAnti {
		if v, ok := labels[p.key]; ok && v == p.value && count > 0 {
			return failExistingAnti
		}
	}
	if !st.affinityOK(cs.pi, labels) {
		return failPodAffinity
	}
	for _, t := range cs.pi.reqAnti {
		if v, ok := labels[t.topologyKey]; ok && st.anti[topoPair{t.topologyKey, v}] > 0 {
			return failPodAnti
		}
	}
	return nil
}

// affinityOK: every term's domain on this node holds a matching pod; or, for the
// first pod of a group that selects itself, no pod matches anywhere yet. The node
// must carry every term's topology key either way.
func (st *interPodState) affinityOK(pi *podInfo, labels map[string]string) bool {
	found := true
	for _, t := range pi.reqAffinity {
		v, ok := labels[t.topologyKey]
		if !ok {
			return false
		}
		if st.affinity[topoPair{t.topologyKey, v}] <= 0 {
			found = false
		}
	}
	return found || (len(st.affinity) == 0 && st.selfMatch)
}

// interPodScore is InterPodAffinity's preferred score: per domain, the weights of
// the pod's preferred terms that existing pods there match (anti counts negative),
// plus the existing pods' own terms that match the pod.
type interPodScore struct {
	byPair map[topoPair]int64
	keys   []string
}

func prepareInterPodScore(c *Cache, pi *podInfo) *interPodScore {
	if len(pi.prefAffinity)+len(pi.prefAnti) == 0 && len(c.withAffinity) == 0 {
		return nil
	}
	sc := &interPodScore{byPair: map[topoPair]int64{}}
	if len(pi.prefAffinity)+len(pi.prefAnti) > 0 {
		for _, n := range c.nodes {
			for _, q := range n.pods {
				sc.addPod(pi, q, n)
			}
		}
	} else {
		for _, pp := range c.withAffinity {
			sc.addPod(pi, pp.pi, pp.n)
		}
	}
	if len(sc.byPair) == 0 {
		return nil
	}
	return sc
}

func (sc *interPodScore) add(n *nodeInfo, key string, w int64) {
	v, ok := n.labels[key]
	if !ok {
		return
	}
	p := topoPair{key, v}
	if _, seen := sc.byPair[p]; !seen {
		found := false
		for _, k := range sc.keys {
			found = found || k == key
		}
		if !found {
			sc.keys = append(sc.keys, key)
		}
	}
	sc.byPair[p] += w
}

func (sc *interPodScore) addPod(pi, q *podInfo, n *nodeInfo) {
	for _, t := range pi.prefAffinity {
		if t.matches(q) {
			sc.add(n, t.topologyKey, t.weight)
		}
	}
	for _, t := range pi.prefAnti {
		if t.matches(q) {
			sc.add(n, t.topologyKey, -t.weight)
		}
	}
	for _, t := range q.reqAffinity {
		if t.matches(pi) {
			sc.add(n, t.topologyKey, hardPodAffinityWeight)
		}
	}
	for _, t := range q.prefAffinity {
		if t.matches(pi) {
			sc.add(n, t.topologyKey, t.weight)
		}
	}
	for _, t := range q.prefAnti {
		if t.matches(pi) {
			sc.add(n, t.topologyKey, -t.weight)
		}
	}
}

func (sc *interPodScore) score(n *nodeInfo) int64 {
	var s int64
	labels := n.labels
	for _, k := range sc.keys {
		if v, ok := labels[k]; ok {
			s += sc.byPair[topoPair{k, v}]
		}
	}
	return s
}

// normalizeMinMax maps scores onto 0..100 between their minimum and maximum; all
// equal gives 0 (InterPodAffinity's normalisation).
func normalizeMinMax(scores []int64) {
	if len(scores) == 0 {
		return
	}
	lo, hi := scores[0], scores[0]
	for _, s := range scores {
		lo, hi = min(lo, s), max(hi, s)
	}
	for i, s := range scores {
		if hi > lo {
			scores[i] = maxNodeScore * (s - lo) / (hi - lo)
		} else {
			scores[i] = 0
		}
	}
}
