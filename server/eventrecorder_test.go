package server

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

func TestEventName(t *testing.T) {
	at := time.Unix(0, 0x17d2b1a3c4e5f607)
	tests := []struct {
		name, obj, want string
	}{
		{name: "short", obj: "web", want: "web.17d2b1a3c4e5f607"},
		{name: "long name is cut", obj: strings.Repeat("a", 253), want: strings.Repeat("a", 253-17) + ".17d2b1a3c4e5f607"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := eventName(tt.obj, at)
			if got != tt.want || len(got) > 253 {
				t.Fatalf("eventName = %q (%d), want %q", got, len(got), tt.want)
			}
		})
	}
}

// waitEvents waits until the Events about name satisfy ok.
func (ts *testServer) waitEvents(t *testing.T, ns, name, what string, ok func([]*api.Event) error) []*api.Event {
	t.Helper()
	var evs []*api.Event
	waitFor(t, 10*time.Second, what, func() error {
		evs = ts.eventsFor(t, ns, name)
		return ok(evs)
	})
	return evs
}

// TestEventRecorderAggregates: repeats of one object, reason and message count on one
// Event (within a flush and across flushes); another message is another Event;
// a cluster-scoped object's Events live in "default".
func TestEventRecorderAggregates(t *testing.T) {
	ts := mustStartServer(t, nil)
	rec := ts.s.events.For("test-controller")
	cm := newConfigMap("default", "app", nil)
	cm.UID = "uid-app"

	rec.Record(cm, api.EventTypeNormal, "Synced", "all good")
	rec.Record(cm, api.EventTypeNormal, "Synced", "all good")
	first := ts.waitEvents(t, "default", "app", "one Event with count 2", func(evs []*api.Event) error {
		if len(evs) != 1 || evs[0].Count != 2 {
			return fmt.Errorf("events %+v", evs)
		}
		return nil
	})[0]
	if first.Source.Component != "test-controller" || first.ReportingComponent != "test-controller" ||
		first.InvolvedObject.UID != "uid-app" || first.InvolvedObject.Kind != "ConfigMap" || first.FirstTimestamp == nil {
		t.Fatalf("event = %+v", first)
	}

	rec.Record(cm, api.EventTypeNormal, "Synced", "all good") // a later flush: same Event
	rec.Record(cm, api.EventTypeWarning, "Synced", "not good")
	evs := ts.waitEvents(t, "default", "app", "count 3 and a second Event", func(evs []*api.Event) error {
		if len(evs) != 2 {
			return fmt.Errorf("%d events", len(evs))
		}
		for _, ev := range evs {
			if ev.Message == "all good" && ev.Count != 3 {
				return fmt.Errorf("count %d", ev.Count)
			}
		}
		return nil
	})
	for _, ev := range evs {
		if ev.Message == "all good" && ev.Name != first.Name {
			t.Fatalf("a repeat made a new Event %s instead of counting on %s", ev.Name, first.Name)
		}
	}

	node := schedNode("n1", 1000, 1024)
	ts.s.events.Record(node, api.EventTypeNormal, "NodeReady", "ready")
	ev := ts.waitEvents(t, "default", "n1", "the node's Event in default", func(evs []*api.Event) error {
		if len(evs) != 1 {
			return fmt.Errorf("%d events", len(evs))
		}
		return nil
	})[0]
	if ev.InvolvedObject.Namespace != "" || ev.InvolvedObject.Kind != "Node" || ev.Source.Component != defaultEventComponent {
		t.Fatalf("node event = %+v", ev)
	}
}

