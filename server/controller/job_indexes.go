package controller

import (
	"slices"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/api"
)

// jobIndexSet is a set of completion indexes, the parsed form of
// status.completedIndexes ("1,3-5,7").
type jobIndexSet map[int]bool

// parseJobIndexes reads an interval list; malformed parts and indexes outside
// [0, completions) are dropped (Kubernetes ignores them the same way).
func parseJobIndexes(s string, completions int) jobIndexSet {
	set := jobIndexSet{}
	for part := range strings.SplitSeq(s, ",") {
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		first, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		last := first
		if isRange {
			if last, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		for i := max(first, 0); i <= last && i < completions; i++ {
			set[i] = true
		}
	}
	return set
}

// String writes the set as Kubernetes does: ascending, each run of consecutive
// indexes as "a-b".
func (set jobIndexSet) String() string {
	idx := make([]int, 0, len(set))
	for i := range set {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	var b strings.Builder
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && idx[j+1] == idx[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(idx[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(idx[j]))
		}
		i = j + 1
	}
	return b.String()
}

// jobPodIndex is an Indexed Job pod's completion index (annotation first, then
// label); ok is false when absent, malformed or outside [0, completions).
func jobPodIndex(p *api.Pod, completions int) (int, bool) {
	v, found := p.Annotations[api.JobCompletionIndexAnnotation]
	if !found {
		v, found = p.Labels[api.JobCompletionIndexAnnotation]
	}
	if !found {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n >= completions || strconv.Itoa(n) != v {
		return 0, false
	}
	return n, true
}
