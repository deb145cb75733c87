package server

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

const mebi = 1024 * 1024

// schedNode is a Ready node with milliCPU and memMi MiB allocatable and room for 110
// pods; opts may add labels or taints.
func schedNode(name string, milliCPU, memMi int64, opts ...func(*api.Node)) *api.Node {
	n := &api.Node{}
	n.APIVersion, n.Kind = "v1", "Node"
	n.Name = name
	n.Labels = map[string]string{"kubernetes.io/hostname": name}
	res := api.ResourceList{
		api.ResourceCPU:    api.NewMilliQuantity(milliCPU),
		api.ResourceMemory: api.NewQuantity(memMi*mebi, api.BinarySI),
		api.ResourcePods:   api.NewQuantity(110, api.DecimalSI),
	}
	n.Status.Capacity, n.Status.Allocatable = res, res
	n.Status.Conditions = []api.NodeCondition{{Type: api.NodeReady, Status: api.ConditionTrue, Reason: "Test"}}
	for _, o := range opts {
		o(n)
	}
	return n
}

func nodeLabel(k, v string) func(*api.Node) {
	return func(n *api.Node) { n.Labels[k] = v }
}

func nodeTaint(k, v, effect string) func(*api.Node) {
	return func(n *api.Node) { n.Spec.Taints = append(n.Spec.Taints, api.Taint{Key: k, Value: v, Effect: effect}) }
}

// schedPod is an unbound pod in "default" requesting milliCPU and memMi MiB.
func schedPod(name string, milliCPU, memMi int64, opts ...func(*api.Pod)) *api.Pod {
	p := newPod("default", name)
	req := api.ResourceList{}
	if milliCPU > 0 {
		req[api.ResourceCPU] = api.NewMilliQuantity(milliCPU)
	}
	if memMi > 0 {
		req[api.ResourceMemory] = api.NewQuantity(memMi*mebi, api.BinarySI)
	}
	p.Spec.Containers[0].Resources.Requests = req
	for _, o := range opts {
		o(p)
	}
	return p
}

func podPriorityClass(name string) func(*api.Pod) {
	return func(p *api.Pod) { p.Spec.PriorityClassName = name }
}

func priorityClass(name string, value int32) *api.PriorityClass {
	pc := &api.PriorityClass{Value: value}
	pc.APIVersion, pc.Kind = "scheduling.k8s.io/v1", "PriorityClass"
	pc.Name = name
	return pc
}

// mustCreate creates obj through the API.
func (ts *testServer) mustCreate(t *testing.T, obj api.Object) api.Object {
	t.Helper()
	got, err := ts.client.Create(context.Background(), obj)
	if err != nil {
		t.Fatalf("create %s %s: %v", obj.GetTypeMeta().Kind, obj.GetObjectMeta().Name, err)
	}
	return got
}

// getPod reads default/name from the leader's store.
func (ts *testServer) getPod(t *testing.T, name string) *api.Pod {
	t.Helper()
	rec, ok := ts.s.fsm.Get(mustRes(t, "Pod"), "default", name)
	if !ok {
		return nil
	}
	return rec.Object.(*api.Pod)
}

// waitBound waits until default/name is bound and returns its node.
func (ts *testServer) waitBound(t *testing.T, name string) string {
	t.Helper()
	var node string
	waitFor(t, 10*time.Second, "pod "+name+" to be bound", func() error {
		p := ts.getPod(t, name)
		if p == nil || p.Spec.NodeName == "" {
			return fmt.Errorf("not bound: %+v", p)
		}
		node = p.Spec.NodeName
		return nil
	})
	return node
}

// eventsFor lists the Events about the object named name in namespace ns.
func (ts *testServer) eventsFor(t *testing.T, ns, name string) []*api.Event {
	t.Helper()
	recs, _ := ts.s.fsm.List(mustRes(t, "Event"), ns)
	var out []*api.Event
	for _, rec := range recs {
		if ev := rec.Object.(*api.Event); ev.InvolvedObject.Name == name {
			out = append(out, ev)
		}
	}
	return out
}

