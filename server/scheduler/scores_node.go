package scheduler

import "github.com/berth-dev/berth/api"

// maxNodeScore is the top of every plugin's normalised score.
const maxNodeScore = 100

// ImageLocality's thresholds, Kubernetes': below 23 MiB an image is not worth
// preferring a node for; 1000 MiB per container saturates the score.
const (
	imageMinThreshold          = 23 * 1024 * 1024
	imageMaxContainerThreshold = 1000 * 1024 * 1024
)

// scoreTaintCount is TaintToleration's raw score: the PreferNoSchedule taints the
// pod does not tolerate (fewer is better, see normalizeReverse).
func scoreTaintCount(cs *cycleState, n *nodeInfo) int64 {
	var count int64
	for i := range n.taints {
		t := &n.taints[i]
		if t.Effect == api.TaintPreferNoSchedule && !tolerated(cs.preferTolerations, t) {
			count++
		}
	}
	return count
}

// preferNoScheduleTolerations are the tolerations that can tolerate a
// PreferNoSchedule taint (effect empty or PreferNoSchedule).
func preferNoScheduleTolerations(tols []api.Toleration) []api.Toleration {
	var out []api.Toleration
	for _, t := range tols {
		if t.Effect == "" || t.Effect == api.TaintPreferNoSchedule {
			out = append(out, t)
		}
	}
	return out
}

// normalizeReverse maps counts onto 100 (fewest) .. 0 (most); all zero gives 100.
func normalizeReverse(scores []int64) {
	var hi int64
	for _, s := range scores {
		hi = max(hi, s)
	}
	for i, s := range scores {
		if hi == 0 {
			scores[i] = maxNodeScore
		} else {
			scores[i] = maxNodeScore - maxNodeScore*s/hi
		}
	}
}

// normalizeMax maps scores onto 0..100 relative to the largest; all zero stays 0
// (NodeAffinity's normalisation).
func normalizeMax(scores []int64) {
	var hi int64
	for _, s := range scores {
		hi = max(hi, s)
	}
	if hi == 0 {
		return
	}
	for i, s := range scores {
		scores[i] = maxNodeScore * s / hi
	}
}

// scoreImages is ImageLocality: the sizes of the pod's images already on the
// node, each scaled by the share of nodes that have it (so an image on every node
// does not pull pods together), clamped between the thresholds.
func scoreImages(cs *cycleState, n *nodeInfo) int64 {
	if len(n.images) == 0 || cs.totalNodes == 0 {
		return 0
	}
	var sum int64
	for _, im := range cs.pi.images {
		if size, ok := n.images[im]; ok {
			sum += int64(float64(size) * float64(cs.imageNodes[im]) / float64(cs.totalNodes))
		}
	}
	hi := int64(imageMaxContainerThreshold * len(cs.pi.images))
	sum = min(max(sum, imageMinThreshold), hi)
	if hi <= imageMinThreshold {
		return 0
	}
	return maxNodeScore * (sum - imageMinThreshold) / (hi - imageMinThreshold)
}
