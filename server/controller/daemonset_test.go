package controller

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

func dsTestSet(name string) *api.DaemonSet {
	ds := &api.DaemonSet{}
	ds.Name, ds.Namespace = name, "default"
	ds.Spec.Selector = &api.LabelSelector{MatchLabels: map[string]string{"app": name}}
	ds.Spec.Template.Labels = map[string]string{"app": name}
	ds.Spec.Template.Spec.Containers = []api.Container{{Name: "agent", Image: "agent:1"}}
	return ds
}

func dsRun(h *harness) *DaemonSetController {
	c := NewDaemonSetController(h.env())
	h.run(c)
	return c
}

func dsMkNode(h *harness, name string, labels map[string]string, mutate func(*api.Node)) {
	h.t.Helper()
	n := &api.Node{ObjectMeta: api.ObjectMeta{Name: name, Labels: labels}}
	if mutate != nil {
		mutate(n)
	}
	h.mustCreate(n)
}

func dsUpdateNode(t *testing.T, h *harness, name string, mutate func(*api.Node)) {
	t.Helper()
	n := h.get("Node", "", name).(*api.Node)
	mutate(n)
	if _, err := h.Update(context.Background(), n); err != nil {
		t.Fatalf("update node %s: %v", name, err)
	}
}

// dsSetImage changes the template's image, retrying on conflicts with the
// controller's status writes.
func dsSetImage(t *testing.T, h *harness, name, image string) {
	t.Helper()
	for range 10 {
		ds := dsGet(h, name)
		ds.Spec.Template.Spec.Containers[0].Image = image
		_, err := h.Update(context.Background(), ds)
		if err == nil {
			return
		}
		if api.ReasonOf(err) != api.ReasonConflict {
			t.Fatal(err)
		}
	}
	t.Fatal("update: conflicts")
}

func dsGet(h *harness, name string) *api.DaemonSet {
	return h.get("DaemonSet", "default", name).(*api.DaemonSet)
}

// dsPodsByNode maps target node → the live pods for it.
func dsPodsByNode(h *harness) map[string][]*api.Pod {
	out := map[string][]*api.Pod{}
	for _, p := range h.pods("default", false) {
		out[dsTargetNode(p)] = append(out[dsTargetNode(p)], p)
	}
	return out
}

// dsOnNodes waits until the live pods are exactly one on each of nodes.
func dsOnNodes(t *testing.T, h *harness, nodes ...string) map[string]*api.Pod {
	t.Helper()
	var got map[string][]*api.Pod
	want := slices.Sorted(slices.Values(nodes))
	waitFor(t, "one pod on each of the nodes", func() bool {
		got = dsPodsByNode(h)
		if !slices.Equal(slices.Sorted(maps.Keys(got)), want) {
			return false
		}
		for _, ps := range got {
			if len(ps) != 1 {
				return false
			}
		}
		return true
	})
	out := map[string]*api.Pod{}
	for n, ps := range got {
		out[n] = ps[0]
	}
	return out
}

// dsRunAll plays the agents: every live pod bound to its target node and ready.
func dsRunAll(h *harness) {
	for _, p := range h.pods("default", false) {
		if !podIsReady(p) {
			h.runPod(p, dsTargetNode(p), true)
		}
	}
}

func TestDaemonSetOnePodPerMatchingNode(t *testing.T) {
	h := newHarness(t)
	dsMkNode(h, "n1", map[string]string{"role": "web"}, nil)
	dsMkNode(h, "n2", map[string]string{"role": "web"}, nil)
	dsMkNode(h, "n3", map[string]string{"role": "db"}, nil)
	ds := dsTestSet("logs")
	ds.Spec.Template.Spec.NodeSelector = map[string]string{"role": "web"}
	h.mustCreate(ds)
	dsRun(h)

	pods := dsOnNodes(t, h, "n1", "n2")
	p := pods["n1"]
	if p.Spec.NodeName != "" {
		t.Errorf("pod bound by the controller to %q; the scheduler binds", p.Spec.NodeName)
	}
	if p.Labels[api.ControllerRevisionHashLabel] == "" || p.Labels[dsTemplateGenerationLabel] != "1" {
		t.Errorf("labels %v lack the revision", p.Labels)
	}
	for _, key := range []string{k8sTaintUnreachable, k8sTaintNotReady, TaintNodeUnreachable, TaintNodeNotReady, k8sTaintUnschedulable} {
		if !slices.ContainsFunc(p.Spec.Tolerations, func(tol api.Toleration) bool { return tol.Key == key && tol.TolerationSeconds == nil }) {
			t.Errorf("no toleration for %s in %+v", key, p.Spec.Tolerations)
		}
	}
	waitFor(t, "status: 2 desired, 2 scheduled", func() bool {
		s := dsGet(h, "logs").Status
		return s.DesiredNumberScheduled == 2 && s.CurrentNumberScheduled == 2 && s.UpdatedNumberScheduled == 2 &&
			s.NumberUnavailable == 2 && s.ObservedGeneration == 1
	})
	dsRunAll(h)
	waitFor(t, "status: 2 ready and available", func() bool {
		s := dsGet(h, "logs").Status
		return s.NumberReady == 2 && s.NumberAvailable == 2 && s.NumberUnavailable == 0 && s.NumberMisscheduled == 0
	})
	stsQuiet(t, h)
}

