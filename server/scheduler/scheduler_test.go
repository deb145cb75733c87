package scheduler

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/berth-dev/berth/api"
)

func TestFitErrorMessage(t *testing.T) {
	cases := []struct {
		name string
		err  *FitError
		want string
	}{
		{name: "counted and sorted", err: &FitError{NumAllNodes: 5, Reasons: map[string]int{
			ReasonInsufficientCPU: 3, "node(s) had untolerated taint {node.berth.io/unreachable: }": 2}},
			want: "0/5 nodes are available: 2 node(s) had untolerated taint {node.berth.io/unreachable: }, 3 Insufficient cpu."},
		{name: "no nodes", err: &FitError{}, want: "0/0 nodes are available."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Fatalf("got %q\nwant %q", got, tc.want)
			}
			if !errors.Is(tc.err, ErrUnschedulable) {
				t.Fatal("FitError does not wrap ErrUnschedulable")
			}
		})
	}
}

func TestScheduleFitsNowhere(t *testing.T) {
	unreachable := withTaint("node.berth.io/unreachable", "", api.TaintNoExecute)
	nodes := []*api.Node{mkNode("a", 1000, 1000), mkNode("b", 1000, 1000), mkNode("c", 1000, 1000),
		mkNode("d", 8000, 8000, unreachable), mkNode("e", 8000, 8000, unreachable)}
	s, b, _ := mustNewScheduler(t, DefaultConfig(), NewSnapshot(nodes, nil))
	rs := s.Schedule(context.Background(), []*api.Pod{mkPod("big", 2000, 100)})
	want := "0/5 nodes are available: 2 node(s) had untolerated taint {node.berth.io/unreachable: }, 3 Insufficient cpu."
	var fe *FitError
	if !errors.As(rs[0].Err, &fe) || fe.Error() != want {
		t.Fatalf("err = %v, want %q", rs[0].Err, want)
	}
	if len(b.calls) != 0 {
		t.Fatalf("bound anyway: %v", b.calls)
	}
	if a, p := s.Pending(); a != 0 || p != 1 {
		t.Fatalf("pending = %d active %d parked, want parked", a, p)
	}
	s.NotifyClusterChange()
	if a, _ := s.Pending(); a != 1 {
		t.Fatalf("NotifyClusterChange did not unpark")
	}
}

func TestAssumeCacheBatch(t *testing.T) {
	nodes := []*api.Node{mkNode("a", 5000, 5000), mkNode("b", 5000, 5000)}
	var pods []*api.Pod
	for i := range 10 {
		pods = append(pods, mkPod(fmt.Sprintf("p%d", i), 1000, 100))
	}
	// The snapshot never shows the bindings: only the assume cache keeps count.
	s, b, _ := mustNewScheduler(t, DefaultConfig(), NewSnapshot(nodes, pods))
	rs := s.Schedule(context.Background(), pods)
	perNode := map[string]int{}
	for _, r := range rs {
		if r.Err != nil {
			t.Fatalf("%s: %v", r.Pod.Name, r.Err)
		}
		perNode[r.NodeName]++
	}
	if perNode["a"] != 5 || perNode["b"] != 5 {
		t.Fatalf("placement %v, want 5/5", perNode)
	}
	if len(b.calls) != 1 || len(b.calls[0]) != 10 {
		t.Fatalf("bind calls = %d, want one batch of 10", len(b.calls))
	}
	// A second cycle against the same stale snapshot still sees them.
	extra := mkPod("p10", 1000, 100)
	if r := s.Schedule(context.Background(), []*api.Pod{extra})[0]; !errors.Is(r.Err, ErrUnschedulable) {
		t.Fatalf("11th pod: %+v, want unschedulable", r)
	}
}

func TestAssumeForgetConfirm(t *testing.T) {
	nodes := []*api.Node{mkNode("a", 1000, 1000)}
	p := mkPod("p", 600, 0)
	c := NewCache()
	c.Refresh(NewSnapshot(nodes, []*api.Pod{p}))
	if err := c.Assume(p, "a"); err != nil {
		t.Fatal(err)
	}
	if got := c.byName["a"].requested.milliCPU; got != 600 {
		t.Fatalf("assumed requested = %d", got)
	}
	c.Forget(p)
	if got := c.byName["a"].requested.milliCPU; got != 0 || c.IsAssumed(p) {
		t.Fatalf("after Forget requested = %d", got)
	}
	if err := c.Assume(p, "nowhere"); !errors.Is(err, ErrBind) {
		t.Fatalf("assume on unknown node: %v", err)
	}
	_ = c.Assume(p, "a")
	c.Confirm(p)
	c.Refresh(NewSnapshot(nodes, []*api.Pod{p})) // not yet visible: still counted
	if got := c.byName["a"].requested.milliCPU; got != 600 {
		t.Fatalf("confirmed pod not counted before commit: %d", got)
	}
	bound := *p
	bound.Spec.NodeName = "a"
	c.Refresh(NewSnapshot(nodes, []*api.Pod{&bound})) // committed: counted once, from the snapshot
	if got := c.byName["a"].requested.milliCPU; got != 600 || c.IsAssumed(p) {
		t.Fatalf("after commit requested = %d, assumed %v", got, c.IsAssumed(p))
	}
	_ = c.Assume(mkPod("gone", 100, 0), "a")
	c.Refresh(NewSnapshot(nodes, nil)) // a pod deleted meanwhile stops counting
	if len(c.assumed) != 0 {
		t.Fatalf("assumed = %v", c.assumed)
	}
}

