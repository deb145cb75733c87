package gossip

import (
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
)

func TestRosterToleratesBadPeerMeta(t *testing.T) {
	t.Parallel()
	h := newRecordHandler()
	hb := newHub(slog.New(h), 8)
	r := newRoster(slog.New(h), hb, time.Minute)
	events, stop := hb.subscribe()
	defer stop()

	node := &memberlist.Node{Name: "peer", Addr: net.ParseIP("10.0.0.9"), Port: 6442,
		Meta: []byte("{not json"), State: memberlist.StateAlive}
	r.NotifyJoin(node)
	r.NotifyUpdate(node)

	m, ok := r.get("peer")
	if !ok || m.Meta != (Meta{}) || m.State != StateAlive || m.Addr != "10.0.0.9:6442" {
		t.Fatalf("member = %+v, %v; want alive at 10.0.0.9:6442 with empty meta", m, ok)
	}
	if n := h.count("undecodable"); n != 1 {
		t.Errorf("logged %d times, want once", n)
	}
	if ev := <-events; ev.Type != EventJoin {
		t.Errorf("first event = %v, want join", ev.Type)
	}

	node.Meta = []byte(`{"r":"client","id":"peer"}`)
	r.NotifyUpdate(node)
	if m, _ := r.get("peer"); m.Meta.Role != RoleClient {
		t.Errorf("meta after a good update = %+v", m.Meta)
	}
	if ev := <-events; ev.Type != EventUpdate || ev.Member.Meta.ID != "peer" {
		t.Errorf("event = %+v, want the update", ev)
	}

	// The leaving mark alone changes nothing callers see: no event.
	node.Meta = []byte(`{"r":"client","id":"peer","l":true}`)
	r.NotifyUpdate(node)
	select {
	case ev := <-events:
		t.Errorf("unexpected event %+v for a leaving mark", ev)
	default:
	}
}

func TestRosterStatesAndForgetting(t *testing.T) {
	t.Parallel()
	hb := newHub(slog.New(slog.DiscardHandler), 8)
	r := newRoster(slog.New(slog.DiscardHandler), hb, 50*time.Millisecond)
	events, stop := hb.subscribe()
	defer stop()

	tests := []struct {
		name      string
		meta      string
		wantState State
		wantEvent EventType
	}{
		{name: "no mark is failed", meta: `{"r":"client"}`, wantState: StateDead, wantEvent: EventFailed},
		{name: "leaving mark is leave", meta: `{"r":"client","l":true}`, wantState: StateLeft, wantEvent: EventLeave},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := &memberlist.Node{Name: tt.name, Addr: net.ParseIP("127.0.0.1"), Port: 1, Meta: []byte(tt.meta)}
			r.NotifyLeave(n)
			if m, _ := r.get(tt.name); m.State != tt.wantState {
				t.Errorf("state = %q, want %q", m.State, tt.wantState)
			}
			if ev := <-events; ev.Type != tt.wantEvent || ev.Member.Name != tt.name {
				t.Errorf("event = %v %s, want %v", ev.Type, ev.Member.Name, tt.wantEvent)
			}
		})
	}
	waitFor(t, 2*time.Second, "dead and left members are forgotten", func() bool {
		return len(r.list()) == 0
	})
}

func TestEventTypeString(t *testing.T) {
	t.Parallel()
	for typ, want := range map[EventType]string{
		EventJoin: "join", EventLeave: "leave", EventUpdate: "update", EventFailed: "failed", 0: "unknown",
	} {
		if got := typ.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(typ), got, want)
		}
	}
}