// waitEvent waits for an Event with reason about ns/name and returns it.
func (ts *testServer) waitEvent(t *testing.T, ns, name, reason string) *api.Event {
	t.Helper()
	var found *api.Event
	waitFor(t, 10*time.Second, reason+" event of "+name, func() error {
		for _, ev := range ts.eventsFor(t, ns, name) {
			if ev.Reason == reason {
				found = ev
				return nil
			}
		}
		return fmt.Errorf("no %s event yet", reason)
	})
	return found
}

func podCondition(p *api.Pod, typ string) *api.PodCondition {
	if i := podConditionIndex(p, typ); i >= 0 {
		return &p.Status.Conditions[i]
	}
	return nil
}

// TestSchedulerBindsToTheOnlyFittingNode: a pod that fits one node of three goes
// there, with a Scheduled Event from default-scheduler.
func TestSchedulerBindsToTheOnlyFittingNode(t *testing.T) {
	ts := mustStartServer(t, nil)
	ts.mustCreate(t, schedNode("small-1", 1000, 1024))
	ts.mustCreate(t, schedNode("small-2", 1000, 1024))
	ts.mustCreate(t, schedNode("big", 4000, 8192))
	ts.mustCreate(t, schedPod("web", 2000, 512))

	if node := ts.waitBound(t, "web"); node != "big" {
		t.Fatalf("bound to %s, want big", node)
	}
	ev := ts.waitEvent(t, "default", "web", "Scheduled")
	if ev.Message != "Successfully assigned default/web to big" || ev.Type != api.EventTypeNormal ||
		ev.Source.Component != "default-scheduler" || ev.InvolvedObject.Kind != "Pod" || ev.Count != 1 {
		t.Fatalf("Scheduled event = %+v", ev)
	}
	if !strings.HasPrefix(ev.Name, "web.") {
		t.Fatalf("event name %q, want web.<hex nanos>", ev.Name)
	}
}

// TestSchedulerUnschedulableUntilNodeAdded: a pod that fits nowhere stays pending
// with Kubernetes' FailedScheduling message in an Event and in its PodScheduled
// condition, and binds once a node with room appears.
func TestSchedulerUnschedulableUntilNodeAdded(t *testing.T) {
	ts := mustStartServer(t, nil)
	for i := range 3 {
		ts.mustCreate(t, schedNode(fmt.Sprintf("small-%d", i), 1000, 1024))
	}
	for i := range 2 {
		ts.mustCreate(t, schedNode(fmt.Sprintf("gpu-%d", i), 8000, 8192, nodeTaint("dedicated", "gpu", "NoSchedule")))
	}
	ts.mustCreate(t, schedPod("batch", 2000, 512))

	const want = "0/5 nodes are available: 2 node(s) had untolerated taint {dedicated: gpu}, 3 Insufficient cpu."
	ev := ts.waitEvent(t, "default", "batch", "FailedScheduling")
	if ev.Type != api.EventTypeWarning || !strings.HasPrefix(ev.Message, want) {
		t.Fatalf("FailedScheduling = %q (%s), want prefix %q", ev.Message, ev.Type, want)
	}
	waitFor(t, 10*time.Second, "the PodScheduled=False condition", func() error {
		c := podCondition(ts.getPod(t, "batch"), api.PodScheduled)
		if c == nil || c.Status != api.ConditionFalse || c.Reason != "Unschedulable" || c.Message != ev.Message {
			return fmt.Errorf("condition = %+v", c)
		}
		return nil
	})
	if p := ts.getPod(t, "batch"); p.Spec.NodeName != "" {
		t.Fatalf("bound to %s while nothing fits", p.Spec.NodeName)
	}

	ts.mustCreate(t, schedNode("roomy", 4000, 4096))
	if node := ts.waitBound(t, "batch"); node != "roomy" {
		t.Fatalf("bound to %s, want roomy", node)
	}
	waitFor(t, 10*time.Second, "PodScheduled to turn True", func() error {
		c := podCondition(ts.getPod(t, "batch"), api.PodScheduled)
		if c == nil || c.Status != api.ConditionTrue {
			return fmt.Errorf("condition = %+v", c)
		}
		return nil
	})
}

