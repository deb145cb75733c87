package raftfsm

import (
	"sort"
	"sync"

	"github.com/berth-dev/berth/api"
)

// hub keeps the last window events in a ring and wakes waiters by closing a channel
// that it replaces on every publish. Watchers keep their own cursor and scan the ring,
// so Apply never waits for any of them: a watcher that falls behind the window finds
// out on its next call (ErrGone).
//
// Its fields are guarded by the FSM's mu: publishLocked runs with it held for
// writing, together with the commit; readers take it for reading.
type hub struct {
	mu     *sync.RWMutex
	window int
	buf    []hubEntry // a ring once full: the oldest entry is at start
	start  int
	// floor is the newest resourceVersion some event of which is no longer held (or
	// the index at start or restore): a cursor below it cannot be resumed.
	floor uint64
	// head is the index up to which the hub has every event (the applied index).
	head uint64
	// epoch counts restores; a watcher from an older epoch is gone.
	epoch  uint64
	notify chan struct{}
}

// hubEntry is one event with what watchers filter on, copied out of the record.
type hubEntry struct {
	rv        uint64
	res       *api.Resource
	namespace string
	ev        Event
}

func newHub(mu *sync.RWMutex, window int) *hub {
	return &hub{mu: mu, window: window, notify: make(chan struct{})}
}

// publishLocked appends the events of index and wakes every waiter.
func (h *hub) publishLocked(index uint64, events []Event) {
	for _, ev := range events {
		e := hubEntry{rv: index, res: ev.Record.Resource, namespace: meta(ev.Record).Namespace, ev: ev}
		if len(h.buf) < h.window {
			h.buf = append(h.buf, e)
			continue
		}
		h.floor = h.buf[h.start].rv
		h.buf[h.start] = e
		h.start = (h.start + 1) % len(h.buf)
	}
	h.head = max(h.head, index)
	h.wakeLocked()
}

// resetLocked empties the hub after a restore to index, and wakes every waiter so
// those from before it learn they are gone.
func (h *hub) resetLocked(index uint64) {
	h.buf, h.start = nil, 0
	h.floor, h.head = index, index
	h.epoch++
	h.wakeLocked()
}

func (h *hub) wakeLocked() {
	close(h.notify)
	h.notify = make(chan struct{})
}

// at returns the i-th oldest entry held.
func (h *hub) at(i int) *hubEntry {
	return &h.buf[(h.start+i)%len(h.buf)]
}

// scanLocked returns the entries after cursor that match res and ns (ns "" = all),
// and the cursor to continue from; gone when cursor cannot be resumed.
func (h *hub) scanLocked(res *api.Resource, ns string, cursor uint64) (out []Event, next uint64, gone bool) {
	if cursor < h.floor {
		return nil, cursor, true
	}
	n := len(h.buf)
	first := sort.Search(n, func(i int) bool { return h.at(i).rv > cursor })
	for i := first; i < n; i++ {
		e := h.at(i)
		if e.res == res && (ns == "" || e.namespace == ns) {
			out = append(out, e.ev)
		}
	}
	return out, max(cursor, h.head), false
}
