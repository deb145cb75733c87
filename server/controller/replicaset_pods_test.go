package controller

import (
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// victimPod builds a pod for the ordering tests: node "" is unscheduled, readyAgo < 0
// is not ready.
func victimPod(name, node, phase string, readyAgo, createdAgo time.Duration, restarts int32) *api.Pod {
	now := time.Now()
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: name, CreationTimestamp: api.NewTime(now.Add(-createdAgo))}}
	p.Spec.NodeName = node
	p.Status.Phase = phase
	if readyAgo >= 0 {
		p.Status.Conditions = []api.PodCondition{{Type: api.PodReady, Status: api.ConditionTrue, LastTransitionTime: api.NewTime(now.Add(-readyAgo))}}
	} else {
		p.Status.Conditions = []api.PodCondition{{Type: api.PodReady, Status: api.ConditionFalse}}
	}
	p.Status.ContainerStatuses = []api.ContainerStatus{{Name: "app", RestartCount: restarts}}
	return p
}

func TestOrderVictims(t *testing.T) {
	const notReady = -1
	tests := []struct {
		name string
		pods []*api.Pod
		want []string // deletion order
	}{
		{
			name: "unscheduled before scheduled",
			pods: []*api.Pod{
				victimPod("bound", "n1", api.PodRunning, time.Hour, time.Hour, 0),
				victimPod("unbound", "", api.PodPending, notReady, 2*time.Hour, 0),
			},
			want: []string{"unbound", "bound"},
		},
		{
			name: "pending before unknown before running",
			pods: []*api.Pod{
				victimPod("running", "n1", api.PodRunning, notReady, time.Hour, 0),
				victimPod("unknown", "n2", api.PodUnknown, notReady, time.Hour, 0),
				victimPod("pending", "n3", api.PodPending, notReady, time.Hour, 0),
			},
			want: []string{"pending", "unknown", "running"},
		},
		{
			name: "not ready before ready",
			pods: []*api.Pod{
				victimPod("ready", "n1", api.PodRunning, time.Minute, time.Minute, 0),
				victimPod("not-ready", "n2", api.PodRunning, notReady, time.Hour, 0),
			},
			want: []string{"not-ready", "ready"},
		},
		{
			name: "doubled up on a node first",
			pods: []*api.Pod{
				victimPod("alone", "n1", api.PodRunning, time.Hour, time.Minute, 0),
				victimPod("shared-a", "n2", api.PodRunning, time.Hour, 2*time.Hour, 0),
				victimPod("shared-b", "n2", api.PodRunning, time.Hour, 3*time.Hour, 0),
			},
			want: []string{"shared-a", "shared-b", "alone"},
		},
		{
			name: "ready for less time first",
			pods: []*api.Pod{
				victimPod("long", "n1", api.PodRunning, time.Hour, time.Minute, 0),
				victimPod("short", "n2", api.PodRunning, time.Minute, 2*time.Hour, 0),
			},
			want: []string{"short", "long"},
		},
		{
			name: "more restarts first",
			pods: []*api.Pod{
				victimPod("calm", "n1", api.PodRunning, notReady, time.Minute, 0),
				victimPod("crashy", "n2", api.PodRunning, notReady, time.Hour, 7),
			},
			want: []string{"crashy", "calm"},
		},
		{
			name: "newer first",
			pods: []*api.Pod{
				victimPod("old", "n1", api.PodRunning, notReady, time.Hour, 0),
				victimPod("new", "n2", api.PodRunning, notReady, time.Minute, 0),
				victimPod("mid", "n3", api.PodRunning, notReady, 30*time.Minute, 0),
			},
			want: []string{"new", "mid", "old"},
		},
		{
			name: "lower deletion cost first",
			pods: func() []*api.Pod {
				cheap := victimPod("cheap", "n1", api.PodRunning, time.Hour, time.Hour, 0)
				cheap.Annotations = map[string]string{podDeletionCostAnnotation: "-5"}
				return []*api.Pod{victimPod("plain", "n2", api.PodRunning, time.Minute, time.Minute, 0), cheap}
			}(),
			want: []string{"cheap", "plain"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pods := slices.Clone(tt.pods)
			orderVictims(pods, nodeRanks(pods))
			var got []string
			for _, p := range pods {
				got = append(got, p.Name)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("order = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAvailableAt(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name      string
		readyAgo  time.Duration // < 0: not ready
		minReady  int32
		available bool
		wait      bool
	}{
		{name: "not ready", readyAgo: -1, minReady: 0},
		{name: "ready, no minReadySeconds", readyAgo: 0, minReady: 0, available: true},
		{name: "ready long enough", readyAgo: time.Minute, minReady: 10, available: true},
		{name: "ready too briefly", readyAgo: 2 * time.Second, minReady: 10, wait: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := victimPod("p", "n1", api.PodRunning, tt.readyAgo, time.Hour, 0)
			available, wait := availableAt(p, tt.minReady, now)
			if available != tt.available || (wait > 0) != tt.wait {
				t.Fatalf("availableAt = %v, %v; want available %v, wait %v", available, wait, tt.available, tt.wait)
			}
			if tt.wait && (wait <= 0 || wait > 10*time.Second) {
				t.Fatalf("wait = %v, want within minReadySeconds", wait)
			}
		})
	}
}

func TestSlowStartBatch(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name      string
		count     int
		failAfter int64 // calls that succeed before every call fails; -1 never fails
		wantOK    int
		wantCalls int64
	}{
		{name: "all succeed", count: 10, failAfter: -1, wantOK: 10, wantCalls: 10},
		{name: "zero", count: 0, failAfter: -1, wantOK: 0, wantCalls: 0},
		{name: "first fails: one call only", count: 10, failAfter: 0, wantOK: 0, wantCalls: 1},
		// Batches 1, 2, 4: the third batch has the first failure, so 7 calls.
		{name: "stops after the failing batch", count: 20, failAfter: 3, wantOK: 3, wantCalls: 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int64
			ok, err := slowStartBatch(tt.count, 1, func() error {
				n := calls.Add(1)
				if tt.failAfter >= 0 && n > tt.failAfter {
					return boom
				}
				return nil
			})
			if ok != tt.wantOK || calls.Load() != tt.wantCalls {
				t.Fatalf("successes %d calls %d; want %d and %d", ok, calls.Load(), tt.wantOK, tt.wantCalls)
			}
			if (err != nil) != (tt.failAfter >= 0 && tt.count > 0) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestReplicaSetStatusConditions(t *testing.T) {
	rs := &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Generation: 4}}
	three := int32(3)
	rs.Spec.Replicas = &three
	rs.Spec.Template.Labels = map[string]string{"app": "web", "tier": "fe"}
	full := victimPod("a", "n1", api.PodRunning, time.Hour, time.Hour, 0)
	full.Labels = map[string]string{"app": "web", "tier": "fe"}
	partial := victimPod("b", "n1", api.PodRunning, -1, time.Hour, 0)
	partial.Labels = map[string]string{"app": "web"}

	st, _ := replicaSetStatus(rs, []*api.Pod{full, partial}, errors.New("quota exceeded"), time.Now())
	if st.Replicas != 2 || st.FullyLabeledReplicas != 1 || st.ReadyReplicas != 1 || st.AvailableReplicas != 1 || st.ObservedGeneration != 4 {
		t.Fatalf("status = %+v", st)
	}
	if len(st.Conditions) != 1 || st.Conditions[0].Reason != "FailedCreate" || st.Conditions[0].Message != "quota exceeded" {
		t.Fatalf("conditions = %+v, want one ReplicaFailure/FailedCreate", st.Conditions)
	}
	rs.Status = st
	st, _ = replicaSetStatus(rs, []*api.Pod{full, partial}, nil, time.Now())
	if st.Conditions != nil {
		t.Fatalf("conditions after success = %+v, want none", st.Conditions)
	}
}
