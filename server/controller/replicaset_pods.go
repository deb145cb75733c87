package controller

import (
	"sort"
	"strconv"
	"time"

	"github.com/berth-dev/berth/api"
)

// podDeletionCostAnnotation lets a user say which pods a scale-down should take first
// (lower cost first), as in Kubernetes.
const podDeletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost"

// countsAsReplica reports whether a pod is active for a ReplicaSet: neither
// terminating nor finished. A pod whose containers crash under restartPolicy Always
// stays Running (the agent restarts them), so it keeps counting.
func countsAsReplica(p *api.Pod) bool {
	return p.DeletionTimestamp == nil && p.Status.Phase != api.PodSucceeded && p.Status.Phase != api.PodFailed
}

// readySince returns when the pod's Ready condition last became True; ok is false
// when the pod is not ready. The time is zero when the agent did not stamp it.
func readySince(p *api.Pod) (since time.Time, ok bool) {
	for _, c := range p.Status.Conditions {
		if c.Type == api.PodReady {
			if c.Status != api.ConditionTrue {
				return time.Time{}, false
			}
			if c.LastTransitionTime != nil {
				return c.LastTransitionTime.Time, true
			}
			return time.Time{}, true
		}
	}
	return time.Time{}, false
}

// availableAt reports whether the pod has been ready for minReady at now, and if it
// is ready but not yet available, how long until it will be.
func availableAt(p *api.Pod, minReady int32, now time.Time) (available bool, wait time.Duration) {
	since, ready := readySince(p)
	if !ready {
		return false, 0
	}
	if minReady <= 0 || since.IsZero() {
		return true, 0
	}
	due := since.Add(time.Duration(minReady) * time.Second)
	if due.Before(now) {
		return true, 0
	}
	return false, due.Sub(now) + time.Millisecond
}

// victimOrder sorts pods so the ones a scale-down should remove come first, with
// Kubernetes' ActivePods ranking: unscheduled before scheduled, Pending before
// Unknown before Running, not ready before ready, lower deletion cost first, pods
// doubled up on a node first (rank: how many of the set share its node), ready for
// less time first, more restarts first, newer first. Ties go by name, so the order
// is deterministic.
type victimOrder struct {
	pods []*api.Pod
	rank []int
}

// orderVictims sorts pods in place (see victimOrder); rank[i] belongs to pods[i]
// and may be nil.
func orderVictims(pods []*api.Pod, rank []int) {
	if rank == nil {
		rank = make([]int, len(pods))
	}
	sort.Sort(victimOrder{pods: pods, rank: rank})
}

// nodeRanks counts, for each pod, the pods of the set on the same node.
func nodeRanks(pods []*api.Pod) []int {
	perNode := map[string]int{}
	for _, p := range pods {
		if p.Spec.NodeName != "" {
			perNode[p.Spec.NodeName]++
		}
	}
	rank := make([]int, len(pods))
	for i, p := range pods {
		if p.Spec.NodeName != "" {
			rank[i] = perNode[p.Spec.NodeName]
		}
	}
	return rank
}

func (s victimOrder) Len() int { return len(s.pods) }

func (s victimOrder) Swap(i, j int) {
	s.pods[i], s.pods[j] = s.pods[j], s.pods[i]
	s.rank[i], s.rank[j] = s.rank[j], s.rank[i]
}

var phaseOrdinal = map[string]int{api.PodPending: 0, api.PodUnknown: 1, api.PodRunning: 2}

// Less says pods[i] should be deleted before pods[j].
func (s victimOrder) Less(i, j int) bool {
	a, b := s.pods[i], s.pods[j]
	if (a.Spec.NodeName == "") != (b.Spec.NodeName == "") {
		return a.Spec.NodeName == ""
	}
	if pa, pb := phaseOrdinal[a.Status.Phase], phaseOrdinal[b.Status.Phase]; pa != pb {
		return pa < pb
	}
	ta, readyA := readySince(a)
	tb, readyB := readySince(b)
	if readyA != readyB {
		return !readyA
	}
	if ca, cb := deletionCost(a), deletionCost(b); ca != cb {
		return ca < cb
	}
	if s.rank[i] != s.rank[j] {
		return s.rank[i] > s.rank[j]
	}
	if readyA && readyB && !ta.Equal(tb) {
		return afterOrZero(ta, tb)
	}
	if ra, rb := maxRestarts(a), maxRestarts(b); ra != rb {
		return ra > rb
	}
	ca, cb := creationTime(a), creationTime(b)
	if !ca.Equal(cb) {
		return afterOrZero(ca, cb)
	}
	return a.Name < b.Name
}

// afterOrZero: a zero time sorts first, then the later time.
func afterOrZero(a, b time.Time) bool {
	if a.IsZero() || b.IsZero() {
		return a.IsZero()
	}
	return a.After(b)
}

func creationTime(p *api.Pod) time.Time {
	if p.CreationTimestamp == nil {
		return time.Time{}
	}
	return p.CreationTimestamp.Time
}

// deletionCost is the pod-deletion-cost annotation; absent or malformed is 0.
func deletionCost(p *api.Pod) int32 {
	v, ok := p.Annotations[podDeletionCostAnnotation]
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0
	}
	return int32(n)
}

func maxRestarts(p *api.Pod) int32 {
	var m int32
	for _, c := range p.Status.ContainerStatuses {
		m = max(m, c.RestartCount)
	}
	return m
}
