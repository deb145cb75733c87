package controller

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// fakeHealth is a NodeHealth the test sets by hand.
type fakeHealth struct {
	mu      sync.Mutex
	reports map[string]NodeHealthReport
	changed chan string
}

func newFakeHealth() *fakeHealth {
	return &fakeHealth{reports: map[string]NodeHealthReport{}, changed: make(chan string, 64)}
}

func (f *fakeHealth) Health(node string) NodeHealthReport {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reports[node]
}

func (f *fakeHealth) Watch(context.Context) <-chan string { return f.changed }

func (f *fakeHealth) set(node string, r NodeHealthReport) {
	f.mu.Lock()
	f.reports[node] = r
	f.mu.Unlock()
	f.changed <- node
}

// nlNode creates a node whose client last posted Ready=status at heartbeat.
func nlNode(h *harness, name, status string, heartbeat time.Time) {
	h.t.Helper()
	n := h.mustCreate(&api.Node{ObjectMeta: api.ObjectMeta{Name: name}}).(*api.Node)
	n.Status.Conditions = []api.NodeCondition{{
		Type: api.NodeReady, Status: status, Reason: "BerthClientReady",
		LastHeartbeatTime: api.NewTime(heartbeat), LastTransitionTime: api.NewTime(heartbeat),
	}}
	if _, err := h.UpdateStatus(context.Background(), n); err != nil {
		h.t.Fatalf("node %s status: %v", name, err)
	}
}

// nlPost plays the node's client: Ready=status with a heartbeat newer than the last.
func nlPost(h *harness, name, status string) error {
	n := h.get("Node", "", name).(*api.Node)
	cond := readyConditionOf(n)
	last := cond.LastHeartbeatTime.Time
	cond.Status, cond.Reason, cond.Message = status, "BerthClientReady", ""
	cond.LastHeartbeatTime = api.NewTime(last.Add(time.Second))
	_, err := h.UpdateStatus(context.Background(), n)
	return err
}

// nlPod creates a pod bound to node with the given tolerations.
func nlPod(h *harness, name, node string, tols ...api.Toleration) {
	h.t.Helper()
	h.mustCreate(&api.Pod{
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Spec: api.PodSpec{
			NodeName: node, Tolerations: tols,
			Containers: []api.Container{{Name: "app", Image: "busybox"}},
		},
	})
}

func unreachableFor(secs *int64) api.Toleration {
	return api.Toleration{Key: TaintNodeUnreachable, Operator: "Exists", Effect: api.TaintNoExecute, TolerationSeconds: secs}
}

func nlTaint(h *harness, node, key string) *api.Taint {
	n, _ := h.get("Node", "", node).(*api.Node)
	if n == nil {
		return nil
	}
	for i := range n.Spec.Taints {
		if n.Spec.Taints[i].Key == key {
			return &n.Spec.Taints[i]
		}
	}
	return nil
}

func nlReady(h *harness, node string) api.NodeCondition {
	n, _ := h.get("Node", "", node).(*api.Node)
	if n == nil {
		return api.NodeCondition{}
	}
	if c := readyConditionOf(n); c != nil {
		return *c
	}
	return api.NodeCondition{}
}

func nlExists(h *harness, pod string) bool { return h.get("Pod", "default", pod) != nil }

