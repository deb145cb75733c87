package scheduler

import "github.com/berth-dev/berth/api"

// buildFilters lists the enabled filters, cheapest first, so most failing nodes
// cost a few comparisons.
func buildFilters(cfg Config) []filterPlugin {
	p := cfg.Plugins
	all := []struct {
		on bool
		f  filterPlugin
	}{
		{p.NodeName.Enabled, filterPlugin{PluginNodeName, filterNodeName, false}},
		{p.NodeUnschedulable.Enabled, filterPlugin{PluginNodeUnschedulable, filterNodeUnschedulable, false}},
		{p.NodeReady.Enabled, filterPlugin{PluginNodeReady, filterNodeReady, false}},
		{p.TaintToleration.Enabled, filterPlugin{PluginTaintToleration, filterTaints, false}},
		{p.NodeAffinity.Enabled, filterPlugin{PluginNodeAffinity, filterNodeAffinity, false}},
		{p.NodeResourcesFit.Enabled, filterPlugin{PluginNodeResourcesFit, filterResources, true}},
		{p.NodePorts.Enabled, filterPlugin{PluginNodePorts, filterPorts, true}},
		{p.PodTopologySpread.Enabled, filterPlugin{PluginPodTopologySpread, filterSpread, true}},
		{p.InterPodAffinity.Enabled, filterPlugin{PluginInterPodAffinity, filterInterPod, true}},
	}
	var out []filterPlugin
	for _, a := range all {
		if a.on {
			out = append(out, a.f)
		}
	}
	return out
}

func always(*Cache, *cycleState, []*nodeInfo) bool { return true }

// buildScores lists the enabled score plugins with their weights.
func buildScores(cfg Config) []scorePlugin {
	p := cfg.Plugins
	fit := scoreLeastAllocated
	if p.NodeResourcesFit.Strategy == MostAllocated {
		fit = scoreMostAllocated
	}
	all := []struct {
		cfg PluginConfig
		sp  scorePlugin
	}{
		{p.NodeResourcesFit, scorePlugin{name: PluginNodeResourcesFit, prepare: always,
			score: func(cs *cycleState, _ int, n *nodeInfo) int64 { return fit(cs, n) }}},
		{p.BalancedAllocation, scorePlugin{name: PluginBalancedAllocation, prepare: always,
			score: func(cs *cycleState, _ int, n *nodeInfo) int64 { return scoreBalanced(cs, n) }}},
		{p.PodTopologySpread, scorePlugin{name: PluginPodTopologySpread, prepare: prepareSpread,
			score:     func(cs *cycleState, i int, n *nodeInfo) int64 { return cs.spreadScore.score(i, n) },
			normalize: func(cs *cycleState, s []int64) { cs.spreadScore.normalize(s) }}},
		{p.NodeAffinity, scorePlugin{name: PluginNodeAffinity,
			prepare:   func(_ *Cache, cs *cycleState, _ []*nodeInfo) bool { return len(cs.nodeAff.preferred) > 0 },
			score:     func(cs *cycleState, _ int, n *nodeInfo) int64 { return cs.nodeAff.preferredScore(n) },
			normalize: func(_ *cycleState, s []int64) { normalizeMax(s) }}},
		{p.InterPodAffinity, scorePlugin{name: PluginInterPodAffinity, prepare: prepareInterPodScoring,
			score:     func(cs *cycleState, _ int, n *nodeInfo) int64 { return cs.interPodScore.score(n) },
			normalize: func(_ *cycleState, s []int64) { normalizeMinMax(s) }}},
		{p.TaintToleration, scorePlugin{name: PluginTaintToleration, prepare: anyPreferNoSchedule,
			score:     func(cs *cycleState, _ int, n *nodeInfo) int64 { return scoreTaintCount(cs, n) },
			normalize: func(_ *cycleState, s []int64) { normalizeReverse(s) }}},
		{p.ImageLocality, scorePlugin{name: PluginImageLocality, prepare: anyImagePresent,
			score: func(cs *cycleState, _ int, n *nodeInfo) int64 { return scoreImages(cs, n) }}},
	}
	var out []scorePlugin
	for _, a := range all {
		if a.cfg.Enabled && a.cfg.Weight > 0 {
			a.sp.weight = int64(a.cfg.Weight)
			out = append(out, a.sp)
		}
	}
	return out
}

func prepareSpread(c *Cache, cs *cycleState, feasible []*nodeInfo) bool {
	cs.spreadScore = prepareSpreadScore(c, cs, cs.spreadCons, feasible)
	return cs.spreadScore != nil
}

func prepareInterPodScoring(c *Cache, cs *cycleState, _ []*nodeInfo) bool {
	cs.interPodScore = prepareInterPodScore(c, cs.pi)
	return cs.interPodScore != nil
}

func anyPreferNoSchedule(_ *Cache, _ *cycleState, feasible []*nodeInfo) bool {
	for _, n := range feasible {
		for _, t := range n.taints {
			if t.Effect == api.TaintPreferNoSchedule {
				return true
			}
		}
	}
	return false
}

func anyImagePresent(_ *Cache, cs *cycleState, _ []*nodeInfo) bool {
	for _, im := range cs.pi.images {
		if cs.imageNodes[im] > 0 {
			return true
		}
	}
	return false
}
