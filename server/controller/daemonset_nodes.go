package controller

import (
	"slices"
	"strconv"

	"github.com/berth-dev/berth/api"
)

// The taint keys Kubernetes' node controllers use; Berth's node lifecycle uses its
// own for not-ready and unreachable (TaintNodeNotReady, TaintNodeUnreachable), and
// daemon pods tolerate both spellings, so a node tainted by either keeps them.
const (
	k8sTaintNotReady           = "node.kubernetes.io/not-ready"
	k8sTaintUnreachable        = "node.kubernetes.io/unreachable"
	k8sTaintDiskPressure       = "node.kubernetes.io/disk-pressure"
	k8sTaintMemoryPressure     = "node.kubernetes.io/memory-pressure"
	k8sTaintPIDPressure        = "node.kubernetes.io/pid-pressure"
	k8sTaintUnschedulable      = "node.kubernetes.io/unschedulable"
	k8sTaintNetworkUnavailable = "node.kubernetes.io/network-unavailable"
)

// dsTemplateGenerationLabel is the (deprecated, still set) label with the set's
// generation at the time the pod was made.
const dsTemplateGenerationLabel = "pod-template-generation"

// dsDaemonTolerations are the tolerations every daemon pod gets, with no
// tolerationSeconds: a daemon stays on its node through every node condition, as
// Kubernetes' AddOrUpdateDaemonPodTolerations arranges.
func dsDaemonTolerations(hostNetwork bool) []api.Toleration {
	exists := func(key, effect string) api.Toleration {
		return api.Toleration{Key: key, Operator: "Exists", Effect: effect}
	}
	tols := []api.Toleration{
		exists(k8sTaintNotReady, api.TaintNoExecute),
		exists(k8sTaintUnreachable, api.TaintNoExecute),
		exists(TaintNodeNotReady, api.TaintNoExecute),
		exists(TaintNodeUnreachable, api.TaintNoExecute),
		exists(k8sTaintDiskPressure, api.TaintNoSchedule),
		exists(k8sTaintMemoryPressure, api.TaintNoSchedule),
		exists(k8sTaintPIDPressure, api.TaintNoSchedule),
		exists(k8sTaintUnschedulable, api.TaintNoSchedule),
	}
	if hostNetwork {
		tols = append(tols, exists(k8sTaintNetworkUnavailable, api.TaintNoSchedule))
	}
	return tols
}

// dsWithDaemonTolerations returns tols plus the daemon tolerations; one the user
// wrote for the same key and effect is replaced, as Kubernetes does.
func dsWithDaemonTolerations(tols []api.Toleration, hostNetwork bool) []api.Toleration {
	out := slices.Clone(tols)
	for _, d := range dsDaemonTolerations(hostNetwork) {
		i := slices.IndexFunc(out, func(t api.Toleration) bool { return t.Key == d.Key && t.Effect == d.Effect })
		if i >= 0 {
			out[i] = d
		} else {
			out = append(out, d)
		}
	}
	return out
}

// dsShouldRun is Kubernetes' NodeShouldRunDaemonPod: shouldRun says a pod belongs
// on the node; shouldContinue says an existing pod may stay (a new NoSchedule taint
// or cordon keeps it, a NoExecute taint or a selector that stopped matching does
// not).
// tols is the template's tolerations with the daemon ones (dsWithDaemonTolerations),
// computed once per sync by the caller.
func dsShouldRun(ds *api.DaemonSet, tols []api.Toleration, n *api.Node) (shouldRun, shouldContinue bool) {
	spec := &ds.Spec.Template.Spec
	if spec.NodeName != "" && spec.NodeName != n.Name {
		return false, false
	}
	for k, v := range spec.NodeSelector {
		if lv, ok := n.Labels[k]; !ok || lv != v {
			return false, false
		}
	}
	if a := spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		if !dsNodeSelectorMatches(a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution, n) {
			return false, false
		}
	}
	shouldRun, shouldContinue = true, true
	for i := range n.Spec.Taints {
		t := &n.Spec.Taints[i]
		if t.Effect != api.TaintNoSchedule && t.Effect != api.TaintNoExecute {
			continue
		}
		if slices.ContainsFunc(tols, func(tol api.Toleration) bool { return tol.ToleratesTaint(t) }) {
			continue
		}
		shouldRun = false
		if t.Effect == api.TaintNoExecute {
			return false, false
		}
	}
	return shouldRun, shouldContinue
}