// TestSchedulerNodeSelectorAndTaints: nodeSelector and tolerations decide the node.
func TestSchedulerNodeSelectorAndTaints(t *testing.T) {
	ts := mustStartServer(t, nil)
	ts.mustCreate(t, schedNode("plain", 4000, 4096))
	ts.mustCreate(t, schedNode("ssd", 4000, 4096, nodeLabel("disk", "ssd")))
	ts.mustCreate(t, schedNode("tainted", 4000, 4096, nodeLabel("disk", "hdd"), nodeTaint("team", "a", "NoSchedule")))
	tests := []struct {
		name string
		pod  func(*api.Pod)
		want string
	}{
		{name: "selector", want: "ssd", pod: func(p *api.Pod) { p.Spec.NodeSelector = map[string]string{"disk": "ssd"} }},
		{name: "toleration", want: "tainted", pod: func(p *api.Pod) {
			p.Spec.NodeSelector = map[string]string{"disk": "hdd"}
			p.Spec.Tolerations = []api.Toleration{{Key: "team", Operator: "Equal", Value: "a", Effect: "NoSchedule"}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts.mustCreate(t, schedPod(tt.name, 100, 64, tt.pod))
			if node := ts.waitBound(t, tt.name); node != tt.want {
				t.Fatalf("bound to %s, want %s", node, tt.want)
			}
		})
	}
	t.Run("untolerated taint", func(t *testing.T) {
		ts.mustCreate(t, schedPod("no-toleration", 100, 64, func(p *api.Pod) {
			p.Spec.NodeSelector = map[string]string{"disk": "hdd"}
		}))
		ev := ts.waitEvent(t, "default", "no-toleration", "FailedScheduling")
		const want = "0/3 nodes are available: 1 node(s) had untolerated taint {team: a}, 2 node(s) didn't match Pod's node affinity/selector."
		if !strings.HasPrefix(ev.Message, want) {
			t.Fatalf("message %q, want prefix %q", ev.Message, want)
		}
	})
}

// TestSchedulerPreemption: a pod of a high PriorityClass that fits nowhere evicts a
// lower one gracefully (marked, a Preempted Event), is nominated to the node, and binds
// there once the victim is gone — the test plays the node's agent and confirms the
// deletion with a zero grace period.
func TestSchedulerPreemption(t *testing.T) {
	ts := mustStartServer(t, nil)
	ts.mustCreate(t, priorityClass("high", 1000))
	ts.mustCreate(t, schedNode("only", 1000, 2048))
	ts.mustCreate(t, schedPod("low", 800, 128))
	ts.waitBound(t, "low")

	ts.mustCreate(t, schedPod("high", 800, 128, podPriorityClass("high")))
	waitFor(t, 10*time.Second, "the victim to be marked for deletion", func() error {
		if p := ts.getPod(t, "low"); p == nil || p.DeletionTimestamp == nil {
			return fmt.Errorf("low = %+v", p)
		}
		return nil
	})
	ev := ts.waitEvent(t, "default", "low", "Preempted")
	if ev.Message != "Preempted by default/high on node only" || ev.Type != api.EventTypeNormal {
		t.Fatalf("Preempted event = %q (%s)", ev.Message, ev.Type)
	}
	waitFor(t, 10*time.Second, "high to be nominated", func() error {
		if p := ts.getPod(t, "high"); p.Status.NominatedNodeName != "only" {
			return fmt.Errorf("nominatedNodeName = %q", p.Status.NominatedNodeName)
		}
		return nil
	})
	if p := ts.getPod(t, "high"); p.Spec.NodeName != "" {
		t.Fatalf("high bound to %s while the victim still holds the room", p.Spec.NodeName)
	}

	// The agent has stopped the victim's containers: it removes the object.
	if code, _ := deletePodRaw(t, ts, "low", "gracePeriodSeconds=0", ""); code != 200 {
		t.Fatalf("confirming the victim's deletion: HTTP %d", code)
	}
	if node := ts.waitBound(t, "high"); node != "only" {
		t.Fatalf("high bound to %s, want only", node)
	}
	waitFor(t, 10*time.Second, "the nomination to be cleared", func() error {
		if p := ts.getPod(t, "high"); p.Status.NominatedNodeName != "" {
			return fmt.Errorf("nominatedNodeName = %q", p.Status.NominatedNodeName)
		}
		return nil
	})
}

// TestSchedulerBindsManyPodsInFewEntries: 2,000 pods on 200 nodes are bound in a
// handful of Raft entries (one per bind batch), not one each.
func TestSchedulerBindsManyPodsInFewEntries(t *testing.T) {
	ts := mustStartServer(t, nil)
	nodes := make([]api.Object, 200)
	for i := range nodes {
		nodes[i] = schedNode(fmt.Sprintf("node-%03d", i), 4000, 8192)
	}
	mustProposeCreates(t, ts.s, nodes)
	pods := make([]api.Object, 2000)
	for i := range pods {
		pods[i] = schedPod(fmt.Sprintf("p-%04d", i), 100, 64)
	}
	start := ts.s.fsm.Index()
	mustProposeCreates(t, ts.s, pods)
	created := ts.s.fsm.Index()
	waitFor(t, 30*time.Second, "2,000 pods to be bound", func() error {
		if n := ts.boundPods(t); n != len(pods) {
			return fmt.Errorf("%d of %d bound", n, len(pods))
		}
		return nil
	})
	bound := ts.s.fsm.Index()
	// The creates took created-start entries; the bindings, their Scheduled Events and
	// anything else written meanwhile took the rest. One entry per pod would be 2,000.
	if entries := bound - created; entries > 60 {
		t.Fatalf("binding 2,000 pods took %d Raft entries (creates took %d)", entries, created-start)
	}
	t.Logf("creates: %d entries; bindings and events: %d entries", created-start, bound-created)
	perNode := map[string]int{}
	for _, p := range ts.listPods(t) {
		perNode[p.Spec.NodeName]++
	}
	for node, n := range perNode {
		if n > 20 { // 10 each if spread perfectly; LeastAllocated keeps it close
			t.Errorf("node %s got %d pods", node, n)
		}
	}
}

// mustProposeCreates creates stamped objects in batches of 500 straight through the
// proposer, as a burst of API creates would arrive batched.
func mustProposeCreates(t testing.TB, s *Server, objs []api.Object) {
	t.Helper()
	for len(objs) > 0 {
		n := min(len(objs), 500)
		cmds := make([]raftfsm.Command, n)
		for i, obj := range objs[:n] {
			res, _ := api.ResourceForObject(obj)
			stampNew(res, obj, time.Now())
			api.Default(obj)
			b, err := api.Encode(obj)
			if err != nil {
				t.Fatal(err)
			}
			m := obj.GetObjectMeta()
			cmds[i] = raftfsm.Command{Type: raftfsm.CmdCreate, Kind: res.Kind, Namespace: m.Namespace, Name: m.Name, Object: b}
		}
		results, err := s.prop.proposeBatch(context.Background(), cmds)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range results {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
		objs = objs[n:]
	}
}

func (ts *testServer) listPods(t testing.TB) []*api.Pod {
	recs, _ := ts.s.fsm.List(mustRes(t, "Pod"), "")
	out := make([]*api.Pod, len(recs))
	for i, rec := range recs {
		out[i] = rec.Object.(*api.Pod)
	}
	return out
}

func (ts *testServer) boundPods(t testing.TB) int {
	n := 0
	for _, p := range ts.listPods(t) {
		if p.Spec.NodeName != "" {
			n++
		}
	}
	return n
}
