package controller

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// gcRef is a plain (not controller) owner reference to o that blocks its deletion.
func gcRef(o api.Object) api.OwnerReference {
	yes := true
	tm, m := o.GetTypeMeta(), o.GetObjectMeta()
	return api.OwnerReference{APIVersion: tm.APIVersion, Kind: tm.Kind, Name: m.Name, UID: m.UID, BlockOwnerDeletion: &yes}
}

func gcConfigMap(name string, refs ...api.OwnerReference) *api.ConfigMap {
	cm := &api.ConfigMap{Data: map[string]string{"k": "v"}}
	cm.Name, cm.Namespace, cm.OwnerReferences = name, "default", refs
	return cm
}

func gcPod(name string, refs ...api.OwnerReference) *api.Pod {
	p := &api.Pod{}
	p.Name, p.Namespace, p.OwnerReferences = name, "default", refs
	p.Labels = map[string]string{"app": "gc"}
	p.Spec.Containers = []api.Container{{Name: "app", Image: "busybox"}}
	return p
}

func gcSelector() *api.LabelSelector {
	return &api.LabelSelector{MatchLabels: map[string]string{"app": "gc"}}
}

func gcTemplate() api.PodTemplateSpec {
	return api.PodTemplateSpec{
		ObjectMeta: api.ObjectMeta{Labels: map[string]string{"app": "gc"}},
		Spec:       api.PodSpec{Containers: []api.Container{{Name: "app", Image: "busybox"}}},
	}
}

// gcDelete removes an object the way a user's Background DELETE does (the harness
// Writer ignores the policy: it is the collector's job).
func (h *harness) gcDelete(obj api.Object) {
	h.t.Helper()
	res := resOf(obj)
	m := obj.GetObjectMeta()
	if err := h.Delete(context.Background(), res, m.Namespace, m.Name, DeleteOptions{}); err != nil {
		h.t.Fatalf("delete %s %s: %v", res.Kind, m.Name, err)
	}
}

func (h *harness) gone(kind, ns, name string) func() bool {
	return func() bool { return h.get(kind, ns, name) == nil }
}

// markForeground stamps obj as the server's Foreground DELETE does.
func (h *harness) markForeground(obj api.Object) {
	h.t.Helper()
	res := resOf(obj)
	m := obj.GetObjectMeta()
	rec, ok := h.fsm.Get(res, m.Namespace, m.Name)
	if !ok {
		h.t.Fatalf("mark %s: not found", m.Name)
	}
	next := api.DeepCopy(rec.Object)
	nm := next.GetObjectMeta()
	nm.DeletionTimestamp = api.NewTime(time.Now())
	nm.Finalizers = append(nm.Finalizers, FinalizerForeground)
	body, _ := json.Marshal(next)
	if _, err := h.apply(raftfsm.Command{Type: raftfsm.CmdUpdate, Kind: res.Kind, Namespace: nm.Namespace, Name: nm.Name, ResourceVersion: rec.RV, Object: body}); err != nil {
		h.t.Fatalf("mark %s: %v", m.Name, err)
	}
}

func TestGCDeletesDependentsOfGoneOwner(t *testing.T) {
	h := newHarness(t)
	owner := h.mustCreate(gcConfigMap("owner"))
	h.mustCreate(gcConfigMap("dep", gcRef(owner)))
	bound := h.mustCreate(gcPod("bound", gcRef(owner))).(*api.Pod)
	h.runPod(bound, "n1", true)
	h.run(NewGarbageCollector(h.env()))

	h.gcDelete(owner)
	waitFor(t, "the dependent ConfigMap to be collected", h.gone("ConfigMap", "default", "dep"))
	waitFor(t, "the bound pod to be deleted gracefully", func() bool {
		p := h.get("Pod", "default", "bound")
		return p != nil && p.GetObjectMeta().DeletionTimestamp != nil
	})
	h.finishPod(bound)
	waitFor(t, "the pod to be gone", h.gone("Pod", "default", "bound"))
}

