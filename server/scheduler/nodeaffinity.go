package scheduler

import (
	"slices"

	"github.com/berth-dev/berth/api"
)

// nodeTerm is a parsed NodeSelectorTerm: label requirements and metadata.name
// requirements. A term that is empty or does not parse matches no node, as in
// Kubernetes.
type nodeTerm struct {
	labels api.Requirements
	fields []api.NodeSelectorRequirement
	valid  bool
	weight int64 // preferred terms only
}

var nodeSelectorOps = map[string]api.Operator{
	"In": api.OpIn, "NotIn": api.OpNotIn, "Exists": api.OpExists,
	"DoesNotExist": api.OpDoesNotExist, "Gt": api.OpGt, "Lt": api.OpLt,
}

func parseNodeTerm(t api.NodeSelectorTerm, weight int64) nodeTerm {
	nt := nodeTerm{weight: weight, valid: len(t.MatchExpressions)+len(t.MatchFields) > 0}
	for _, e := range t.MatchExpressions {
		op, ok := nodeSelectorOps[e.Operator]
		if !ok {
			nt.valid = false
			continue
		}
		r, err := api.NewRequirement(e.Key, op, e.Values)
		if err != nil {
			nt.valid = false
			continue
		}
		nt.labels = append(nt.labels, r)
	}
	for _, f := range t.MatchFields {
		if f.Key != nodeFieldMetadataName || (f.Operator != "In" && f.Operator != "NotIn") {
			nt.valid = false
		}
	}
	nt.fields = t.MatchFields
	return nt
}

func (t *nodeTerm) matches(n *nodeInfo) bool {
	if !t.valid || !t.labels.Matches(n.labels) {
		return false
	}
	for _, f := range t.fields {
		in := slices.Contains(f.Values, n.name)
		if (f.Operator == "In") != in {
			return false
		}
	}
	return true
}

// nodeAffinity is a pod's node constraints, parsed once per cycle.
type nodeAffinity struct {
	selector  map[string]string
	required  []nodeTerm // OR; nil means no required affinity
	hasReq    bool
	preferred []nodeTerm
}

func newNodeAffinity(spec *api.PodSpec) *nodeAffinity {
	na := &nodeAffinity{selector: spec.NodeSelector}
	if spec.Affinity == nil || spec.Affinity.NodeAffinity == nil {
		return na
	}
	a := spec.Affinity.NodeAffinity
	if r := a.RequiredDuringSchedulingIgnoredDuringExecution; r != nil {
		na.hasReq = true
		for _, t := range r.NodeSelectorTerms {
			na.required = append(na.required, parseNodeTerm(t, 0))
		}
	}
	for _, p := range a.PreferredDuringSchedulingIgnoredDuringExecution {
		na.preferred = append(na.preferred, parseNodeTerm(p.Preference, int64(p.Weight)))
	}
	return na
}

// matches is the filter: every nodeSelector pair, and one required term if any.
func (na *nodeAffinity) matches(n *nodeInfo) bool {
	labels := n.labels
	for k, v := range na.selector {
		if lv, ok := labels[k]; !ok || lv != v {
			return false
		}
	}
	if !na.hasReq {
		return true
	}
	for i := range na.required {
		if na.required[i].matches(n) {
			return true
		}
	}
	return false
}

// preferredScore is the sum of the weights of the preferred terms n matches.
func (na *nodeAffinity) preferredScore(n *nodeInfo) int64 {
	var s int64
	for i := range na.preferred {
		if na.preferred[i].matches(n) {
			s += na.preferred[i].weight
		}
	}
	return s
}
