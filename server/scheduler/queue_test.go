package scheduler

import (
	"testing"

	"github.com/berth-dev/berth/api"
)

func TestQueueOrder(t *testing.T) {
	cases := []struct {
		name string
		pods []*api.Pod
		want []string
	}{
		{name: "priority first", pods: []*api.Pod{
			mkPod("low", 0, 0, withPriority(1), createdAt(1)),
			mkPod("high", 0, 0, withPriority(100), createdAt(3)),
			mkPod("mid", 0, 0, withPriority(50), createdAt(2)),
		}, want: []string{"high", "mid", "low"}},
		{name: "then age", pods: []*api.Pod{
			mkPod("new", 0, 0, createdAt(30)), mkPod("old", 0, 0, createdAt(10)), mkPod("mid", 0, 0, createdAt(20)),
		}, want: []string{"old", "mid", "new"}},
		{name: "then arrival", pods: []*api.Pod{mkPod("x", 0, 0), mkPod("y", 0, 0), mkPod("z", 0, 0)},
			want: []string{"x", "y", "z"}},
		{name: "re-added replaces", pods: []*api.Pod{mkPod("a", 0, 0, createdAt(1)), mkPod("b", 0, 0, createdAt(2)),
			mkPod("a", 0, 0, createdAt(1), withPriority(9))}, want: []string{"a", "b"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := newQueue()
			for _, p := range tc.pods {
				q.add(p, podPriority(p, nil))
			}
			var got []string
			for _, e := range q.pop(100) {
				got = append(got, e.pod.Name)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestQueuePriorityClass(t *testing.T) {
	st := &Snapshot{Classes: map[string]int32{"critical": 1000}}
	s, _, _ := mustNewScheduler(t, DefaultConfig(), st)
	s.Enqueue(mkPod("plain", 0, 0, createdAt(1)),
		mkPod("vip", 0, 0, createdAt(2), func(p *api.Pod) { p.Spec.PriorityClassName = "critical" }),
		mkPod("bound", 0, 0, onNode("n")),
		mkPod("foreign", 0, 0, func(p *api.Pod) { p.Spec.SchedulerName = "other" }))
	if a, _ := s.Pending(); a != 2 {
		t.Fatalf("active = %d, want 2 (bound and foreign pods ignored)", a)
	}
	if e := s.queue.pop(1); e[0].pod.Name != "vip" {
		t.Fatalf("first = %s, want vip", e[0].pod.Name)
	}
}

func TestQueueParkAndNotify(t *testing.T) {
	q := newQueue()
	q.park(mkPod("p", 0, 0), 0)
	if a, p := q.lens(); a != 0 || p != 1 {
		t.Fatalf("lens = %d, %d", a, p)
	}
	if got := q.pop(1); len(got) != 0 {
		t.Fatalf("a parked pod popped")
	}
	q.unparkAll()
	if got := q.pop(1); len(got) != 1 {
		t.Fatalf("unparked pod not popped")
	}
	q.park(mkPod("r", 0, 0), 0)
	q.remove("uid-r")
	if a, p := q.lens(); a+p != 0 {
		t.Fatalf("removed pod still queued")
	}
}