func TestGCKeepsWhatItCannotCollect(t *testing.T) {
	h := newHarness(t)
	alive := h.mustCreate(gcConfigMap("alive"))
	dead := h.mustCreate(gcConfigMap("dead"))
	h.mustCreate(gcConfigMap("two-owners", gcRef(alive), gcRef(dead)))
	unknown := api.OwnerReference{APIVersion: "example.com/v1", Kind: "Widget", Name: "w", UID: "0b7e6a52-0000-4000-8000-000000000001"}
	h.mustCreate(gcConfigMap("unknown-kind", unknown))
	otherGroup := gcRef(alive)
	otherGroup.APIVersion, otherGroup.UID = "example.com/v1", "0b7e6a52-0000-4000-8000-000000000002"
	h.mustCreate(gcConfigMap("unknown-group", otherGroup))
	h.mustCreate(gcConfigMap("unknown-and-dead", unknown, gcRef(dead)))
	// An object of another name holding the uid is the owner: owners are uids.
	renamed := gcRef(alive)
	renamed.Name = "not-its-name"
	h.mustCreate(gcConfigMap("renamed-owner", renamed))
	// One worker takes the first list in name order: once "zzz-last" is collected,
	// every other object has been judged.
	h.mustCreate(gcConfigMap("zzz-last", gcRef(dead)))
	h.gcDelete(dead)
	gc := NewGarbageCollector(h.env())
	gc.Workers = 1
	h.run(gc)
	waitFor(t, "the last object to be judged", h.gone("ConfigMap", "default", "zzz-last"))

	waitFor(t, "the reference to the gone owner to be removed", func() bool {
		o := h.get("ConfigMap", "default", "two-owners")
		return o != nil && len(o.GetObjectMeta().OwnerReferences) == 1
	})
	if ref := h.get("ConfigMap", "default", "two-owners").GetObjectMeta().OwnerReferences[0]; ref.UID != alive.GetObjectMeta().UID {
		t.Fatalf("kept reference %+v, want the live owner's", ref)
	}
	waitFor(t, "the dead reference beside an unknown kind to be removed", func() bool {
		o := h.get("ConfigMap", "default", "unknown-and-dead")
		return o != nil && len(o.GetObjectMeta().OwnerReferences) == 1
	})
	for _, name := range []string{"unknown-kind", "unknown-group", "renamed-owner"} {
		if o := h.get("ConfigMap", "default", name); o == nil || len(o.GetObjectMeta().OwnerReferences) != 1 {
			t.Errorf("%s: %v, want it kept with its reference", name, o)
		}
	}
}

func TestGCStartupScanCollectsLeftovers(t *testing.T) {
	h := newHarness(t)
	owner := h.mustCreate(gcConfigMap("owner"))
	h.mustCreate(gcConfigMap("left-over", gcRef(owner)))
	keeper := h.mustCreate(gcConfigMap("keeper"))
	h.mustCreate(gcConfigMap("kept", gcRef(keeper)))
	h.gcDelete(owner) // while no collector runs: an old leader's miss
	h.run(NewGarbageCollector(h.env()))
	waitFor(t, "the left-over to be collected", h.gone("ConfigMap", "default", "left-over"))
	if h.get("ConfigMap", "default", "kept") == nil {
		t.Fatal("a dependent of a live owner was collected")
	}
}

func TestGCCollectsDependentCreatedAfterItsOwnerWent(t *testing.T) {
	h := newHarness(t)
	h.run(NewGarbageCollector(h.env()))
	owner := h.mustCreate(gcConfigMap("owner"))
	h.gcDelete(owner)
	h.mustCreate(gcConfigMap("late", gcRef(owner)))
	waitFor(t, "the late dependent to be collected", h.gone("ConfigMap", "default", "late"))
}

