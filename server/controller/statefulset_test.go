package controller

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

func stsTestSet(name string, replicas int32) *api.StatefulSet {
	set := &api.StatefulSet{}
	set.Name, set.Namespace = name, "default"
	set.Spec.Replicas = &replicas
	set.Spec.ServiceName = name
	set.Spec.Selector = &api.LabelSelector{MatchLabels: map[string]string{"app": name}}
	set.Spec.Template.Labels = map[string]string{"app": name}
	set.Spec.Template.Spec.Containers = []api.Container{{Name: "app", Image: "db:1"}}
	return set
}

func stsRun(h *harness) *StatefulSetController {
	c := NewStatefulSetController(h.env())
	h.run(c)
	return c
}

func stsGet(h *harness, name string) *api.StatefulSet {
	o := h.get("StatefulSet", "default", name)
	if o == nil {
		return nil
	}
	return o.(*api.StatefulSet)
}

// stsPod returns the pod of that name (terminating too), or nil.
func stsPod(h *harness, name string) *api.Pod {
	o := h.get("Pod", "default", name)
	if o == nil {
		return nil
	}
	return o.(*api.Pod)
}

// stsLive is the names of the live (not terminating) pods, sorted.
func stsLive(h *harness) []string {
	var out []string
	for _, p := range h.pods("default", false) {
		out = append(out, p.Name)
	}
	slices.Sort(out)
	return out
}

