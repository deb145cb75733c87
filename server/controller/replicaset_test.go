package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

func testReplicaSet(name string, replicas int32) *api.ReplicaSet {
	rs := &api.ReplicaSet{}
	rs.Name, rs.Namespace = name, "default"
	rs.Spec.Replicas = &replicas
	rs.Spec.Selector = &api.LabelSelector{MatchLabels: map[string]string{"app": name}}
	rs.Spec.Template.Labels = map[string]string{"app": name, "tier": "fe"}
	rs.Spec.Template.Spec.Containers = []api.Container{{Name: "app", Image: "web:1"}}
	return rs
}

func startReplicaSets(h *harness) *ReplicaSetController {
	c := NewReplicaSetController(h.env())
	h.run(c)
	return c
}

// controlledPods lists the live (not terminating) pods whose controller has uid,
// oldest first.
func controlledPods(h *harness, uid string) []*api.Pod {
	var out []*api.Pod
	for _, p := range h.pods("", false) {
		if ref := ControllerOf(p); ref != nil && ref.UID == uid {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *api.Pod) int { return a.CreationTimestamp.Compare(b.CreationTimestamp.Time) })
	return out
}

func getRS(h *harness, name string) *api.ReplicaSet {
	o := h.get("ReplicaSet", "default", name)
	if o == nil {
		return nil
	}
	return o.(*api.ReplicaSet)
}

func waitRSStatus(t *testing.T, h *harness, name, what string, cond func(api.ReplicaSetStatus) bool) {
	t.Helper()
	waitFor(t, name+": "+what, func() bool {
		rs := getRS(h, name)
		return rs != nil && rs.Status.ObservedGeneration == rs.Generation && cond(rs.Status)
	})
}

func scaleRS(t *testing.T, h *harness, name string, n int32) {
	t.Helper()
	for range 100 { // the controller writes status meanwhile: retry conflicts
		rs := getRS(h, name)
		rs.Spec.Replicas = &n
		_, err := h.Update(context.Background(), rs)
		if err == nil {
			return
		}
		if api.ReasonOf(err) != api.ReasonConflict {
			t.Fatalf("scale %s: %v", name, err)
		}
	}
	t.Fatalf("scale %s: conflicts 100 times in a row", name)
}

// readyPod plays the agent: binds p to node and marks it Running and Ready since.
func readyPod(t *testing.T, h *harness, p *api.Pod, node string, since time.Time) {
	t.Helper()
	h.runPod(p, node, true)
	cur := h.get("Pod", p.Namespace, p.Name).(*api.Pod)
	cur.Status.Conditions[0].LastTransitionTime = api.NewTime(since)
	if _, err := h.UpdateStatus(context.Background(), cur); err != nil {
		t.Fatalf("status %s: %v", p.Name, err)
	}
}

func TestReplicaSetCreatesPods(t *testing.T) {
	h := newHarness(t)
	rs := h.mustCreate(testReplicaSet("web", 3)).(*api.ReplicaSet)
	startReplicaSets(h)

	waitFor(t, "3 pods", func() bool { return len(controlledPods(h, rs.UID)) == 3 })
	for _, p := range controlledPods(h, rs.UID) {
		suffix, ok := strings.CutPrefix(p.Name, "web-")
		if !ok || len(suffix) != 5 || p.Namespace != "default" {
			t.Errorf("pod %s/%s: want default/web-<5 chars>", p.Namespace, p.Name)
		}
		if p.Labels["app"] != "web" || p.Labels["tier"] != "fe" {
			t.Errorf("pod %s labels %v, want the template's", p.Name, p.Labels)
		}
		ref := ControllerOf(p)
		if ref.Kind != "ReplicaSet" || ref.Name != "web" || ref.APIVersion != "apps/v1" {
			t.Errorf("pod %s controller %+v", p.Name, ref)
		}
	}
	waitRSStatus(t, h, "web", "3 replicas, none ready", func(s api.ReplicaSetStatus) bool {
		return s.Replicas == 3 && s.FullyLabeledReplicas == 3 && s.ReadyReplicas == 0
	})
	var created int
	for _, e := range h.eventsFor("web") {
		if e.Reason == "SuccessfulCreate" && strings.HasPrefix(e.Message, "Created pod: web-") {
			created++
		}
	}
	if created != 3 {
		t.Fatalf("SuccessfulCreate events = %d, want 3: %+v", created, h.eventsFor("web"))
	}
}

