package client

import (
	"sync"
	"time"
)

// workQueue hands keys (pod UIDs) to a pool of workers so that one key is
// never worked on by two workers at once and every burst of wake-ups for a
// key while it waits or is being worked on collapses into one more pass: the
// coalescing that keeps thousands of watch echoes and container events from
// becoming thousands of status writes. Safe for concurrent use.
type workQueue struct {
	mu         sync.Mutex
	cond       *sync.Cond
	items      []string        // keys waiting, in order
	dirty      map[string]bool // keys waiting or to re-queue after their pass
	processing map[string]bool // keys a worker holds
	closed     bool
}

func newWorkQueue() *workQueue {
	q := &workQueue{dirty: map[string]bool{}, processing: map[string]bool{}}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// add queues key unless it already waits; a key being worked on is queued
// again when its worker is done. No-op once the queue is shut down.
func (q *workQueue) add(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || q.dirty[key] {
		return
	}
	q.dirty[key] = true
	if q.processing[key] {
		return
	}
	q.items = append(q.items, key)
	q.cond.Signal()
}

// addAfter queues key after d (a retry or a timed wake-up). The timer holds
// no goroutine until it fires; after shutdown its add is a no-op.
func (q *workQueue) addAfter(key string, d time.Duration) {
	if d <= 0 {
		q.add(key)
		return
	}
	time.AfterFunc(d, func() { q.add(key) })
}

// get blocks until a key is available or the queue is shut down (ok false).
// The caller must call done(key) after its pass.
func (q *workQueue) get() (key string, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return "", false
	}
	key = q.items[0]
	q.items[0] = ""
	q.items = q.items[1:]
	q.processing[key] = true
	delete(q.dirty, key)
	return key, true
}

// done ends a pass over key, queueing it again if it was added meanwhile.
func (q *workQueue) done(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.processing, key)
	if q.dirty[key] && !q.closed {
		q.items = append(q.items, key)
		q.cond.Signal()
	}
}

// len is how many keys wait.
func (q *workQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// shutDown wakes every worker blocked in get and makes later adds no-ops.
func (q *workQueue) shutDown() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.cond.Broadcast()
}
