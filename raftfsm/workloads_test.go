package raftfsm

import (
	"reflect"
	"testing"
)

// The workload kinds of other groups (apps, batch, scheduling.k8s.io) get tables of
// their own, and the owner index finds the pods each one owns, which is how the
// garbage collector finds a deleted StatefulSet's, DaemonSet's or Job's pods.
func TestWorkloadKindsAndOwners(t *testing.T) {
	h := newSeeded(t)
	pods := mustResource(t, "Pod")
	for _, kind := range []string{"StatefulSet", "DaemonSet", "Job"} {
		t.Run(kind, func(t *testing.T) {
			res := mustResource(t, kind)
			name := res.Singular
			h.mustApply(&Command{Type: CmdCreate, Kind: kind, Namespace: "default", Name: name,
				Object: objJSON(kind, "default", name, map[string]any{"apiVersion": res.APIVersion()})})
			owner := "uid-default-" + name
			for _, p := range []string{name + "-0", name + "-1"} {
				h.mustApply(createPod("default", p, "n1", owner))
			}
			if rec, ok := h.f.GetByUID(res, owner); !ok || rec.Object.GetTypeMeta().Kind != kind {
				t.Fatalf("GetByUID(%s) = %v, %v", owner, rec, ok)
			}
			want := []string{"default/" + name + "-0", "default/" + name + "-1"}
			if got := names(h.f.ListByOwner(pods, owner)); !reflect.DeepEqual(got, want) {
				t.Errorf("pods owned by the %s: %v, want %v", kind, got, want)
			}
		})
	}
	pc := mustResource(t, "PriorityClass")
	h.mustApply(&Command{Type: CmdCreate, Kind: "PriorityClass", Name: "high",
		Object: objJSON("PriorityClass", "", "high", map[string]any{"apiVersion": pc.APIVersion(), "value": 1000})})
	rec, ok := h.f.Get(pc, "", "high")
	if !ok || rec.Object.GetObjectMeta().Namespace != "" {
		t.Fatalf("cluster-scoped PriorityClass: %v %v", rec, ok)
	}
	if all, _ := h.f.List(pc, ""); len(all) != 1 {
		t.Errorf("list priorityclasses: %v", names(all))
	}
}
