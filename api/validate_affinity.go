package api

import (
	"fmt"
	"strconv"
)

// validateAffinity checks the typed affinity the scheduler relies on.
func validateAffinity(l *errs, f string, a *Affinity) {
	if a == nil {
		return
	}
	if na := a.NodeAffinity; na != nil {
		if req := na.RequiredDuringSchedulingIgnoredDuringExecution; req != nil {
			g := f + ".nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
			if len(req.NodeSelectorTerms) == 0 {
				l.required(g+".nodeSelectorTerms", "must have at least one node selector term")
			}
			for i := range req.NodeSelectorTerms {
				validateNodeSelectorTerm(l, fmt.Sprintf("%s.nodeSelectorTerms[%d]", g, i), &req.NodeSelectorTerms[i])
			}
		}
		for i, p := range na.PreferredDuringSchedulingIgnoredDuringExecution {
			g := fmt.Sprintf("%s.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[%d]", f, i)
			validateWeight(l, g+".weight", p.Weight)
			validateNodeSelectorTerm(l, g+".preference", &p.Preference)
		}
	}
	if pa := a.PodAffinity; pa != nil {
		validatePodAffinityTerms(l, f+".podAffinity", pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution)
	}
	if pa := a.PodAntiAffinity; pa != nil {
		validatePodAffinityTerms(l, f+".podAntiAffinity", pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution)
	}
}

func validateWeight(l *errs, f string, w int32) {
	if w < 1 || w > 100 {
		l.invalid(f, w, "must be in the range 1-100")
	}
}

func validateNodeSelectorTerm(l *errs, f string, t *NodeSelectorTerm) {
	for i, r := range t.MatchExpressions {
		validateNodeSelectorRequirement(l, fmt.Sprintf("%s.matchExpressions[%d]", f, i), r, true)
	}
	for i, r := range t.MatchFields {
		g := fmt.Sprintf("%s.matchFields[%d]", f, i)
		if r.Key != "metadata.name" {
			l.unsupported(g+".key", r.Key, "metadata.name")
		}
		validateNodeSelectorRequirement(l, g, r, false)
	}
}

func validateNodeSelectorRequirement(l *errs, f string, r NodeSelectorRequirement, label bool) {
	if label {
		l.name(f+".key", r.Key, isQualifiedName)
	}
	switch r.Operator {
	case "In", "NotIn":
		if len(r.Values) == 0 {
			l.required(f+".values", "must be specified when `operator` is 'In' or 'NotIn'")
		}
	case "Exists", "DoesNotExist":
		if len(r.Values) > 0 {
			l.forbidden(f+".values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")
		}
	case "Gt", "Lt":
		if len(r.Values) != 1 {
			l.required(f+".values", "must be specified single value when `operator` is 'Lt' or 'Gt'")
		} else if _, err := strconv.ParseInt(r.Values[0], 10, 64); err != nil {
			l.invalid(f+".values[0]", r.Values[0], "must be an integer when `operator` is 'Lt' or 'Gt'")
		}
	default:
		l.unsupported(f+".operator", r.Operator, "DoesNotExist", "Exists", "Gt", "In", "Lt", "NotIn")
	}
	if label {
		for i, v := range r.Values {
			l.name(fmt.Sprintf("%s.values[%d]", f, i), v, isLabelValue)
		}
	}
}

func validatePodAffinityTerms(l *errs, f string, req []PodAffinityTerm, pref []WeightedPodAffinityTerm) {
	for i := range req {
		validatePodAffinityTerm(l, fmt.Sprintf("%s.requiredDuringSchedulingIgnoredDuringExecution[%d]", f, i), &req[i])
	}
	for i := range pref {
		g := fmt.Sprintf("%s.preferredDuringSchedulingIgnoredDuringExecution[%d]", f, i)
		validateWeight(l, g+".weight", pref[i].Weight)
		validatePodAffinityTerm(l, g+".podAffinityTerm", &pref[i].PodAffinityTerm)
	}
}

func validatePodAffinityTerm(l *errs, f string, t *PodAffinityTerm) {
	if t.TopologyKey == "" {
		l.required(f+".topologyKey", "can not be empty")
	} else {
		l.name(f+".topologyKey", t.TopologyKey, isQualifiedName)
	}
	validateLabelSelector(l, f+".labelSelector", t.LabelSelector)
	validateLabelSelector(l, f+".namespaceSelector", t.NamespaceSelector)
	for i, ns := range t.Namespaces {
		l.name(fmt.Sprintf("%s.namespaces[%d]", f, i), ns, isDNS1123Label)
	}
}
