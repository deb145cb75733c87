package raftfsm

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/berth-dev/berth/api"
)

// Watcher streams the changes of one kind (in one namespace, or all) after a
// resourceVersion. It holds no resources in the FSM: Apply never knows it exists, and
// Close only ends a blocked Next. One goroutine calls Next at a time; RV and Close
// may be called from any goroutine.
type Watcher struct {
	hub    *hub
	res    *api.Resource
	ns     string
	epoch  uint64
	cursor atomic.Uint64
	done   chan struct{}
	once   sync.Once
}

// Watch starts a watcher of res in namespace ("" = all namespaces, and always for a
// cluster-scoped kind) after fromRV. Zero means "from now" (Index()). A fromRV below
// the window's floor fails with ErrGone; one above Index() waits for it.
func (f *FSM) Watch(res *api.Resource, namespace string, fromRV uint64) (*Watcher, error) {
	if res == nil {
		return nil, fmt.Errorf("%w: watch of a nil resource", ErrInvalidCommand)
	}
	if !res.Namespaced {
		namespace = ""
	}
	h := f.hub
	h.mu.RLock()
	defer h.mu.RUnlock()
	if fromRV == 0 {
		fromRV = h.head
	}
	if fromRV < h.floor {
		return nil, ErrGone
	}
	w := &Watcher{hub: h, res: res, ns: namespace, epoch: h.epoch, done: make(chan struct{})}
	w.cursor.Store(fromRV)
	return w, nil
}

// Next blocks until there are events after the cursor for the watcher's kind and
// namespace and returns all of them, in order; each event is returned exactly once.
// It fails with ErrGone once the watcher has fallen behind the window or the store
// was restored from a snapshot, ctx.Err() when ctx is done, ErrWatcherClosed after
// Close.
func (w *Watcher) Next(ctx context.Context) ([]Event, error) {
	for {
		events, wait, err := w.poll()
		if err != nil || len(events) > 0 {
			return events, err
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-w.done:
			return nil, ErrWatcherClosed
		}
	}
}

// poll scans once; with nothing to return it hands back the channel to wait on.
func (w *Watcher) poll() ([]Event, <-chan struct{}, error) {
	select {
	case <-w.done:
		return nil, nil, ErrWatcherClosed
	default:
	}
	h := w.hub
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.epoch != w.epoch {
		return nil, nil, ErrGone
	}
	events, next, gone := h.scanLocked(w.res, w.ns, w.cursor.Load())
	if gone {
		return nil, nil, ErrGone
	}
	w.cursor.Store(next)
	return events, h.notify, nil
}

// RV is the cursor: the index up to which the watcher has seen every change of its
// kind and namespace (what a bookmark reports).
func (w *Watcher) RV() uint64 { return w.cursor.Load() }

// Close ends the watcher; a blocked Next returns ErrWatcherClosed.
func (w *Watcher) Close() {
	w.once.Do(func() { close(w.done) })
}

// WaitForIndex returns once Index() ≥ idx, or ctx.Err().
func (f *FSM) WaitForIndex(ctx context.Context, idx uint64) error {
	for {
		f.mu.RLock()
		wait := f.hub.notify
		f.mu.RUnlock()
		if f.Index() >= idx {
			return nil
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