var dsNodeSelectorOps = map[string]api.Operator{
	"In": api.OpIn, "NotIn": api.OpNotIn, "Exists": api.OpExists,
	"DoesNotExist": api.OpDoesNotExist, "Gt": api.OpGt, "Lt": api.OpLt,
}

// dsNodeSelectorMatches: some term matches (terms are ORed; an empty or malformed
// term matches nothing, as in Kubernetes).
func dsNodeSelectorMatches(sel *api.NodeSelector, n *api.Node) bool {
	for _, t := range sel.NodeSelectorTerms {
		if dsNodeTermMatches(&t, n) {
			return true
		}
	}
	return false
}

func dsNodeTermMatches(t *api.NodeSelectorTerm, n *api.Node) bool {
	if len(t.MatchExpressions)+len(t.MatchFields) == 0 {
		return false
	}
	for _, e := range t.MatchExpressions {
		op, ok := dsNodeSelectorOps[e.Operator]
		if !ok {
			return false
		}
		r, err := api.NewRequirement(e.Key, op, e.Values)
		if err != nil || !r.Matches(n.Labels) {
			return false
		}
	}
	for _, f := range t.MatchFields {
		if f.Key != nodeFieldName || (f.Operator != "In" && f.Operator != "NotIn") {
			return false
		}
		if slices.Contains(f.Values, n.Name) != (f.Operator == "In") {
			return false
		}
	}
	return true
}

// dsNewPod is the set's pod for node: the template with the revision labels, the
// daemon tolerations and a required node affinity for exactly that node (the
// template's own required terms are dropped: the node was checked against them).
func dsNewPod(ds *api.DaemonSet, node, hash string) *api.Pod {
	t := &ds.Spec.Template
	p := api.DeepCopy(&api.Pod{ObjectMeta: t.ObjectMeta, Spec: t.Spec}).(*api.Pod)
	p.ObjectMeta = api.ObjectMeta{
		GenerateName: ds.Name + "-", Namespace: ds.Namespace,
		Labels: p.Labels, Annotations: p.Annotations,
		OwnerReferences: []api.OwnerReference{NewControllerRef(ds)},
	}
	if p.Labels == nil {
		p.Labels = map[string]string{}
	}
	p.Labels[api.ControllerRevisionHashLabel] = hash
	p.Labels[dsTemplateGenerationLabel] = strconv.FormatInt(ds.Generation, 10)
	p.Spec.NodeName = ""
	p.Spec.Tolerations = dsWithDaemonTolerations(p.Spec.Tolerations, p.Spec.HostNetwork)
	if p.Spec.Affinity == nil {
		p.Spec.Affinity = &api.Affinity{}
	}
	if p.Spec.Affinity.NodeAffinity == nil {
		p.Spec.Affinity.NodeAffinity = &api.NodeAffinity{}
	}
	p.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = &api.NodeSelector{
		NodeSelectorTerms: []api.NodeSelectorTerm{{MatchFields: []api.NodeSelectorRequirement{
			{Key: nodeFieldName, Operator: "In", Values: []string{node}},
		}}},
	}
	return p
}

// dsTargetNode is the node a daemon pod is for: where it is bound, or the one its
// node affinity names while it waits for the scheduler.
func dsTargetNode(p *api.Pod) string {
	if p.Spec.NodeName != "" {
		return p.Spec.NodeName
	}
	a := p.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return ""
	}
	for _, t := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		for _, f := range t.MatchFields {
			if f.Key == nodeFieldName && f.Operator == "In" && len(f.Values) == 1 {
				return f.Values[0]
			}
		}
	}
	return ""
}