func TestBindFailureForgets(t *testing.T) {
	nodes := []*api.Node{mkNode("a", 1000, 1000)}
	pods := []*api.Pod{mkPod("bad", 1000, 0), mkPod("good", 1000, 0)}
	s, b, _ := mustNewScheduler(t, Config{Plugins: DefaultConfig().Plugins, BindBatchSize: 1}, NewSnapshot(nodes, pods))
	b.fail = map[string]error{"bad": errors.New("conflict")}
	rs := s.Schedule(context.Background(), pods)
	if !errors.Is(rs[0].Err, ErrBind) || rs[0].NodeName != "" {
		t.Fatalf("bad: %+v", rs[0])
	}
	if rs[1].Err != nil || rs[1].NodeName != "a" {
		t.Fatalf("good did not take the room bad gave back: %+v", rs[1])
	}
}

func TestDeploymentSpreads433(t *testing.T) {
	nodes := []*api.Node{mkNode("n1", 4000, 8000), mkNode("n2", 4000, 8000), mkNode("n3", 4000, 8000)}
	var pods []*api.Pod
	for i := range 10 {
		pods = append(pods, mkPod(fmt.Sprintf("web-%d", i), 100, 128, ownedBy("rs-web"), withPodLabels("app", "web")))
	}
	s, _, _ := mustNewScheduler(t, DefaultConfig(), NewSnapshot(nodes, pods))
	s.Enqueue(pods...)
	counts := map[string]int{}
	for _, r := range s.ScheduleQueued(context.Background(), 100) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		counts[r.NodeName]++
	}
	got := []int{counts["n1"], counts["n2"], counts["n3"]}
	hi, lo := 0, 10
	for _, c := range got {
		hi, lo = max(hi, c), min(lo, c)
	}
	if hi != 4 || lo != 3 {
		t.Fatalf("spread %v, want 4/3/3", got)
	}
}

func TestPlacementAsSpecified(t *testing.T) {
	nodes := []*api.Node{
		mkNode("gpu", 4000, 4000, withLabels("accel", "gpu"), withTaint("dedicated", "ml", api.TaintNoSchedule)),
		mkNode("ssd1", 4000, 4000, withLabels("disk", "ssd")),
		mkNode("ssd2", 4000, 4000, withLabels("disk", "ssd")),
		mkNode("plain", 4000, 4000),
	}
	tolML := func(p *api.Pod) {
		p.Spec.Tolerations = []api.Toleration{{Key: "dedicated", Operator: "Equal", Value: "ml", Effect: api.TaintNoSchedule}}
	}
	onSSD := func(p *api.Pod) { p.Spec.NodeSelector = map[string]string{"disk": "ssd"} }
	onGPU := func(p *api.Pod) { p.Spec.NodeSelector = map[string]string{"accel": "gpu"} }
	cache := func(p *api.Pod) {
		p.Labels["app"] = "cache"
		podAffinity(labelHostname, true, map[string]string{"app": "cache"})(p)
	}
	pods := []*api.Pod{
		mkPod("train", 100, 100, tolML, onGPU),
		mkPod("untolerated", 100, 100, onGPU),
		mkPod("cache-0", 100, 100, cache, onSSD),
		mkPod("cache-1", 100, 100, cache, onSSD),
		mkPod("cache-2", 100, 100, cache, onSSD),
	}
	for i := range 6 {
		pods = append(pods, mkPod(fmt.Sprintf("plain-%d", i), 100, 100))
	}
	s, _, _ := mustNewScheduler(t, DefaultConfig(), NewSnapshot(nodes, pods))
	rs := s.Schedule(context.Background(), pods)
	byName := map[string]Result{}
	for _, r := range rs {
		byName[r.Pod.Name] = r
	}
	if byName["train"].NodeName != "gpu" {
		t.Errorf("train on %q, want gpu", byName["train"].NodeName)
	}
	want := "0/4 nodes are available: 1 node(s) had untolerated taint {dedicated: ml}, 3 node(s) didn't match Pod's node affinity/selector."
	if err := byName["untolerated"].Err; err == nil || err.Error() != want {
		t.Errorf("untolerated: %v\nwant %s", err, want)
	}
	c0, c1 := byName["cache-0"].NodeName, byName["cache-1"].NodeName
	if c0 == c1 || (c0 != "ssd1" && c0 != "ssd2") || (c1 != "ssd1" && c1 != "ssd2") {
		t.Errorf("cache pods on %q and %q, want ssd1 and ssd2 apart", c0, c1)
	}
	if err := byName["cache-2"].Err; err == nil || !errors.Is(err, ErrUnschedulable) {
		t.Errorf("cache-2: %v, want unschedulable by anti-affinity", err)
	}
	for i := range 6 {
		if n := byName[fmt.Sprintf("plain-%d", i)].NodeName; n == "gpu" || n == "" {
			t.Errorf("plain-%d on %q", i, n)
		}
	}
}

