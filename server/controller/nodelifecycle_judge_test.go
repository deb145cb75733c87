package controller

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

func TestJudgeNode(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	const grace = 40 * time.Second
	// Started a minute ago, last heard 5 s ago.
	heard := nodeSeen{firstSeen: ago(time.Minute), heardAt: ago(5 * time.Second)}
	tests := []struct {
		name    string
		seen    nodeSeen
		health  NodeHealthReport
		posted  bool
		lost    bool
		message string
		recheck time.Time
	}{
		{name: "alive and posting", seen: heard, health: NodeHealthReport{Member: MemberAlive}, posted: true,
			recheck: ago(5 * time.Second).Add(grace)},
		{name: "dead after the last heartbeat", seen: heard, health: NodeHealthReport{Member: MemberDead, Since: ago(time.Second)},
			posted: true, lost: true, message: nodeMsgDead},
		{name: "dead, but posted since", seen: heard, health: NodeHealthReport{Member: MemberDead, Since: ago(10 * time.Second)},
			posted: true, recheck: ago(5 * time.Second).Add(grace)},
		{name: "dead before a new leader heard anything", seen: nodeSeen{firstSeen: ago(time.Second)},
			health: NodeHealthReport{Member: MemberDead, Since: ago(time.Hour)}, posted: true, lost: true, message: nodeMsgDead},
		{name: "suspect, endpoint accepting", seen: heard, health: NodeHealthReport{Member: MemberSuspect, Since: ago(time.Second)},
			posted: true, recheck: ago(5 * time.Second).Add(grace)},
		{name: "suspect, endpoint refusing", seen: heard,
			health: NodeHealthReport{Member: MemberSuspect, Since: ago(time.Second), RefusedSince: ago(time.Second)},
			posted: true, lost: true, message: nodeMsgRefused},
		{name: "alive in gossip, endpoint refusing (gossip lags)", seen: heard,
			health: NodeHealthReport{Member: MemberAlive, RefusedSince: ago(time.Second)}, posted: true, lost: true, message: nodeMsgRefused},
		{name: "left on purpose, endpoint refusing: judged by silence", seen: heard,
			health: NodeHealthReport{Member: MemberLeft, RefusedSince: ago(time.Second)}, posted: true, recheck: ago(5 * time.Second).Add(grace)},
		{name: "refusing, but posted since", seen: heard,
			health: NodeHealthReport{Member: MemberAlive, RefusedSince: ago(30 * time.Second)}, posted: true, recheck: ago(5 * time.Second).Add(grace)},
		{name: "no member, silent past the grace", seen: nodeSeen{firstSeen: ago(time.Hour), heardAt: ago(grace + time.Second)},
			posted: true, lost: true, message: nodeMsgSilent},
		{name: "no member, never posted", seen: nodeSeen{firstSeen: ago(grace)}, lost: true, message: nodeMsgNeverPosted},
		{name: "new leader within its first grace", seen: nodeSeen{firstSeen: ago(time.Second)}, posted: true,
			recheck: ago(time.Second).Add(grace)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := judgeNode(tt.seen, tt.health, grace, now, tt.posted)
			if v.lost != tt.lost || v.message != tt.message || !v.recheck.Equal(tt.recheck) {
				t.Errorf("judgeNode = %+v, want lost=%v message=%q recheck=%v", v, tt.lost, tt.message, tt.recheck)
			}
		})
	}
}