func TestDaemonSetFollowsNodes(t *testing.T) {
	h := newHarness(t)
	dsMkNode(h, "n1", map[string]string{"role": "web"}, nil)
	dsMkNode(h, "n2", map[string]string{"role": "web"}, nil)
	ds := dsTestSet("logs")
	ds.Spec.Template.Spec.NodeSelector = map[string]string{"role": "web"}
	h.mustCreate(ds)
	dsRun(h)
	dsOnNodes(t, h, "n1", "n2")
	dsRunAll(h)

	dsMkNode(h, "n3", map[string]string{"role": "web"}, nil)
	dsOnNodes(t, h, "n1", "n2", "n3")

	// Relabelled away: its running pod is deleted gracefully.
	dsUpdateNode(t, h, "n1", func(n *api.Node) { n.Labels["role"] = "db" })
	waitFor(t, "n1's pod terminating", func() bool { _, ok := dsPodsByNode(h)["n1"]; return !ok })
	for _, p := range h.pods("default", true) {
		if p.DeletionTimestamp != nil {
			h.finishPod(p)
		}
	}
	// Removed: its pod goes at once (no agent is left to confirm).
	nodeRes, _ := api.ResourceForKind("Node")
	if err := h.Delete(context.Background(), nodeRes, "", "n2", DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	dsOnNodes(t, h, "n3")
	waitFor(t, "n2's pod removed from the store", func() bool {
		for _, p := range h.pods("default", true) {
			if dsTargetNode(p) == "n2" {
				return false
			}
		}
		return true
	})
	waitFor(t, "status: 1 desired", func() bool {
		s := dsGet(h, "logs").Status
		return s.DesiredNumberScheduled == 1 && s.CurrentNumberScheduled == 1
	})
}

func TestDaemonSetTaints(t *testing.T) {
	h := newHarness(t)
	dedicated := api.Taint{Key: "dedicated", Value: "gpu", Effect: api.TaintNoSchedule}
	dsMkNode(h, "plain", nil, nil)
	dsMkNode(h, "tainted", nil, func(n *api.Node) { n.Spec.Taints = []api.Taint{dedicated} })
	dsMkNode(h, "cordoned", nil, func(n *api.Node) { n.Spec.Unschedulable = true })
	dsMkNode(h, "unreachable", nil, func(n *api.Node) {
		n.Spec.Taints = []api.Taint{{Key: TaintNodeUnreachable, Effect: api.TaintNoExecute}}
	})
	h.mustCreate(dsTestSet("logs"))
	dsRun(h)
	pods := dsOnNodes(t, h, "plain", "cordoned", "unreachable")
	h.runPod(pods["plain"], "plain", true)

	// A new NoSchedule taint keeps the running pod; a NoExecute one removes it.
	dsUpdateNode(t, h, "plain", func(n *api.Node) { n.Spec.Taints = []api.Taint{{Key: "maint", Effect: api.TaintNoSchedule}} })
	waitFor(t, "status: plain no longer desired", func() bool { return dsGet(h, "logs").Status.DesiredNumberScheduled == 2 })
	if _, ok := dsPodsByNode(h)["plain"]; !ok {
		t.Fatal("NoSchedule taint removed a running daemon pod")
	}
	if got := dsGet(h, "logs").Status.NumberMisscheduled; got != 1 {
		t.Errorf("numberMisscheduled = %d, want 1", got)
	}
	dsUpdateNode(t, h, "plain", func(n *api.Node) { n.Spec.Taints = []api.Taint{{Key: "maint", Effect: api.TaintNoExecute}} })
	waitFor(t, "plain's pod deleted", func() bool { _, ok := dsPodsByNode(h)["plain"]; return !ok })

	// A set that tolerates the dedicated taint runs there too.
	tolerant := dsTestSet("gpu")
	tolerant.Spec.Template.Spec.Tolerations = []api.Toleration{{Key: "dedicated", Operator: "Exists"}}
	h.mustCreate(tolerant)
	waitFor(t, "gpu pod on the tainted node", func() bool {
		for _, p := range dsPodsByNode(h)["tainted"] {
			if p.Labels["app"] == "gpu" {
				return true
			}
		}
		return false
	})
}

func TestDaemonSetRollingUpdate(t *testing.T) {
	h := newHarness(t)
	nodes := []string{"n1", "n2", "n3"}
	for _, n := range nodes {
		dsMkNode(h, n, nil, nil)
	}
	h.mustCreate(dsTestSet("logs"))
	dsRun(h)
	dsOnNodes(t, h, nodes...)
	dsRunAll(h)
	waitFor(t, "all available", func() bool { return dsGet(h, "logs").Status.NumberAvailable == 3 })

	dsSetImage(t, h, "logs", "agent:2")
	// Play the agents until every node runs agent:2, checking that at most one node
	// (maxUnavailable 1) lacks an available pod at any point.
	deadline := time.Now().Add(10 * time.Second)
	for {
		all := h.pods("default", true)
		updated, down := 0, 0
		byNode := map[string][]*api.Pod{}
		for _, p := range all {
			byNode[dsTargetNode(p)] = append(byNode[dsTargetNode(p)], p)
		}
		for _, n := range nodes {
			ok := false
			for _, p := range byNode[n] {
				if p.DeletionTimestamp == nil && podIsReady(p) {
					ok = true
					if p.Spec.Containers[0].Image == "agent:2" {
						updated++
					}
				}
			}
			if !ok {
				down++
			}
		}
		if down > 1 {
			t.Fatalf("%d nodes down at once during the update", down)
		}
		if updated == 3 && len(all) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("update stuck: %d of 3 updated", updated)
		}
		for _, p := range all {
			switch {
			case p.DeletionTimestamp != nil:
				h.finishPod(p)
			case !podIsReady(p):
				h.runPod(p, dsTargetNode(p), true)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	waitFor(t, "status: 3 updated", func() bool {
		s := dsGet(h, "logs").Status
		return s.UpdatedNumberScheduled == 3 && s.NumberAvailable == 3 && s.ObservedGeneration == 2
	})
}

func TestDaemonSetSurge(t *testing.T) {
	h := newHarness(t)
	dsMkNode(h, "n1", nil, nil)
	ds := dsTestSet("logs")
	zero, one := api.FromInt(0), api.FromInt(1)
	ds.Spec.UpdateStrategy.RollingUpdate = &api.RollingUpdateDaemonSet{MaxUnavailable: &zero, MaxSurge: &one}
	h.mustCreate(ds)
	dsRun(h)
	old := dsOnNodes(t, h, "n1")["n1"]
	dsRunAll(h)

	dsSetImage(t, h, "logs", "agent:2")
	var surged *api.Pod
	waitFor(t, "a new pod beside the old one", func() bool {
		ps := dsPodsByNode(h)["n1"]
		for _, p := range ps {
			if p.UID != old.UID {
				surged = p
			}
		}
		return len(ps) == 2 && surged != nil
	})
	stsNever(t, 100*time.Millisecond, "old pod deleted before the new one was ready", func() bool {
		return h.get("Pod", "default", old.Name).(*api.Pod).DeletionTimestamp != nil
	})
	h.runPod(surged, "n1", true)
	waitFor(t, "old pod deleted", func() bool { return h.get("Pod", "default", old.Name).(*api.Pod).DeletionTimestamp != nil })
}

func TestDaemonSetAdoptsOrphans(t *testing.T) {
	h := newHarness(t)
	dsMkNode(h, "n1", nil, nil)
	orphan := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "logs-old", Namespace: "default", Labels: map[string]string{"app": "logs"}}}
	orphan.Spec.Containers = []api.Container{{Name: "agent", Image: "agent:0"}}
	orphan.Spec.NodeName = "n1"
	h.mustCreate(orphan)
	dsRun(h)
	h.mustCreate(dsTestSet("logs"))
	waitFor(t, "orphan adopted", func() bool {
		p := h.get("Pod", "default", "logs-old").(*api.Pod)
		ref := ControllerOf(p)
		return ref != nil && ref.Kind == "DaemonSet" && ref.Name == "logs"
	})
	// Adopted at an old revision, it is rolled (maxUnavailable 1): deleted, then
	// replaced on the same node.
	waitFor(t, "old pod rolled", func() bool { return h.get("Pod", "default", "logs-old").(*api.Pod).DeletionTimestamp != nil })
	h.finishPod(h.get("Pod", "default", "logs-old").(*api.Pod))
	dsOnNodes(t, h, "n1")
}
