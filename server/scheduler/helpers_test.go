package scheduler

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

const mi = 1024 * 1024

// mkNode is a Ready node with cpu (milli), memory (MiB), 110 pods and a hostname label.
func mkNode(name string, milliCPU, memMi int64, opts ...func(*api.Node)) *api.Node {
	n := &api.Node{ObjectMeta: api.ObjectMeta{Name: name, Labels: map[string]string{labelHostname: name}}}
	n.Status.Allocatable = api.ResourceList{
		api.ResourceCPU:    api.NewMilliQuantity(milliCPU),
		api.ResourceMemory: api.NewQuantity(memMi*mi, api.BinarySI),
		api.ResourcePods:   api.NewQuantity(110, api.DecimalSI),
	}
	n.Status.Conditions = []api.NodeCondition{{Type: api.NodeReady, Status: api.ConditionTrue}}
	for _, o := range opts {
		o(n)
	}
	return n
}

func withLabels(kv ...string) func(*api.Node) {
	return func(n *api.Node) {
		for i := 0; i+1 < len(kv); i += 2 {
			n.Labels[kv[i]] = kv[i+1]
		}
	}
}

func withTaint(key, value, effect string) func(*api.Node) {
	return func(n *api.Node) {
		n.Spec.Taints = append(n.Spec.Taints, api.Taint{Key: key, Value: value, Effect: effect})
	}
}

// mkPod is a pending pod with one container requesting cpu (milli) and memory
// (MiB); zero leaves the request out.
func mkPod(name string, milliCPU, memMi int64, opts ...func(*api.Pod)) *api.Pod {
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default", UID: "uid-" + name,
		Labels: map[string]string{}}}
	req := api.ResourceList{}
	if milliCPU > 0 {
		req[api.ResourceCPU] = api.NewMilliQuantity(milliCPU)
	}
	if memMi > 0 {
		req[api.ResourceMemory] = api.NewQuantity(memMi*mi, api.BinarySI)
	}
	p.Spec.Containers = []api.Container{{Name: "c", Image: "app:1", Resources: api.ResourceRequirements{Requests: req}}}
	for _, o := range opts {
		o(p)
	}
	return p
}

func onNode(node string) func(*api.Pod) { return func(p *api.Pod) { p.Spec.NodeName = node } }

func withPodLabels(kv ...string) func(*api.Pod) {
	return func(p *api.Pod) {
		for i := 0; i+1 < len(kv); i += 2 {
			p.Labels[kv[i]] = kv[i+1]
		}
	}
}

func withPriority(v int32) func(*api.Pod) { return func(p *api.Pod) { p.Spec.Priority = &v } }

func ownedBy(uid string) func(*api.Pod) {
	yes := true
	return func(p *api.Pod) {
		p.OwnerReferences = []api.OwnerReference{{Kind: "ReplicaSet", Name: "rs", UID: uid, Controller: &yes}}
	}
}

func createdAt(sec int64) func(*api.Pod) {
	return func(p *api.Pod) { p.CreationTimestamp = api.NewTime(time.Unix(sec, 0)) }
}

// fakeBinder records bindings and fails the pods named in fail.
type fakeBinder struct {
	mu    sync.Mutex
	calls [][]Binding
	fail  map[string]error
}

func (b *fakeBinder) Bind(_ context.Context, bs []Binding) []error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = append(b.calls, append([]Binding(nil), bs...))
	var errs []error
	for i, x := range bs {
		if err := b.fail[x.PodName]; err != nil {
			if errs == nil {
				errs = make([]error, len(bs))
			}
			errs[i] = err
		}
	}
	return errs
}

func (b *fakeBinder) placements() map[string]string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[string]string{}
	for _, c := range b.calls {
		for _, x := range c {
			if b.fail[x.PodName] == nil {
				out[x.PodName] = x.NodeName
			}
		}
	}
	return out
}

type fakeEvictor struct {
	mu      sync.Mutex
	evicted []*api.Pod
}

func (e *fakeEvictor) Evict(_ context.Context, pods []*api.Pod) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.evicted = append(e.evicted, pods...)
	return nil
}

// mustNewScheduler builds a scheduler over a fixed snapshot.
func mustNewScheduler(t testing.TB, cfg Config, st State) (*Scheduler, *fakeBinder, *fakeEvictor) {
	t.Helper()
	b, e := &fakeBinder{}, &fakeEvictor{}
	s, err := New(cfg, func() State { return st }, b, e)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s, b, e
}

// prepared builds a scheduler, refreshes its cache and the pod's cycle state.
func prepared(t *testing.T, pod *api.Pod, nodes []*api.Node, pods []*api.Pod) (*Scheduler, *cycleState) {
	t.Helper()
	s, _, _ := mustNewScheduler(t, DefaultConfig(), NewSnapshot(nodes, pods))
	s.cache.Refresh(NewSnapshot(nodes, pods))
	return s, s.newCycleState(s.cache.podInfo(pod), nil)
}

// scoresOf runs one score plugin over every node (all feasible) and returns the
// normalised scores by node name.
func scoresOf(t *testing.T, plugin string, cfg Config, pod *api.Pod, nodes []*api.Node, pods []*api.Pod) map[string]int64 {
	t.Helper()
	s, _, _ := mustNewScheduler(t, cfg, NewSnapshot(nodes, pods))
	s.cache.Refresh(NewSnapshot(nodes, pods))
	cs := s.newCycleState(s.cache.podInfo(pod), nil)
	for _, p := range s.scores {
		if p.name != plugin {
			continue
		}
		out := map[string]int64{}
		feasible := s.cache.nodes
		if !p.prepare(s.cache, cs, feasible) {
			return out // skipped: the same on every node
		}
		sc := make([]int64, len(feasible))
		for i, n := range feasible {
			sc[i] = p.score(cs, i, n)
		}
		if p.normalize != nil {
			p.normalize(cs, sc)
		}
		for i, n := range feasible {
			out[n.name] = sc[i]
		}
		return out
	}
	t.Fatalf("no score plugin %s", plugin)
	return nil
}