func TestPodEvictionTime(t *testing.T) {
	added := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	unreachable := &api.Taint{Key: TaintNodeUnreachable, Effect: api.TaintNoExecute}
	notReady := &api.Taint{Key: TaintNodeNotReady, Effect: api.TaintNoExecute}
	custom := &api.Taint{Key: "example.com/drain", Value: "yes", Effect: api.TaintNoExecute}
	secs := func(n int64) *int64 { return &n }
	const def = 5 * time.Second
	tests := []struct {
		name   string
		tols   []api.Toleration
		taints []noExecuteTaint
		never  bool
		after  time.Duration
	}{
		{name: "no toleration: the eviction timeout", taints: []noExecuteTaint{{unreachable, added}}, after: def},
		{name: "tolerationSeconds wins", tols: []api.Toleration{unreachableFor(secs(60))},
			taints: []noExecuteTaint{{unreachable, added}}, after: time.Minute},
		{name: "tolerationSeconds 0 is at once", tols: []api.Toleration{unreachableFor(secs(0))},
			taints: []noExecuteTaint{{unreachable, added}}},
		{name: "no tolerationSeconds: never", tols: []api.Toleration{unreachableFor(nil)},
			taints: []noExecuteTaint{{unreachable, added}}, never: true},
		{name: "smallest matching tolerationSeconds", tols: []api.Toleration{unreachableFor(secs(60)), {Operator: "Exists", TolerationSeconds: secs(30)}},
			taints: []noExecuteTaint{{unreachable, added}}, after: 30 * time.Second},
		{name: "a NoSchedule toleration does not match", tols: []api.Toleration{{Key: TaintNodeUnreachable, Operator: "Exists", Effect: api.TaintNoSchedule}},
			taints: []noExecuteTaint{{unreachable, added}}, after: def},
		{name: "Exists with no key tolerates everything", tols: []api.Toleration{{Operator: "Exists"}},
			taints: []noExecuteTaint{{unreachable, added}, {custom, added}}, never: true},
		{name: "another NoExecute taint untolerated: at once", taints: []noExecuteTaint{{custom, added.Add(time.Second)}}, after: time.Second},
		{name: "Equal needs the value", tols: []api.Toleration{{Key: "example.com/drain", Value: "no", Effect: api.TaintNoExecute}},
			taints: []noExecuteTaint{{custom, added}}},
		{name: "the earliest taint counts", tols: []api.Toleration{unreachableFor(nil)},
			taints: []noExecuteTaint{{unreachable, added}, {notReady, added.Add(time.Second)}}, after: time.Second + def},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at, ok := podEvictionTime(tt.tols, tt.taints, def)
			if ok == tt.never || (ok && !at.Equal(added.Add(tt.after))) {
				t.Errorf("podEvictionTime = %v, %v; want never=%v or %v", at, ok, tt.never, added.Add(tt.after))
			}
		})
	}
}

func TestWithLifecycleTaint(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	old := api.NewTime(now.Add(-time.Hour))
	user := api.Taint{Key: "dedicated", Value: "db", Effect: api.TaintNoSchedule}
	unreachable := api.Taint{Key: TaintNodeUnreachable, Effect: api.TaintNoExecute, TimeAdded: old}
	notReady := api.Taint{Key: TaintNodeNotReady, Effect: api.TaintNoExecute, TimeAdded: old}
	tests := []struct {
		name    string
		cur     []api.Taint
		want    string
		out     []api.Taint
		changed bool
	}{
		{name: "add beside a user taint", cur: []api.Taint{user}, want: TaintNodeUnreachable, changed: true,
			out: []api.Taint{user, {Key: TaintNodeUnreachable, Effect: api.TaintNoExecute, TimeAdded: api.NewTime(now)}}},
		{name: "kept with its time", cur: []api.Taint{unreachable, user}, want: TaintNodeUnreachable, out: []api.Taint{unreachable, user}},
		{name: "swapped", cur: []api.Taint{notReady}, want: TaintNodeUnreachable, changed: true,
			out: []api.Taint{{Key: TaintNodeUnreachable, Effect: api.TaintNoExecute, TimeAdded: api.NewTime(now)}}},
		{name: "removed, the user's kept", cur: []api.Taint{user, unreachable}, out: []api.Taint{user}, changed: true},
		{name: "nothing to do", cur: nil, out: []api.Taint{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, changed := withLifecycleTaint(tt.cur, tt.want, now)
			if changed != tt.changed || len(out) != len(tt.out) {
				t.Fatalf("withLifecycleTaint = %+v, %v; want %+v, %v", out, changed, tt.out, tt.changed)
			}
			for i := range out {
				if out[i].Key != tt.out[i].Key || out[i].Effect != tt.out[i].Effect || !sameTime(out[i].TimeAdded, tt.out[i].TimeAdded) {
					t.Errorf("taint %d = %+v, want %+v", i, out[i], tt.out[i])
				}
			}
		})
	}
}

func sameTime(a, b *api.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(b.Time)
}

// BenchmarkNodeLifecycleHeartbeat is the controller's cost of one heartbeat of a
// healthy node among 5,000: the handler's bookkeeping and, when the node's timer
// fires, a reconcile that writes nothing.
func BenchmarkNodeLifecycleHeartbeat(b *testing.B) {
	h := newHarness(b)
	const nodes = 5000
	names := make([]string, nodes)
	for i := range names {
		names[i] = "hollow-" + strconv.Itoa(i)
		nlNode(h, names[i], api.ConditionTrue, time.Now())
	}
	c := NewNodeLifecycle(h.env(), NodeLifecycleConfig{})
	q := c.reset()
	defer q.ShutDown()
	res, _ := api.ResourceForKind("Node")
	recs := make([]*raftfsm.Record, nodes)
	for i, name := range names {
		recs[i], _ = h.fsm.Get(res, "", name)
		c.onNode(raftfsm.Added, recs[i])
	}
	writes := h.writes
	b.ResetTimer()
	for i := range b.N {
		c.onNode(raftfsm.Modified, recs[i%nodes])
		if err := c.reconcile(context.Background(), names[i%nodes]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if h.writes != writes {
		b.Fatalf("healthy nodes cost %d writes", h.writes-writes)
	}
}