func TestReplicaSetScaleDownPicksVictims(t *testing.T) {
	h := newHarness(t)
	rs := h.mustCreate(testReplicaSet("web", 4)).(*api.ReplicaSet)
	startReplicaSets(h)
	waitFor(t, "4 pods", func() bool { return len(controlledPods(h, rs.UID)) == 4 })

	pods := controlledPods(h, rs.UID)
	unscheduled, notReady, readyNew, readyOld := pods[0], pods[1], pods[2], pods[3]
	h.runPod(notReady, "n1", false)
	readyPod(t, h, readyNew, "n2", time.Now().Add(-time.Minute))
	readyPod(t, h, readyOld, "n3", time.Now().Add(-time.Hour))
	waitRSStatus(t, h, "web", "2 ready", func(s api.ReplicaSetStatus) bool { return s.ReadyReplicas == 2 })

	for i, want := range []*api.Pod{unscheduled, notReady, readyNew} {
		scaleRS(t, h, "web", int32(3-i))
		waitFor(t, fmt.Sprintf("scale to %d removes %s", 3-i, want.Name), func() bool {
			live := controlledPods(h, rs.UID)
			return len(live) == 3-i && !slices.ContainsFunc(live, func(p *api.Pod) bool { return p.Name == want.Name })
		})
	}
	if live := controlledPods(h, rs.UID); live[0].Name != readyOld.Name {
		t.Fatalf("survivor = %s, want the longest ready %s", live[0].Name, readyOld.Name)
	}
	// Bound victims are only marked terminating; the unbound one is gone at once.
	if h.get("Pod", "default", unscheduled.Name) != nil {
		t.Fatalf("unscheduled victim %s still stored", unscheduled.Name)
	}
	if p := h.get("Pod", "default", notReady.Name); p == nil || p.GetObjectMeta().DeletionTimestamp == nil {
		t.Fatalf("bound victim %s: want terminating, got %+v", notReady.Name, p)
	}
	waitRSStatus(t, h, "web", "1 replica", func(s api.ReplicaSetStatus) bool {
		return s.Replicas == 1 && s.ReadyReplicas == 1 && s.AvailableReplicas == 1
	})
}

