package scheduler

import (
	"fmt"

	"github.com/berth-dev/berth/api"
)

// The reasons filters give, in Kubernetes' words (FitError counts them).
const (
	ReasonNodeUnschedulable    = "node(s) were unschedulable"
	ReasonNodeName             = "node(s) didn't match the requested node name"
	ReasonNodeNotReady         = "node(s) were not ready"
	ReasonNodeAffinity         = "node(s) didn't match Pod's node affinity/selector"
	ReasonInsufficientCPU      = "Insufficient cpu"
	ReasonInsufficientMemory   = "Insufficient memory"
	ReasonTooManyPods          = "Too many pods"
	ReasonNodePorts            = "node(s) didn't have free ports for the requested pod ports"
	ReasonExistingAntiAffinity = "node(s) didn't satisfy existing pods anti-affinity rules"
	ReasonPodAffinity          = "node(s) didn't match pod affinity rules"
	ReasonPodAntiAffinity      = "node(s) didn't match pod anti-affinity rules"
	ReasonSpread               = "node(s) didn't match pod topology spread constraints"
	ReasonSpreadMissingLabel   = "node(s) didn't match pod topology spread constraints (missing required label)"
)

// Static one-reason answers, so a failing node costs no allocation.
var (
	failUnschedulable = []string{ReasonNodeUnschedulable}
	failNodeName      = []string{ReasonNodeName}
	failNotReady      = []string{ReasonNodeNotReady}
	failNodeAffinity  = []string{ReasonNodeAffinity}
	failNodePorts     = []string{ReasonNodePorts}
)

func filterNodeName(cs *cycleState, n *nodeInfo) []string {
	if want := cs.pi.pod.Spec.NodeName; want != "" && want != n.name {
		return failNodeName
	}
	return nil
}

func filterNodeUnschedulable(cs *cycleState, n *nodeInfo) []string {
	if !n.unschedulable {
		return nil
	}
	t := api.Taint{Key: taintUnschedulable, Effect: api.TaintNoSchedule}
	if tolerated(cs.pi.pod.Spec.Tolerations, &t) {
		return nil
	}
	return failUnschedulable
}

func filterNodeReady(_ *cycleState, n *nodeInfo) []string {
	if !n.ready {
		return failNotReady
	}
	return nil
}

func filterTaints(cs *cycleState, n *nodeInfo) []string {
	for i := range n.taints {
		t := &n.taints[i]
		if t.Effect != api.TaintNoSchedule && t.Effect != api.TaintNoExecute {
			continue
		}
		if !tolerated(cs.pi.pod.Spec.Tolerations, t) {
			return []string{fmt.Sprintf("node(s) had untolerated taint {%s: %s}", t.Key, t.Value)}
		}
	}
	return nil
}

func filterNodeAffinity(cs *cycleState, n *nodeInfo) []string {
	if !cs.nodeAff.matches(n) {
		return failNodeAffinity
	}
	return nil
}

// tolerated reports whether one of tols tolerates taint t.
func tolerated(tols []api.Toleration, t *api.Taint) bool {
	for i := range tols {
		if tols[i].ToleratesTaint(t) {
			return true
		}
	}
	return false
}