func TestPreemption(t *testing.T) {
	nodes := []*api.Node{mkNode("a", 2000, 4000), mkNode("b", 2000, 4000)}
	existing := []*api.Pod{
		// a: two low pods; evicting one (the 1000m one) is enough.
		mkPod("a-low-big", 1000, 100, onNode("a"), withPriority(1)),
		mkPod("a-low-small", 500, 100, onNode("a"), withPriority(1)),
		mkPod("a-mid", 500, 100, onNode("a"), withPriority(5)),
		// b: one pod of higher priority than a's: more costly to evict.
		mkPod("b-mid", 2000, 100, onNode("b"), withPriority(5)),
	}
	vip := mkPod("vip", 1000, 100, withPriority(10))
	s, b, e := mustNewScheduler(t, DefaultConfig(), NewSnapshot(nodes, append(existing, vip)))
	r := s.Schedule(context.Background(), []*api.Pod{vip})[0]
	if !errors.Is(r.Err, ErrUnschedulable) || r.NominatedNode != "a" {
		t.Fatalf("result %+v, want nominated to a", r)
	}
	if len(e.evicted) != 1 || e.evicted[0].Name != "a-low-big" {
		t.Fatalf("evicted %v, want [a-low-big]", podNames(e.evicted))
	}
	// Until the victim is gone, the room is the preemptor's: a low pod cannot take
	// it and a second attempt evicts nothing more.
	if r2 := s.Schedule(context.Background(), []*api.Pod{vip})[0]; r2.NominatedNode != "a" || len(e.evicted) != 1 {
		t.Fatalf("second attempt %+v, evicted %v", r2, podNames(e.evicted))
	}
	// Once the victim is gone, the preemptor binds there and a lower pod does not jump in first.
	s.state = func() State { return NewSnapshot(nodes, append([]*api.Pod{vip}, existing[1:]...)) }
	low := mkPod("late-low", 1000, 100, withPriority(0))
	rs := s.Schedule(context.Background(), []*api.Pod{low, vip})
	if rs[0].Err == nil || rs[1].NodeName != "a" {
		t.Fatalf("low %+v, vip %+v", rs[0], rs[1])
	}
	if got := b.placements()["vip"]; got != "a" {
		t.Fatalf("vip bound to %q", got)
	}
}

func TestPreemptionNotHelpful(t *testing.T) {
	nodes := []*api.Node{mkNode("a", 1000, 1000, withTaint("x", "", api.TaintNoSchedule)), mkNode("b", 1000, 1000)}
	existing := []*api.Pod{mkPod("low-a", 1000, 0, onNode("a")), mkPod("same-b", 1000, 0, onNode("b"), withPriority(10))}
	never := "Never"
	cases := []struct {
		name string
		pod  *api.Pod
	}{
		{name: "victims only on an untolerated node, or not lower", pod: mkPod("p", 1000, 0, withPriority(10))},
		{name: "preemptionPolicy Never", pod: mkPod("p", 1000, 0, withPriority(100), func(p *api.Pod) { p.Spec.PreemptionPolicy = &never })},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, _, e := mustNewScheduler(t, DefaultConfig(), NewSnapshot(nodes, existing))
			r := s.Schedule(context.Background(), []*api.Pod{tc.pod})[0]
			var fe *FitError
			if !errors.As(r.Err, &fe) || r.NominatedNode != "" || len(e.evicted) != 0 || fe.Preemption == "" {
				t.Fatalf("result %+v, evicted %v", r, podNames(e.evicted))
			}
		})
	}
}

func TestScheduleRespectsContext(t *testing.T) {
	s, b, _ := mustNewScheduler(t, DefaultConfig(), NewSnapshot([]*api.Node{mkNode("a", 1000, 1000)}, nil))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rs := s.Schedule(ctx, []*api.Pod{mkPod("p", 0, 0), nil})
	if !errors.Is(rs[0].Err, context.Canceled) || len(b.calls) != 0 {
		t.Fatalf("results %+v", rs)
	}
}

func TestScheduleOne(t *testing.T) {
	s, _, _ := mustNewScheduler(t, DefaultConfig(), NewSnapshot([]*api.Node{mkNode("a", 1000, 1000)}, nil))
	if _, ok := s.ScheduleOne(context.Background()); ok {
		t.Fatal("empty queue scheduled something")
	}
	s.Enqueue(mkPod("p", 100, 0))
	r, ok := s.ScheduleOne(context.Background())
	if !ok || r.Err != nil || r.NodeName != "a" {
		t.Fatalf("ScheduleOne = %+v, %v", r, ok)
	}
}

func podNames(pods []*api.Pod) []string {
	out := make([]string, len(pods))
	for i, p := range pods {
		out[i] = p.Name
	}
	return out
}