// stsNever fails if cond holds at any time within d: the negative of waitFor, for
// "the controller must not do this yet".
func stsNever(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			t.Fatalf("%s happened", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stsQuiet fails if the controllers keep writing once the cluster settled: a
// reconcile that always finds something to change is a loop.
func stsQuiet(t *testing.T, h *harness) {
	t.Helper()
	h.mu.Lock()
	before := h.writes
	h.mu.Unlock()
	stsNever(t, 200*time.Millisecond, "writes with nothing to do", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.writes != before
	})
}

func stsWaitPod(t *testing.T, h *harness, name string) *api.Pod {
	t.Helper()
	var p *api.Pod
	waitFor(t, "pod "+name, func() bool {
		p = stsPod(h, name)
		return p != nil && p.DeletionTimestamp == nil
	})
	return p
}

func stsUpdate(t *testing.T, h *harness, name string, mutate func(*api.StatefulSet)) {
	t.Helper()
	for range 10 {
		set := stsGet(h, name)
		mutate(set)
		if _, err := h.Update(context.Background(), set); err == nil {
			return
		} else if api.ReasonOf(err) != api.ReasonConflict {
			t.Fatalf("update %s: %v", name, err)
		}
	}
	t.Fatalf("update %s: conflicts", name)
}

// stsReplace plays the agent finishing a graceful delete and waits for the
// replacement of the same name (a new uid).
func stsReplace(t *testing.T, h *harness, old *api.Pod) *api.Pod {
	t.Helper()
	h.finishPod(old)
	var p *api.Pod
	waitFor(t, "a new "+old.Name, func() bool {
		p = stsPod(h, old.Name)
		return p != nil && p.UID != old.UID
	})
	return p
}

func TestStatefulSetOrderedStart(t *testing.T) {
	h := newHarness(t)
	set := stsTestSet("web", 3)
	h.mustCreate(set)
	stsRun(h)

	p0 := stsWaitPod(t, h, "web-0")
	if p0.Spec.Hostname != "web-0" || p0.Spec.Subdomain != "web" {
		t.Errorf("hostname/subdomain = %q/%q, want web-0/web", p0.Spec.Hostname, p0.Spec.Subdomain)
	}
	for k, want := range map[string]string{"app": "web", api.StatefulSetPodNameLabel: "web-0", api.PodIndexLabel: "0"} {
		if p0.Labels[k] != want {
			t.Errorf("label %s = %q, want %q", k, p0.Labels[k], want)
		}
	}
	if p0.Labels[api.ControllerRevisionHashLabel] == "" {
		t.Error("no controller-revision-hash label")
	}
	stsNever(t, 150*time.Millisecond, "web-1 created before web-0 ran", func() bool { return stsPod(h, "web-1") != nil })
	h.runPod(p0, "n1", false)
	stsNever(t, 150*time.Millisecond, "web-1 created before web-0 was ready", func() bool { return stsPod(h, "web-1") != nil })
	h.runPod(stsPod(h, "web-0"), "n1", true)
	p1 := stsWaitPod(t, h, "web-1")
	stsNever(t, 100*time.Millisecond, "web-2 created before web-1 was ready", func() bool { return stsPod(h, "web-2") != nil })
	h.runPod(p1, "n1", true)
	h.runPod(stsWaitPod(t, h, "web-2"), "n1", true)
	waitFor(t, "status 3 ready", func() bool {
		s := stsGet(h, "web").Status
		return s.Replicas == 3 && s.ReadyReplicas == 3 && s.AvailableReplicas == 3 && s.UpdatedReplicas == 3 &&
			s.CurrentReplicas == 3 && s.CurrentRevision != "" && s.CurrentRevision == s.UpdateRevision && s.ObservedGeneration == 1
	})
	stsQuiet(t, h)
}

// stsRunning creates a set and plays the agent until every pod runs ready.
func stsRunning(t *testing.T, h *harness, set *api.StatefulSet) {
	t.Helper()
	h.mustCreate(set)
	stsRun(h)
	start := 0
	if set.Spec.Ordinals != nil {
		start = int(set.Spec.Ordinals.Start)
	}
	for i := range int(*set.Spec.Replicas) {
		h.runPod(stsWaitPod(t, h, stsPodName(set, start+i)), "n1", true)
	}
	waitFor(t, "all ready", func() bool { return stsGet(h, set.Name).Status.ReadyReplicas == *set.Spec.Replicas })
}

func TestStatefulSetScaleDownHighestFirst(t *testing.T) {
	h := newHarness(t)
	stsRunning(t, h, stsTestSet("web", 3))
	stsUpdate(t, h, "web", func(s *api.StatefulSet) { one := int32(1); s.Spec.Replicas = &one })

	waitFor(t, "web-2 terminating", func() bool { p := stsPod(h, "web-2"); return p != nil && p.DeletionTimestamp != nil })
	stsNever(t, 100*time.Millisecond, "web-1 deleted while web-2 terminates", func() bool { return stsPod(h, "web-1").DeletionTimestamp != nil })
	h.finishPod(stsPod(h, "web-2"))
	waitFor(t, "web-1 terminating", func() bool { p := stsPod(h, "web-1"); return p != nil && p.DeletionTimestamp != nil })
	h.finishPod(stsPod(h, "web-1"))
	waitFor(t, "one pod left", func() bool {
		return slices.Equal(stsLive(h), []string{"web-0"}) && stsGet(h, "web").Status.Replicas == 1
	})
}

func TestStatefulSetRecreatesSameName(t *testing.T) {
	h := newHarness(t)
	stsRunning(t, h, stsTestSet("web", 2))
	res, _ := api.ResourceForKind("Pod")

	// Deleted by a user: back under the same name.
	old := stsPod(h, "web-1")
	if err := h.Delete(context.Background(), res, "default", "web-1", DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	p := stsReplace(t, h, stsPod(h, "web-1"))
	if p.Labels[api.StatefulSetPodNameLabel] != "web-1" || p.UID == old.UID {
		t.Fatalf("replacement %s uid %s labels %v", p.Name, p.UID, p.Labels)
	}

	// Failed: the controller deletes it and makes it again.
	failed := stsPod(h, "web-0")
	failed.Status.Phase = api.PodFailed
	if _, err := h.UpdateStatus(context.Background(), failed); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "failed web-0 deleted", func() bool { return stsPod(h, "web-0").DeletionTimestamp != nil })
	stsReplace(t, h, stsPod(h, "web-0"))
}

func TestStatefulSetParallelWithOrdinalStart(t *testing.T) {
	h := newHarness(t)
	set := stsTestSet("web", 3)
	set.Spec.PodManagementPolicy = api.ParallelPodManagement
	set.Spec.Ordinals = &api.StatefulSetOrdinals{Start: 5}
	h.mustCreate(set)
	stsRun(h)
	waitFor(t, "three pods at once", func() bool { return slices.Equal(stsLive(h), []string{"web-5", "web-6", "web-7"}) })
	if got := stsPod(h, "web-6").Labels[api.PodIndexLabel]; got != "6" {
		t.Errorf("pod-index = %q, want 6", got)
	}

	// Scaling down in Parallel removes every surplus pod without waiting.
	stsUpdate(t, h, "web", func(s *api.StatefulSet) { one := int32(1); s.Spec.Replicas = &one })
	waitFor(t, "web-6 and web-7 gone", func() bool { return slices.Equal(stsLive(h), []string{"web-5"}) })
}

func TestStatefulSetRollingUpdateWithPartition(t *testing.T) {
	h := newHarness(t)
	set := stsTestSet("web", 3)
	set.Spec.UpdateStrategy.RollingUpdate = &api.RollingUpdateStatefulSetStrategy{Partition: stsPtr(int32(1))}
	stsRunning(t, h, set)
	oldRev := stsGet(h, "web").Status.CurrentRevision
	if cm, ok := h.get("ConfigMap", "default", oldRev).(*api.ConfigMap); !ok || cm.Data[stsRevisionTemplateKey] == "" {
		t.Fatalf("no revision ConfigMap %s", oldRev)
	}
	stsUpdate(t, h, "web", func(s *api.StatefulSet) { s.Spec.Template.Spec.Containers[0].Image = "db:2" })

	// Highest ordinal first, one at a time, each replacement ready before the next.
	waitFor(t, "web-2 terminating", func() bool { return stsPod(h, "web-2").DeletionTimestamp != nil })
	if stsPod(h, "web-1").DeletionTimestamp != nil {
		t.Fatal("web-1 deleted together with web-2")
	}
	p2 := stsReplace(t, h, stsPod(h, "web-2"))
	if p2.Spec.Containers[0].Image != "db:2" {
		t.Fatalf("web-2 image %s, want db:2", p2.Spec.Containers[0].Image)
	}
	stsNever(t, 100*time.Millisecond, "web-1 deleted before web-2 was ready", func() bool { return stsPod(h, "web-1").DeletionTimestamp != nil })
	h.runPod(p2, "n1", true)
	waitFor(t, "web-1 terminating", func() bool { return stsPod(h, "web-1").DeletionTimestamp != nil })
	h.runPod(stsReplace(t, h, stsPod(h, "web-1")), "n1", true)

	// The partition keeps web-0 on the old revision, and status says so.
	waitFor(t, "status: 2 updated, current unchanged", func() bool {
		s := stsGet(h, "web").Status
		return s.UpdatedReplicas == 2 && s.CurrentReplicas == 1 && s.CurrentRevision == oldRev && s.UpdateRevision != oldRev
	})
	if stsPod(h, "web-0").DeletionTimestamp != nil {
		t.Fatal("web-0 below the partition was deleted")
	}

	// A pod below the partition that dies comes back at the old revision.
	res, _ := api.ResourceForKind("Pod")
	if err := h.Delete(context.Background(), res, "default", "web-0", DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	p0 := stsReplace(t, h, stsPod(h, "web-0"))
	if p0.Spec.Containers[0].Image != "db:1" || p0.Labels[api.ControllerRevisionHashLabel] != oldRev {
		t.Fatalf("recreated web-0: image %s revision %s, want db:1 %s", p0.Spec.Containers[0].Image, p0.Labels[api.ControllerRevisionHashLabel], oldRev)
	}
	h.runPod(p0, "n1", true)

	// Partition 0 finishes the rollout.
	stsUpdate(t, h, "web", func(s *api.StatefulSet) { s.Spec.UpdateStrategy.RollingUpdate.Partition = stsPtr(int32(0)) })
	waitFor(t, "web-0 terminating", func() bool { return stsPod(h, "web-0").DeletionTimestamp != nil })
	h.runPod(stsReplace(t, h, stsPod(h, "web-0")), "n1", true)
	waitFor(t, "rollout complete", func() bool {
		s := stsGet(h, "web").Status
		return s.CurrentRevision == s.UpdateRevision && s.CurrentReplicas == 3 && s.UpdatedReplicas == 3
	})
}

func TestStatefulSetOnDelete(t *testing.T) {
	h := newHarness(t)
	set := stsTestSet("web", 2)
	set.Spec.UpdateStrategy = api.StatefulSetUpdateStrategy{Type: api.OnDeleteStatefulSetStrategyType}
	stsRunning(t, h, set)
	stsUpdate(t, h, "web", func(s *api.StatefulSet) { s.Spec.Template.Spec.Containers[0].Image = "db:2" })
	waitFor(t, "update revision observed", func() bool {
		s := stsGet(h, "web").Status
		return s.ObservedGeneration == 2 && s.UpdateRevision != s.CurrentRevision
	})
	stsNever(t, 100*time.Millisecond, "a pod deleted under OnDelete", func() bool { return len(stsLive(h)) != 2 })
	res, _ := api.ResourceForKind("Pod")
	if err := h.Delete(context.Background(), res, "default", "web-1", DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if p := stsReplace(t, h, stsPod(h, "web-1")); p.Spec.Containers[0].Image != "db:2" {
		t.Fatalf("web-1 image %s, want db:2", p.Spec.Containers[0].Image)
	}
}

func TestStatefulSetVolumesFollowOrdinal(t *testing.T) {
	h := newHarness(t)
	h.mustCreate(&api.Node{ObjectMeta: api.ObjectMeta{Name: "n1"}})
	set := stsTestSet("db", 1)
	set.Spec.VolumeClaimTemplates = []api.PersistentVolumeClaim{{ObjectMeta: api.ObjectMeta{Name: "data"}}}
	set.Spec.Template.Spec.Containers[0].VolumeMounts = []api.VolumeMount{{Name: "data", MountPath: "/var/lib/db"}}
	h.mustCreate(set)
	stsRun(h)

	p := stsWaitPod(t, h, "db-0")
	i := slices.IndexFunc(p.Spec.Volumes, func(v api.Volume) bool { return v.Name == "data" })
	if i < 0 || p.Spec.Volumes[i].PersistentVolumeClaim == nil || p.Spec.Volumes[i].PersistentVolumeClaim.ClaimName != "data-db-0" {
		t.Fatalf("volumes = %+v, want data as claim data-db-0", p.Spec.Volumes)
	}
	if p.Spec.Affinity != nil {
		t.Fatalf("first pod has affinity %+v; it may go anywhere", p.Spec.Affinity)
	}
	h.runPod(p, "n1", true)
	waitFor(t, "volume record", func() bool {
		cm, ok := h.get("ConfigMap", "default", "db"+stsPlacementSuffix).(*api.ConfigMap)
		return ok && cm.Data["db-0"] == "n1" && cm.Labels[stsPlacementLabel] == "db" && len(cm.OwnerReferences) == 0
	})

	// The replacement is pinned to the node that holds data-db-0.
	res, _ := api.ResourceForKind("Pod")
	if err := h.Delete(context.Background(), res, "default", "db-0", DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	p = stsReplace(t, h, stsPod(h, "db-0"))
	if got := dsTargetNode(p); got != "n1" || p.Annotations[stsVolumeNodeAnnotation] != "n1" {
		t.Fatalf("replacement targets %q (annotation %q), want n1", got, p.Annotations[stsVolumeNodeAnnotation])
	}

	// Its node gone, the ordinal starts afresh anywhere.
	nodeRes, _ := api.ResourceForKind("Node")
	if err := h.Delete(context.Background(), nodeRes, "", "n1", DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := h.Delete(context.Background(), res, "default", "db-0", DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "unpinned db-0", func() bool {
		p := stsPod(h, "db-0")
		return p != nil && p.Spec.Affinity == nil
	})
	waitFor(t, "VolumeNodeGone event", func() bool {
		return slices.ContainsFunc(h.eventsFor("db"), func(e recordedEvent) bool { return e.Reason == "VolumeNodeGone" })
	})
}

func TestStatefulSetOrdinalNames(t *testing.T) {
	set := stsTestSet("web", 1)
	tests := []struct {
		name string
		ord  int
		ok   bool
	}{
		{"web-0", 0, true}, {"web-12", 12, true}, {"web-", 0, false}, {"web-01", 0, false},
		{"web-x", 0, false}, {"web-1-2", 0, false}, {"other-1", 0, false}, {"web--1", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ord, ok := stsOrdinal(set, tt.name)
			if ok != tt.ok || (ok && ord != tt.ord) {
				t.Fatalf("stsOrdinal(%q) = %d, %v; want %d, %v", tt.name, ord, ok, tt.ord, tt.ok)
			}
		})
	}
}

func stsPtr[T any](v T) *T { return &v }

func TestStatefulSetRevisionHistory(t *testing.T) {
	h := newHarness(t)
	set := stsTestSet("web", 1)
	set.Spec.UpdateStrategy = api.StatefulSetUpdateStrategy{Type: api.OnDeleteStatefulSetStrategyType}
	set.Spec.RevisionHistoryLimit = stsPtr(int32(1))
	h.mustCreate(set)
	stsRun(h)
	revisions := func() []string {
		var out []string
		for _, o := range h.list("ConfigMap", "default") {
			if o.GetObjectMeta().Labels[stsRevisionOfLabel] == "web" {
				out = append(out, o.GetObjectMeta().Name)
			}
		}
		return out
	}
	for i, image := range []string{"db:2", "db:3", "db:4"} {
		stsUpdate(t, h, "web", func(s *api.StatefulSet) { s.Spec.Template.Spec.Containers[0].Image = image })
		waitFor(t, "revision of "+image, func() bool {
			s := stsGet(h, "web").Status
			return s.ObservedGeneration == int64(i+2) && slices.Contains(revisions(), s.UpdateRevision)
		})
	}
	// OnDelete keeps the first revision current; of the two in between, one stays.
	s := stsGet(h, "web").Status
	waitFor(t, "history trimmed to current, update and one more", func() bool {
		r := revisions()
		return len(r) == 3 && slices.Contains(r, s.CurrentRevision) && slices.Contains(r, s.UpdateRevision)
	})
}