func TestReplicaSetReplacesDeletedPods(t *testing.T) {
	h := newHarness(t)
	rs := h.mustCreate(testReplicaSet("web", 2)).(*api.ReplicaSet)
	startReplicaSets(h)
	waitFor(t, "2 pods", func() bool { return len(controlledPods(h, rs.UID)) == 2 })
	pods := controlledPods(h, rs.UID)
	h.runPod(pods[0], "n1", true)
	podRes, _ := api.ResourceForKind("Pod")

	// An unbound pod is deleted at once; a bound one is terminating: neither counts.
	for _, p := range pods {
		if err := h.Delete(context.Background(), podRes, "default", p.Name, DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "2 replacements", func() bool {
		live := controlledPods(h, rs.UID)
		return len(live) == 2 && !slices.ContainsFunc(live, func(p *api.Pod) bool { return p.Name == pods[0].Name || p.Name == pods[1].Name })
	})
	if p := h.get("Pod", "default", pods[0].Name); p == nil {
		t.Fatalf("terminating pod %s vanished before its agent confirmed", pods[0].Name)
	}
	waitRSStatus(t, h, "web", "2 replicas", func(s api.ReplicaSetStatus) bool { return s.Replicas == 2 })
}

func TestReplicaSetAdoptsAndReleases(t *testing.T) {
	h := newHarness(t)
	orphan := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "stray", Namespace: "default", Labels: map[string]string{"app": "web"}}}
	orphan.Spec.Containers = []api.Container{{Name: "app", Image: "web:0"}}
	h.mustCreate(orphan)
	other := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "other", Namespace: "default", Labels: map[string]string{"app": "db"}}}
	other.Spec.Containers = []api.Container{{Name: "app", Image: "db:1"}}
	h.mustCreate(other)
	rs := h.mustCreate(testReplicaSet("web", 2)).(*api.ReplicaSet)
	startReplicaSets(h)

	waitFor(t, "the stray pod adopted and one created", func() bool {
		live := controlledPods(h, rs.UID)
		return len(live) == 2 && slices.ContainsFunc(live, func(p *api.Pod) bool { return p.Name == "stray" })
	})
	if ControllerOf(h.get("Pod", "default", "other")) != nil {
		t.Fatal("a pod the selector does not match was adopted")
	}
	// The adopted pod lacks the template's tier label: it is not fully labeled.
	waitRSStatus(t, h, "web", "one fully labeled", func(s api.ReplicaSetStatus) bool {
		return s.Replicas == 2 && s.FullyLabeledReplicas == 1
	})

	// Relabel the stray pod: it is released (ownerReference removed) and replaced.
	stray := h.get("Pod", "default", "stray").(*api.Pod)
	stray.Labels = map[string]string{"app": "elsewhere"}
	if _, err := h.Update(context.Background(), stray); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the stray pod released and replaced", func() bool {
		live := controlledPods(h, rs.UID)
		p := h.get("Pod", "default", "stray")
		return len(live) == 2 && p != nil && len(p.GetObjectMeta().OwnerReferences) == 0
	})

	// A pod created later with matching labels is adopted, and the surplus removed.
	late := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "late", Namespace: "default", Labels: map[string]string{"app": "web", "tier": "fe"}}}
	late.Spec.Containers = []api.Container{{Name: "app", Image: "web:1"}}
	h.mustCreate(late)
	waitFor(t, "the late pod adopted, back to 2", func() bool {
		p := h.get("Pod", "default", "late")
		ref := (*api.OwnerReference)(nil)
		if p != nil {
			ref = ControllerOf(p)
		}
		// The late pod is unscheduled and newest: it may be the victim itself.
		return len(controlledPods(h, rs.UID)) == 2 && (p == nil || ref != nil && ref.UID == rs.UID)
	})
}

func TestReplicaSetMinReadySeconds(t *testing.T) {
	h := newHarness(t)
	spec := testReplicaSet("web", 1)
	// Times have second precision: "ready since now" may read up to 1 s old, so 3 s
	// leaves at least 2 s to see the pod ready but not yet available.
	spec.Spec.MinReadySeconds = 3
	rs := h.mustCreate(spec).(*api.ReplicaSet)
	startReplicaSets(h)
	waitFor(t, "1 pod", func() bool { return len(controlledPods(h, rs.UID)) == 1 })

	readyPod(t, h, controlledPods(h, rs.UID)[0], "n1", time.Now())
	waitRSStatus(t, h, "web", "ready, not yet available", func(s api.ReplicaSetStatus) bool {
		return s.ReadyReplicas == 1 && s.AvailableReplicas == 0
	})
	// No event arrives from now on: the controller's own re-check makes it available.
	waitRSStatus(t, h, "web", "available after minReadySeconds", func(s api.ReplicaSetStatus) bool {
		return s.AvailableReplicas == 1
	})
}

func TestReplicaSetCountsCrashingPodsNotFinishedOnes(t *testing.T) {
	h := newHarness(t)
	rs := h.mustCreate(testReplicaSet("web", 2)).(*api.ReplicaSet)
	startReplicaSets(h)
	waitFor(t, "2 pods", func() bool { return len(controlledPods(h, rs.UID)) == 2 })
	pods := controlledPods(h, rs.UID)

	// restartPolicy Always: a crashing container keeps the pod Running, not ready.
	h.runPod(pods[0], "n1", false)
	crashing := h.get("Pod", "default", pods[0].Name).(*api.Pod)
	crashing.Status.ContainerStatuses = []api.ContainerStatus{{Name: "app", RestartCount: 9,
		State: api.ContainerState{Waiting: &api.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}}}
	if _, err := h.UpdateStatus(context.Background(), crashing); err != nil {
		t.Fatal(err)
	}
	// A finished pod (Failed) no longer counts and is replaced, but not deleted.
	h.runPod(pods[1], "n1", false)
	failed := h.get("Pod", "default", pods[1].Name).(*api.Pod)
	failed.Status.Phase = api.PodFailed
	if _, err := h.UpdateStatus(context.Background(), failed); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a replacement for the failed pod", func() bool { return len(controlledPods(h, rs.UID)) == 3 })
	waitRSStatus(t, h, "web", "2 active replicas", func(s api.ReplicaSetStatus) bool { return s.Replicas == 2 })
	live := controlledPods(h, rs.UID)
	if len(live) != 3 || !slices.ContainsFunc(live, func(p *api.Pod) bool { return p.Name == crashing.Name }) ||
		!slices.ContainsFunc(live, func(p *api.Pod) bool { return p.Name == failed.Name }) {
		t.Fatalf("pods = %d, want the crashing one, the failed one and one replacement", len(live))
	}
}

