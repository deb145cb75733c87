package controller

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// markTerminating stamps a namespace's deletion as the server's DELETE does, except
// for the phase, which the controller must set itself when it is missing.
func (h *harness) markTerminating(name string) {
	h.t.Helper()
	res, _ := api.ResourceForKind("Namespace")
	rec, ok := h.fsm.Get(res, "", name)
	if !ok {
		h.t.Fatalf("namespace %s not found", name)
	}
	next := api.DeepCopy(rec.Object)
	next.GetObjectMeta().DeletionTimestamp = api.NewTime(time.Now())
	body, _ := json.Marshal(next)
	if _, err := h.apply(raftfsm.Command{Type: raftfsm.CmdUpdate, Kind: "Namespace", Name: name, ResourceVersion: rec.RV, Object: body}); err != nil {
		h.t.Fatalf("mark %s: %v", name, err)
	}
}

func nsEvent(ns, name string) *api.Event {
	e := &api.Event{Reason: "Test", Message: "m", Type: "Normal", ReportingComponent: "test", ReportingInstance: "t"}
	e.Name, e.Namespace = name, ns
	e.InvolvedObject = api.ObjectReference{Kind: "ConfigMap", Namespace: ns, Name: "cm"}
	return e
}

func TestNamespaceControllerEmptiesThenRemoves(t *testing.T) {
	h := newHarness(t)
	for _, ns := range []string{"team", "other"} {
		h.mustCreate(&api.Namespace{ObjectMeta: api.ObjectMeta{Name: ns}})
		cm := gcConfigMap("cm")
		cm.Namespace = ns
		h.mustCreate(cm)
	}
	secret := &api.Secret{StringData: map[string]string{"k": "v"}}
	secret.Name, secret.Namespace = "s", "team"
	h.mustCreate(secret)
	h.mustCreate(nsEvent("team", "cm.1"))
	unbound := gcPod("unbound")
	unbound.Namespace = "team"
	h.mustCreate(unbound)
	bound := gcPod("bound")
	bound.Namespace = "team"
	boundPod := h.mustCreate(bound).(*api.Pod)
	h.runPod(boundPod, "n1", true)

	h.markTerminating("team")
	h.run(NewNamespaceController(h.env()))

	waitFor(t, "everything but the bound pod to be deleted", func() bool {
		n := 0
		for _, kind := range []string{"ConfigMap", "Secret", "Event", "Pod"} {
			n += len(h.list(kind, "team"))
		}
		p := h.get("Pod", "team", "bound")
		return n == 1 && p != nil && p.GetObjectMeta().DeletionTimestamp != nil
	})
	ns := h.get("Namespace", "", "team")
	if ns == nil || ns.(*api.Namespace).Status.Phase != api.NamespaceTerminating {
		t.Fatalf("namespace while its pod terminates = %+v, want it kept and Terminating", ns)
	}
	h.finishPod(boundPod)
	waitFor(t, "the empty namespace to be removed", func() bool { return h.get("Namespace", "", "team") == nil })
	if h.get("ConfigMap", "other", "cm") == nil || h.get("Namespace", "", "other") == nil {
		t.Fatal("a namespace that is not terminating lost something")
	}
}

func TestNamespaceControllerTakesOverOnStart(t *testing.T) {
	h := newHarness(t)
	h.mustCreate(&api.Namespace{ObjectMeta: api.ObjectMeta{Name: "gone-soon"}})
	h.markTerminating("gone-soon") // empty already, marked under an old leader
	h.run(NewNamespaceController(h.env()))
	waitFor(t, "the terminating namespace to be removed", func() bool { return h.get("Namespace", "", "gone-soon") == nil })
}