func TestGCPeriodicResync(t *testing.T) {
	h := newHarness(t)
	owner := h.mustCreate(gcConfigMap("owner"))
	dep := h.mustCreate(gcConfigMap("dep", gcRef(owner)))
	gc := NewGarbageCollector(h.env())
	gc.Resync = 20 * time.Millisecond
	h.run(gc)
	// An edit to a gone uid raises no event the collector acts on; the scan finds it.
	m := dep.GetObjectMeta()
	m.OwnerReferences[0].UID = "0b7e6a52-0000-4000-8000-00000000dead"
	m.ResourceVersion = ""
	if _, err := h.Update(context.Background(), dep); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the periodic scan to collect the edited dependent", h.gone("ConfigMap", "default", "dep"))
	if h.get("ConfigMap", "default", "owner") == nil {
		t.Fatal("the owner itself was collected")
	}
}

func TestGCChainAfterDeploymentDeletion(t *testing.T) {
	h := newHarness(t)
	one := int32(1)
	d := &api.Deployment{Spec: api.DeploymentSpec{Replicas: &one, Selector: gcSelector(), Template: gcTemplate()}}
	d.Name, d.Namespace = "web", "default"
	dep := h.mustCreate(d)
	rs := &api.ReplicaSet{Spec: api.ReplicaSetSpec{Replicas: &one, Selector: gcSelector(), Template: gcTemplate()}}
	rs.Name, rs.Namespace = "web-1", "default"
	rs.OwnerReferences = []api.OwnerReference{NewControllerRef(dep)}
	rsObj := h.mustCreate(rs)
	var pods []*api.Pod
	for i := range 3 {
		p := gcPod("web-1-"+strconv.Itoa(i), NewControllerRef(rsObj))
		pods = append(pods, h.mustCreate(p).(*api.Pod))
	}
	h.runPod(pods[0], "n1", true) // bound: waits for its agent
	h.run(NewGarbageCollector(h.env()))

	h.gcDelete(dep)
	waitFor(t, "the ReplicaSet to be collected", h.gone("ReplicaSet", "default", "web-1"))
	waitFor(t, "the unbound pods to be collected", func() bool {
		return h.get("Pod", "default", "web-1-1") == nil && h.get("Pod", "default", "web-1-2") == nil
	})
	waitFor(t, "the bound pod to be terminating", func() bool {
		p := h.get("Pod", "default", "web-1-0")
		return p != nil && p.GetObjectMeta().DeletionTimestamp != nil
	})
	h.finishPod(pods[0])
	waitFor(t, "the bound pod to be gone", h.gone("Pod", "default", "web-1-0"))
}

func TestGCForegroundWaitsForBlockingDependents(t *testing.T) {
	h := newHarness(t)
	owner := h.mustCreate(gcConfigMap("owner"))
	keeper := h.mustCreate(gcConfigMap("keeper"))
	p := h.mustCreate(gcPod("blocker", gcRef(owner))).(*api.Pod)
	h.runPod(p, "n1", true)
	loose := gcRef(owner)
	loose.BlockOwnerDeletion = nil
	h.mustCreate(gcConfigMap("loose", loose))
	h.mustCreate(gcConfigMap("shared", gcRef(owner), gcRef(keeper)))
	h.run(NewGarbageCollector(h.env()))

	h.markForeground(owner)
	waitFor(t, "the dependents to be deleted first", func() bool {
		bp := h.get("Pod", "default", "blocker")
		return h.get("ConfigMap", "default", "loose") == nil && bp != nil && bp.GetObjectMeta().DeletionTimestamp != nil
	})
	waitFor(t, "the shared dependent to lose only its reference to the owner", func() bool {
		o := h.get("ConfigMap", "default", "shared")
		return o != nil && len(o.GetObjectMeta().OwnerReferences) == 1 &&
			o.GetObjectMeta().OwnerReferences[0].UID == keeper.GetObjectMeta().UID
	})
	if h.get("ConfigMap", "default", "owner") == nil {
		t.Fatal("the owner went while a blocking dependent was still terminating")
	}
	h.finishPod(p)
	waitFor(t, "the owner to be removed after its blocking dependent", h.gone("ConfigMap", "default", "owner"))
}
