package controller

import (
	"time"

	"github.com/berth-dev/berth/api"
)

// The taints the node lifecycle controller puts on nodes, both NoExecute: pods
// that do not tolerate them are deleted after the pod eviction timeout.
const (
	// TaintNodeUnreachable marks a node whose Ready condition is Unknown: its
	// client is dead or silent.
	TaintNodeUnreachable = "node.berth.io/unreachable"
	// TaintNodeNotReady marks a node whose client reports Ready=False.
	TaintNodeNotReady = "node.berth.io/not-ready"
)

// noExecuteMask summarises a node's NoExecute taints, so a heartbeat can be told
// from a change that needs a reconcile without comparing slices.
type noExecuteMask uint8

const (
	nxAny noExecuteMask = 1 << iota // any NoExecute taint
	nxUnreachable
	nxNotReady
)

func noExecuteMaskOf(n *api.Node) noExecuteMask {
	var m noExecuteMask
	for _, t := range n.Spec.Taints {
		if t.Effect != api.TaintNoExecute {
			continue
		}
		m |= nxAny
		switch t.Key {
		case TaintNodeUnreachable:
			m |= nxUnreachable
		case TaintNodeNotReady:
			m |= nxNotReady
		}
	}
	return m
}

// isLifecycleTaint reports whether a taint is one this controller manages.
func isLifecycleTaint(t *api.Taint) bool {
	return t.Effect == api.TaintNoExecute && (t.Key == TaintNodeUnreachable || t.Key == TaintNodeNotReady)
}

// withLifecycleTaint returns the node's taints with this controller's set to want (an
// existing one keeps its timeAdded; a new one gets now), and whether anything
// changed.
func withLifecycleTaint(cur []api.Taint, want string, now time.Time) ([]api.Taint, bool) {
	out := make([]api.Taint, 0, len(cur)+1)
	have, changed := false, false
	for _, t := range cur {
		switch {
		case !isLifecycleTaint(&t):
			out = append(out, t)
		case t.Key == want && !have:
			have = true
			out = append(out, t)
		default:
			changed = true // another of ours (or a duplicate): dropped
		}
	}
	if want != "" && !have {
		out = append(out, api.Taint{Key: want, Effect: api.TaintNoExecute, TimeAdded: api.NewTime(now)})
		changed = true
	}
	return out, changed
}

// noExecuteTaint is a NoExecute taint and when it was added.
type noExecuteTaint struct {
	taint *api.Taint
	added time.Time
}

// podEvictionTime is when a pod with tols must leave a node with taints (all
// NoExecute), and false if never. Per taint: a matching toleration without
// tolerationSeconds tolerates it for ever; otherwise the smallest matching
// tolerationSeconds counts from the taint's timeAdded; a taint no toleration
// matches evicts after def for this controller's taints (the pod eviction
// timeout) and at once for any other (Kubernetes' taint manager). The earliest
// taint wins.
func podEvictionTime(tols []api.Toleration, taints []noExecuteTaint, def time.Duration) (time.Time, bool) {
	var at time.Time
	found := false
	for _, tt := range taints {
		matched := false
		var secs *int64
		for i := range tols {
			if !tols[i].ToleratesTaint(tt.taint) {
				continue
			}
			matched = true
			if s := tols[i].TolerationSeconds; s != nil && (secs == nil || *s < *secs) {
				secs = s
			}
		}
		var d time.Duration
		switch {
		case !matched && isLifecycleTaint(tt.taint):
			d = def
		case !matched:
			d = 0
		case secs == nil:
			continue // tolerated for ever
		default:
			d = time.Duration(max(*secs, 0)) * time.Second
		}
		if t := tt.added.Add(d); !found || t.Before(at) {
			at, found = t, true
		}
	}
	return at, found
}