// flakyWriter fails pod creates while fail is set.
type flakyWriter struct {
	Writer
	mu       sync.Mutex
	fail     bool
	attempts int
}

func (w *flakyWriter) Create(ctx context.Context, obj api.Object) (api.Object, error) {
	if _, ok := obj.(*api.Pod); ok {
		w.mu.Lock()
		w.attempts++
		fail := w.fail
		w.mu.Unlock()
		if fail {
			return nil, api.NewError(api.ReasonForbidden, "exceeded quota: pods")
		}
	}
	return w.Writer.Create(ctx, obj)
}

func (w *flakyWriter) set(fail bool) {
	w.mu.Lock()
	w.fail = fail
	w.mu.Unlock()
}

func TestReplicaSetReplicaFailure(t *testing.T) {
	h := newHarness(t)
	w := &flakyWriter{Writer: h, fail: true}
	env := h.env()
	env.Writer = w
	rs := h.mustCreate(testReplicaSet("web", 5)).(*api.ReplicaSet)
	h.run(NewReplicaSetController(env))

	waitRSStatus(t, h, "web", "ReplicaFailure", func(s api.ReplicaSetStatus) bool {
		return len(s.Conditions) == 1 && s.Conditions[0].Type == "ReplicaFailure" && s.Conditions[0].Reason == "FailedCreate" &&
			strings.Contains(s.Conditions[0].Message, "exceeded quota")
	})
	if !slices.ContainsFunc(h.eventsFor("web"), func(e recordedEvent) bool { return e.Reason == "FailedCreate" && e.Type == "Warning" }) {
		t.Fatalf("no FailedCreate event: %+v", h.eventsFor("web"))
	}
	w.mu.Lock()
	attempts := w.attempts
	w.mu.Unlock()
	if attempts >= 5*2 {
		t.Fatalf("%d create attempts before the condition; slow start should stop at the first failure", attempts)
	}

	w.set(false)
	waitRSStatus(t, h, "web", "recovered", func(s api.ReplicaSetStatus) bool { return s.Replicas == 5 && len(s.Conditions) == 0 })
	if n := len(controlledPods(h, rs.UID)); n != 5 {
		t.Fatalf("pods = %d, want 5", n)
	}
}

// TestReplicaSetIdempotent: once settled, a sync writes nothing.
func TestReplicaSetIdempotent(t *testing.T) {
	h := newHarness(t)
	rs := h.mustCreate(testReplicaSet("web", 3)).(*api.ReplicaSet)
	c := startReplicaSets(h)
	waitRSStatus(t, h, "web", "3 replicas", func(s api.ReplicaSetStatus) bool { return s.Replicas == 3 })
	for _, p := range controlledPods(h, rs.UID) {
		h.runPod(p, "n1", true)
	}
	waitRSStatus(t, h, "web", "3 available", func(s api.ReplicaSetStatus) bool { return s.AvailableReplicas == 3 })

	h.mu.Lock()
	before := h.writes
	h.mu.Unlock()
	for range 3 {
		if err := c.sync(context.Background(), "default/web"); err != nil {
			t.Fatal(err)
		}
	}
	h.mu.Lock()
	after := h.writes
	h.mu.Unlock()
	if after != before {
		t.Fatalf("settled syncs wrote %d times", after-before)
	}
	if err := c.sync(context.Background(), "default/missing"); err != nil {
		t.Fatalf("sync of a deleted ReplicaSet: %v", err)
	}
}
