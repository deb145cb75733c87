package controller

import (
	"fmt"
	"slices"
	"testing"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

func TestAdoptionCandidates(t *testing.T) {
	pod := func(ns, name string, labels map[string]string, owned bool) *api.Pod {
		p := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name, Labels: labels}}
		if owned {
			yes := true
			p.OwnerReferences = []api.OwnerReference{{Kind: "ReplicaSet", Name: "x", UID: "u", Controller: &yes}}
		}
		return p
	}
	a := newAdoptionCandidates()
	a.observe(raftfsm.Added, pod("default", "web-1", map[string]string{"app": "web", "tier": "fe"}, false))
	a.observe(raftfsm.Added, pod("default", "web-2", map[string]string{"app": "web"}, false))
	a.observe(raftfsm.Added, pod("default", "web-4", map[string]string{"app": "web"}, false))
	a.observe(raftfsm.Added, pod("default", "db-1", map[string]string{"app": "db"}, false))
	a.observe(raftfsm.Added, pod("default", "owned", map[string]string{"app": "web"}, true))
	a.observe(raftfsm.Added, pod("other", "web-3", map[string]string{"app": "web"}, false))
	a.observe(raftfsm.Added, pod("default", "gone", map[string]string{"app": "web"}, false))
	a.observe(raftfsm.Deleted, pod("default", "gone", map[string]string{"app": "web"}, false))
	// web-2 is adopted: no longer a candidate.
	a.observe(raftfsm.Modified, pod("default", "web-2", map[string]string{"app": "web"}, true))

	tests := []struct {
		name string
		ns   string
		sel  *api.LabelSelector
		want []string
	}{
		{name: "by one label", ns: "default", sel: &api.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, want: []string{"web-1", "web-4"}},
		{name: "rarest pair", ns: "default", sel: &api.LabelSelector{MatchLabels: map[string]string{"app": "web", "tier": "fe"}}, want: []string{"web-1"}},
		{name: "no pod has the pair", ns: "default", sel: &api.LabelSelector{MatchLabels: map[string]string{"app": "cache"}}, want: nil},
		{name: "expressions only: every orphan", ns: "default", sel: &api.LabelSelector{MatchExpressions: []api.LabelSelectorRequirement{{Key: "app", Operator: "Exists"}}}, want: []string{"db-1", "web-1", "web-4"}},
		{name: "other namespace", ns: "other", sel: &api.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, want: []string{"web-3"}},
		{name: "empty namespace", ns: "empty", sel: &api.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := a.list(tt.ns, tt.sel)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("candidates = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestReplicaSetManySets: many ReplicaSets converge with a bounded number of writes
// (each pod created once, a few status writes per set), beside bare pods that no
// set may adopt.
func TestReplicaSetManySets(t *testing.T) {
	h := newHarness(t)
	const sets, replicas, bare = 50, 10, 300
	for i := range bare {
		p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("bare-%d", i), Namespace: "default", Labels: map[string]string{"app": "bare"}}}
		p.Spec.Containers = []api.Container{{Name: "app", Image: "x"}}
		h.mustCreate(p)
	}
	for i := range sets {
		h.mustCreate(testReplicaSet(fmt.Sprintf("rs-%d", i), replicas))
	}
	h.mu.Lock()
	before := h.writes
	h.mu.Unlock()
	startReplicaSets(h)
	waitFor(t, "every set to report its replicas", func() bool {
		for _, o := range h.list("ReplicaSet", "default") {
			if o.(*api.ReplicaSet).Status.Replicas != replicas {
				return false
			}
		}
		return true
	})
	h.mu.Lock()
	writes := h.writes - before
	h.mu.Unlock()
	t.Logf("%d writes for %d pods in %d sets", writes, sets*replicas, sets)
	if limit := sets*replicas + sets*4; writes > limit {
		t.Fatalf("%d writes for %d pods in %d sets, want at most %d", writes, sets*replicas, sets, limit)
	}
	if n := len(h.pods("default", false)); n != sets*replicas+bare {
		t.Fatalf("pods = %d, want %d", n, sets*replicas+bare)
	}
}
