package scheduler

import (
	"context"
	"fmt"
	"slices"

	"github.com/berth-dev/berth/api"
)

// candidate is a node where evicting victims lets the preemptor fit.
type candidate struct {
	n        *nodeInfo
	victims  []*podInfo
	maxPrio  int32
	sumPrio  int64
	hasPrior bool
}

func newCandidate(n *nodeInfo, victims []*podInfo) candidate {
	c := candidate{n: n, victims: victims, hasPrior: true}
	for i, v := range victims {
		if i == 0 || v.priority > c.maxPrio {
			c.maxPrio = v.priority
		}
		c.sumPrio += int64(v.priority)
	}
	return c
}

// better orders candidates: the lowest highest-victim priority, then the fewest
// victims, then the lowest priority sum; the first node by name otherwise.
func (c candidate) better(o candidate) bool {
	if !o.hasPrior {
		return true
	}
	if c.maxPrio != o.maxPrio {
		return c.maxPrio < o.maxPrio
	}
	if len(c.victims) != len(o.victims) {
		return len(c.victims) < len(o.victims)
	}
	return c.sumPrio < o.sumPrio
}

// preempt looks, for a pod that fits nowhere, for the node where evicting the
// fewest pods of strictly lower priority makes it fit (every filter still holds
// after the removal), evicts them and nominates the node. It notes in fe why it
// did not, when it does not.
func (s *Scheduler) preempt(ctx context.Context, cs *cycleState, diag *diagnosis, res *Result, fe *FitError) {
	pi := cs.pi
	if p := pi.pod.Spec.PreemptionPolicy; p != nil && *p == preemptNever {
		fe.Preemption = "preemption: the pod's preemptionPolicy is Never"
		return
	}
	if s.cache.victimsPending(pi.uid) { // its earlier victims are still going
		res.NominatedNode = s.cache.nominations[pi.uid].node
		return
	}
	var best candidate
	for _, n := range s.cache.nodes {
		if diag == nil || !diag.resolvable[n] {
			continue
		}
		if c, ok := s.victimsOn(cs, n); ok && c.better(best) {
			best = c
		}
	}
	if !best.hasPrior {
		fe.Preemption = "preemption: no node fits after removing lower-priority pods"
		return
	}
	victims := make([]*api.Pod, len(best.victims))
	for i, v := range best.victims {
		victims[i] = v.pod
	}
	if err := s.evictor.Evict(ctx, victims); err != nil {
		fe.Preemption = fmt.Sprintf("preemption: evicting victims: %v", err)
		return
	}
	s.cache.nominate(pi, best.n.name, best.victims)
	res.NominatedNode, res.Victims = best.n.name, victims
}

// victimsOn finds the smallest victim set on n: remove every lower-priority pod;
// if the pod then fits, put them back one at a time, most important first, keeping
// out only those whose return would stop it fitting (Kubernetes' reprieve).
func (s *Scheduler) victimsOn(cs *cycleState, n *nodeInfo) (candidate, bool) {
	var lower []*podInfo
	for _, q := range n.pods {
		if q.priority < cs.pi.priority {
			lower = append(lower, q)
		}
	}
	if len(lower) == 0 {
		return candidate{}, false
	}
	removed := make(map[*podInfo]bool, len(lower))
	for _, q := range lower {
		removed[q] = true
	}
	if !s.fitsWithout(cs, n, removed) {
		return candidate{}, false
	}
	slices.SortStableFunc(lower, moreImportant)
	var victims []*podInfo
	for _, q := range lower {
		delete(removed, q)
		if !s.fitsWithout(cs, n, removed) {
			removed[q] = true
			victims = append(victims, q)
		}
	}
	return newCandidate(n, victims), true
}

// moreImportant sorts higher priority first, then older pods first.
func moreImportant(a, b *podInfo) int {
	if a.priority != b.priority {
		return int(b.priority) - int(a.priority)
	}
	ta, tb := a.pod.CreationTimestamp, b.pod.CreationTimestamp
	if ta == nil || tb == nil {
		return 0
	}
	return ta.Compare(tb.Time)
}

// fitsWithout runs every filter on n as if the removed pods were gone.
func (s *Scheduler) fitsWithout(cs *cycleState, n *nodeInfo, removed map[*podInfo]bool) bool {
	sim := n.without(removed)
	if cs.global() {
		cs = s.newCycleState(cs.pi, removed)
	}
	reasons, _ := s.runFilters(cs, sim)
	return reasons == nil
}
