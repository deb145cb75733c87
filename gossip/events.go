package gossip

import (
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// EventType says what happened to a member.
type EventType int

// Event types. New ones are appended, never renumbered.
const (
	// EventJoin: a member appeared, or came back after being dead or left.
	EventJoin EventType = iota + 1
	// EventLeave: a member left gracefully (it called Leave).
	EventLeave
	// EventUpdate: a member changed its Meta.
	EventUpdate
	// EventFailed: the cluster declared a member dead without a graceful
	// leave (crash, kill, partition).
	EventFailed
)

func (t EventType) String() string {
	switch t {
	case EventJoin:
		return "join"
	case EventLeave:
		return "leave"
	case EventUpdate:
		return "update"
	case EventFailed:
		return "failed"
	}
	return "unknown"
}

// Event is one change to the membership, as this member learnt it.
type Event struct {
	Type EventType
	// Member is the member's state right after the change.
	Member Member
}

// hub fans events out to subscribers. publish never blocks: it is called from
// memberlist's delegate callbacks, which hold memberlist's node lock, and a
// slow subscriber must not stall failure detection. A full subscriber loses
// the event; the loss is counted and logged once per subscriber.
type hub struct {
	log     *slog.Logger
	size    int
	dropped atomic.Uint64

	mu     sync.Mutex // guards subs, next, closed; held while sending (non-blocking)
	subs   map[uint64]*subscriber
	next   uint64
	closed bool
}

type subscriber struct {
	ch     chan Event
	warned bool // a drop was logged already
}

func newHub(log *slog.Logger, size int) *hub {
	return &hub{log: log, size: size, subs: make(map[uint64]*subscriber)}
}

// subscribe returns a channel of events and a function that ends the
// subscription and closes the channel; the function is safe to call more than
// once and after the hub closed. Subscribing to a closed hub returns a closed
// channel.
func (h *hub) subscribe() (<-chan Event, func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch := make(chan Event, h.size)
	if h.closed {
		close(ch)
		return ch, func() {}
	}
	id := h.next
	h.next++
	h.subs[id] = &subscriber{ch: ch}
	return ch, func() { h.unsubscribe(id) }
}

func (h *hub) unsubscribe(id uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s, ok := h.subs[id]; ok {
		delete(h.subs, id)
		close(s.ch)
	}
}

func (h *hub) publish(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.subs {
		select {
		case s.ch <- ev:
		default:
			h.dropped.Add(1)
			if !s.warned {
				s.warned = true
				h.log.Warn("gossip subscriber is not keeping up; dropping events",
					"buffer", h.size, "event", ev.Type.String(), "peer", ev.Member.Name)
			}
		}
	}
}

// close ends every subscription; later publishes are no-ops.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	for id, s := range h.subs {
		delete(h.subs, id)
		close(s.ch)
	}
}

// roster is this member's view of the membership, kept from memberlist's
// event callbacks. memberlist's own Members omits dead and left members and
// never fills Node.State (the real state is unexported), and its *Node fields
// may only be read under its lock: the callbacks run under that lock, so the
// roster copies what it needs there.
type roster struct {
	log      *slog.Logger
	hub      *hub
	deadTime time.Duration // forget dead and left members after this long

	mu      sync.Mutex // guards members and badMeta
	members map[string]entry
	badMeta map[string]bool // members whose undecodable meta was logged
}

type entry struct {
	member Member
	since  time.Time // when member.State was set
}

var _ memberlist.EventDelegate = (*roster)(nil)

func newRoster(log *slog.Logger, h *hub, deadTime time.Duration) *roster {
	return &roster{
		log: log, hub: h, deadTime: deadTime,
		members: make(map[string]entry),
		badMeta: make(map[string]bool),
	}
}

// NotifyJoin, NotifyUpdate and NotifyLeave are called by memberlist with its
// node lock held (so one at a time, never concurrently); they must not block
// or call back into memberlist.

func (r *roster) NotifyJoin(n *memberlist.Node) { r.record(n, EventJoin) }

func (r *roster) NotifyUpdate(n *memberlist.Node) { r.record(n, EventUpdate) }

// NotifyLeave is called both for a graceful leave and for a failure; the
// leaving mark in the member's last meta tells them apart (see wireMeta).
func (r *roster) NotifyLeave(n *memberlist.Node) { r.record(n, EventFailed) }

func (r *roster) record(n *memberlist.Node, t EventType) {
	r.mu.Lock()
	defer r.mu.Unlock()
	meta, leaving := r.decodeLocked(n.Name, n.Meta)
	m := Member{Name: n.Name, Addr: n.Address(), State: StateAlive, Meta: meta}
	switch t {
	case EventFailed:
		m.State = StateDead
		if leaving {
			t, m.State = EventLeave, StateLeft
		}
	case EventUpdate:
		if prev, ok := r.members[n.Name]; ok && prev.member == m {
			return // only the leaving mark changed: nothing a caller can see
		}
	}
	now := time.Now()
	r.pruneLocked(now)
	r.members[n.Name] = entry{member: m, since: now}
	// Publishing under r.mu keeps events in the order the states were recorded.
	r.hub.publish(Event{Type: t, Member: m})
}

// decodeLocked decodes a peer's meta, tolerating garbage: the member is kept
// with an empty Meta and the problem is logged once per member (again only
// after it advertised something decodable in between).
func (r *roster) decodeLocked(name string, b []byte) (Meta, bool) {
	meta, leaving, err := decodeMeta(b)
	if err != nil {
		if !r.badMeta[name] {
			r.badMeta[name] = true
			r.log.Warn("ignoring undecodable gossip meta", "peer", name, "err", err)
		}
		return Meta{}, false
	}
	delete(r.badMeta, name)
	return meta, leaving
}

// list returns every member, sorted by name, forgetting dead and left ones
// older than deadTime (memberlist forgets them at about the same time).
func (r *roster) list() []Member {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pruneLocked(time.Now())
	out := make([]Member, 0, len(r.members))
	for _, e := range r.members {
		out = append(out, e.member)
	}
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// pruneLocked forgets members dead or left for longer than deadTime. It runs
// on every event as well as every list, so churn cannot grow the map without
// bound in a process that never lists.
func (r *roster) pruneLocked(now time.Time) {
	for name, e := range r.members {
		gone := e.member.State == StateDead || e.member.State == StateLeft
		if gone && now.Sub(e.since) > r.deadTime {
			delete(r.members, name)
			delete(r.badMeta, name)
		}
	}
}

func (r *roster) get(name string) (Member, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.members[name]
	return e.member, ok
}