func TestNodeLifecycleDeadMemberEvicts(t *testing.T) {
	h := newHarness(t)
	health := newFakeHealth()
	nlNode(h, "n1", api.ConditionTrue, time.Now())
	nlNode(h, "n2", api.ConditionTrue, time.Now())
	one := int64(1)
	nlPod(h, "plain", "n1")
	nlPod(h, "tolerates-1s", "n1", unreachableFor(&one))
	nlPod(h, "tolerates-always", "n1", unreachableFor(nil))
	nlPod(h, "elsewhere", "n2")
	health.reports["n1"] = NodeHealthReport{Member: MemberDead, Since: time.Now()}
	health.reports["n2"] = NodeHealthReport{Member: MemberAlive, Since: time.Now()}

	const timeout = 200 * time.Millisecond
	start := time.Now()
	h.run(NewNodeLifecycle(h.env(), NodeLifecycleConfig{GracePeriod: time.Minute, PodEvictionTimeout: timeout, Health: health}))

	waitFor(t, "n1 tainted unreachable", func() bool { return nlTaint(h, "n1", TaintNodeUnreachable) != nil })
	if c := nlReady(h, "n1"); c.Status != api.ConditionUnknown || c.Reason != "NodeStatusUnknown" || c.Message != nodeMsgDead {
		t.Errorf("n1's Ready condition: %+v, want Unknown/NodeStatusUnknown/%q", c, nodeMsgDead)
	}
	if tn := nlTaint(h, "n1", TaintNodeUnreachable); tn.Effect != api.TaintNoExecute || tn.TimeAdded == nil {
		t.Errorf("taint %+v, want NoExecute with timeAdded", tn)
	}
	waitFor(t, "the plain pod force-deleted", func() bool { return !nlExists(h, "plain") })
	if d := time.Since(start); d < timeout {
		t.Errorf("plain pod evicted %v after start, before the %v timeout", d, timeout)
	}
	if !nlExists(h, "tolerates-1s") {
		t.Errorf("the pod tolerating 1 s went with the plain one (%v after start)", time.Since(start))
	}
	waitFor(t, "the pod tolerating 1 s deleted", func() bool { return !nlExists(h, "tolerates-1s") })
	if d := time.Since(start); d < time.Second {
		t.Errorf("pod tolerating 1 s evicted after %v", d)
	}
	if !nlExists(h, "tolerates-always") {
		t.Error("the pod tolerating the taint without tolerationSeconds was evicted")
	}
	if !nlExists(h, "elsewhere") || nlTaint(h, "n2", TaintNodeUnreachable) != nil || nlReady(h, "n2").Status != api.ConditionTrue {
		t.Error("the healthy node n2 or its pod was touched")
	}
	evs := h.eventsFor("plain")
	if len(evs) != 1 || evs[0].Reason != "TaintManagerEviction" || evs[0].Message != "Marking for deletion Pod default/plain" {
		t.Errorf("events of the evicted pod: %+v", evs)
	}
}

func TestNodeLifecycleRefusedProbe(t *testing.T) {
	h := newHarness(t)
	health := newFakeHealth()
	nlNode(h, "n1", api.ConditionTrue, time.Now())
	nlPod(h, "p", "n1")
	health.reports["n1"] = NodeHealthReport{Member: MemberSuspect, Since: time.Now()}
	h.run(NewNodeLifecycle(h.env(), NodeLifecycleConfig{GracePeriod: time.Minute, PodEvictionTimeout: 50 * time.Millisecond, Health: health}))

	// Suspect alone is no verdict (see TestJudgeNode); the refused probe is.
	health.set("n1", NodeHealthReport{Member: MemberSuspect, Since: time.Now(), RefusedSince: time.Now()})
	waitFor(t, "the pod evicted", func() bool { return !nlExists(h, "p") })
	if c := nlReady(h, "n1"); c.Status != api.ConditionUnknown || c.Message != nodeMsgRefused {
		t.Errorf("Ready: %+v, want Unknown with %q", c, nodeMsgRefused)
	}
}

func TestNodeLifecycleSilence(t *testing.T) {
	h := newHarness(t)
	// An old heartbeat: a new leader must still wait one grace from its start.
	nlNode(h, "silent", api.ConditionTrue, time.Now().Add(-time.Hour))
	nlNode(h, "posting", api.ConditionTrue, time.Now())
	// Tainted by an earlier leader long ago: its pods go at once, grace or not.
	nlNode(h, "lost-before", api.ConditionUnknown, time.Now().Add(-time.Hour))
	n := h.get("Node", "", "lost-before").(*api.Node)
	n.Spec.Taints = []api.Taint{{Key: TaintNodeUnreachable, Effect: api.TaintNoExecute, TimeAdded: api.NewTime(time.Now().Add(-time.Minute))}}
	if _, err := h.Update(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	nlPod(h, "on-silent", "silent")
	nlPod(h, "on-posting", "posting")
	nlPod(h, "on-lost-before", "lost-before")

	const grace = 600 * time.Millisecond
	ctx, stop := context.WithCancel(context.Background())
	posted := make(chan error, 1)
	go func() { // the posting node's client, every 50 ms
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				posted <- nil
				return
			case <-tick.C:
				if err := nlPost(h, "posting", api.ConditionTrue); err != nil {
					posted <- err
					return
				}
			}
		}
	}()
	start := time.Now()
	h.run(NewNodeLifecycle(h.env(), NodeLifecycleConfig{GracePeriod: grace, PodEvictionTimeout: 10 * time.Millisecond}))

	waitFor(t, "the pod of the node lost before the start evicted", func() bool { return !nlExists(h, "on-lost-before") })
	waitFor(t, "the silent node marked", func() bool { return nlReady(h, "silent").Status == api.ConditionUnknown })
	if d := time.Since(start); d < grace {
		t.Errorf("silent node marked %v after the controller started, within its first grace %v", d, grace)
	}
	if c := nlReady(h, "silent"); c.Message != nodeMsgSilent || !c.LastHeartbeatTime.Before(start.Add(-time.Minute)) {
		t.Errorf("silent node's Ready: %+v, want %q and the client's heartbeat kept", c, nodeMsgSilent)
	}
	waitFor(t, "the silent node's pod evicted", func() bool { return !nlExists(h, "on-silent") })
	stop()
	if err := <-posted; err != nil {
		t.Fatalf("posting heartbeats: %v", err)
	}
	if c := nlReady(h, "posting"); c.Status != api.ConditionTrue || nlTaint(h, "posting", TaintNodeUnreachable) != nil || !nlExists(h, "on-posting") {
		t.Errorf("the node whose client kept posting was judged lost: %+v", c)
	}
}