// TestEventRecorderDropsWhenFull: Record never blocks; past the buffer it counts drops.
func TestEventRecorderDropsWhenFull(t *testing.T) {
	reg := prometheus.NewRegistry()
	r := newEventRecorder(&Server{}, reg)
	r.in = make(chan eventRecord, 2) // nobody drains it
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 5 {
			r.Record(newConfigMap("default", "x", nil), api.EventTypeNormal, "R", "m")
		}
		r.Record(nil, api.EventTypeNormal, "R", "nil objects are ignored")
		var nilPod *api.Pod
		r.Record(nilPod, api.EventTypeNormal, "R", "so are typed nils")
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Record blocked on a full buffer")
	}
	if got := metricValue(t, reg, "berth_events_dropped_total"); got != 3 {
		t.Fatalf("dropped = %v, want 3", got)
	}
}

// TestEventRecorderExpires: the sweep deletes Events last seen before the TTL and
// keeps the rest.
func TestEventRecorderExpires(t *testing.T) {
	ts := mustStartServer(t, nil)
	old, fresh := time.Now().Add(-2*time.Hour), time.Now().Add(-time.Minute)
	mk := func(name string, last time.Time) api.Object {
		ev := &api.Event{Type: api.EventTypeNormal, Reason: "Test", Count: 1, LastTimestamp: api.NewTime(last)}
		ev.APIVersion, ev.Kind = "v1", "Event"
		ev.Name, ev.Namespace = name, "default"
		ev.InvolvedObject = api.ObjectReference{Kind: "Pod", Namespace: "default", Name: name}
		return ev
	}
	var objs []api.Object
	for i := range 3 {
		objs = append(objs, mk(fmt.Sprintf("old-%d", i), old))
	}
	objs = append(objs, mk("fresh", fresh))
	mustProposeCreates(t, ts.s, objs)

	if n := ts.s.events.expire(context.Background()); n != 3 {
		t.Fatalf("expire deleted %d events, want 3", n)
	}
	recs, _ := ts.s.fsm.List(mustRes(t, "Event"), "default")
	if len(recs) != 1 || recs[0].Object.GetObjectMeta().Name != "fresh" {
		t.Fatalf("left %d events, want only fresh", len(recs))
	}
}

// metricValue is the value of the first series of a counter or gauge in reg.
func metricValue(t *testing.T, reg prometheus.Gatherer, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name || len(mf.GetMetric()) == 0 {
			continue
		}
		m := mf.GetMetric()[0]
		if c := m.GetCounter(); c != nil {
			return c.GetValue()
		}
		return m.GetGauge().GetValue()
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// TestEventRecorderSkipsTerminatingNamespaces: no Event is written into a namespace
// being deleted (it would hold up its removal), as Kubernetes refuses them.
func TestEventRecorderSkipsTerminatingNamespaces(t *testing.T) {
	ts := mustStartServer(t, nil)
	mustProposeCreates(t, ts.s, []api.Object{namespaceObj("leaving")})
	rec, _ := ts.s.fsm.Get(mustRes(t, "Namespace"), "", "leaving")
	marked := *rec.Object.(*api.Namespace)
	marked.DeletionTimestamp = api.NewTime(time.Now())
	body, _ := api.Encode(&marked)
	res, err := ts.s.prop.propose(context.Background(), raftfsm.Command{
		Type: raftfsm.CmdUpdate, Kind: "Namespace", Name: "leaving", ResourceVersion: rec.RV, Object: body,
	})
	if err != nil || res.Err != nil {
		t.Fatalf("marking the namespace: %v %v", err, res.Err)
	}

	ts.s.events.Record(newConfigMap("leaving", "gone", nil), api.EventTypeNormal, "Test", "into a closing namespace")
	ts.s.events.Record(newConfigMap("default", "stays", nil), api.EventTypeNormal, "Test", "recorded after it")
	ts.waitEvents(t, "default", "stays", "the later Event", func(evs []*api.Event) error {
		if len(evs) != 1 {
			return fmt.Errorf("%d events", len(evs))
		}
		return nil
	})
	if evs := ts.eventsFor(t, "leaving", "gone"); len(evs) != 0 {
		t.Fatalf("%d Events written into a terminating namespace", len(evs))
	}
}