func TestNodeLifecycleRecovery(t *testing.T) {
	h := newHarness(t)
	health := newFakeHealth()
	nlNode(h, "n1", api.ConditionTrue, time.Now())
	nlPod(h, "stays", "n1", unreachableFor(nil))
	health.reports["n1"] = NodeHealthReport{Member: MemberDead, Since: time.Now()}
	h.run(NewNodeLifecycle(h.env(), NodeLifecycleConfig{GracePeriod: time.Minute, Health: health}))
	waitFor(t, "n1 tainted", func() bool { return nlTaint(h, "n1", TaintNodeUnreachable) != nil })

	// The client is back: gossip alive, then its own Ready=True heartbeat.
	health.set("n1", NodeHealthReport{Member: MemberAlive, Since: time.Now()})
	waitFor(t, "the client's heartbeat written", func() bool {
		err := nlPost(h, "n1", api.ConditionTrue)
		return err == nil
	})
	waitFor(t, "the taint removed", func() bool { return nlTaint(h, "n1", TaintNodeUnreachable) == nil })
	if c := nlReady(h, "n1"); c.Status != api.ConditionTrue {
		t.Errorf("Ready after recovery: %+v", c)
	}
	if !nlExists(h, "stays") {
		t.Error("the tolerating pod was evicted")
	}
}

func TestNodeLifecycleHeartbeatBeatsStaleGossip(t *testing.T) {
	h := newHarness(t)
	health := newFakeHealth()
	nlNode(h, "n1", api.ConditionTrue, time.Now())
	health.reports["n1"] = NodeHealthReport{Member: MemberDead, Since: time.Now()}
	h.run(NewNodeLifecycle(h.env(), NodeLifecycleConfig{GracePeriod: time.Minute, Health: health}))
	waitFor(t, "n1 tainted", func() bool { return nlTaint(h, "n1", TaintNodeUnreachable) != nil })
	// The client posts although gossip still says dead (it restarted and has
	// not rejoined yet): it is reachable.
	waitFor(t, "the client's heartbeat written", func() bool { return nlPost(h, "n1", api.ConditionTrue) == nil })
	waitFor(t, "the taint removed", func() bool { return nlTaint(h, "n1", TaintNodeUnreachable) == nil })
	if c := nlReady(h, "n1"); c.Status != api.ConditionTrue {
		t.Errorf("Ready: %+v", c)
	}
}

func TestNodeLifecycleNotReady(t *testing.T) {
	h := newHarness(t)
	nlNode(h, "n1", api.ConditionTrue, time.Now())
	nlPod(h, "p", "n1")
	h.run(NewNodeLifecycle(h.env(), NodeLifecycleConfig{GracePeriod: time.Minute, PodEvictionTimeout: 20 * time.Millisecond}))
	if err := nlPost(h, "n1", api.ConditionFalse); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "n1 tainted not-ready", func() bool { return nlTaint(h, "n1", TaintNodeNotReady) != nil })
	// The client is alive: the pod is deleted gracefully, for it to confirm.
	waitFor(t, "the pod terminating", func() bool {
		p, _ := h.get("Pod", "default", "p").(*api.Pod)
		return p != nil && p.DeletionTimestamp != nil
	})
	if err := nlPost(h, "n1", api.ConditionTrue); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the not-ready taint removed", func() bool { return nlTaint(h, "n1", TaintNodeNotReady) == nil })
}
