package scheduler

import (
	"container/heap"
	"sync"
	"time"

	"github.com/berth-dev/berth/api"
)

// queued is one pod waiting to be scheduled.
type queued struct {
	pod      *api.Pod
	key      string
	priority int32
	created  time.Time
	seq      uint64 // insertion order: the last tie-breaker, for determinism
	index    int    // position in the heap; -1 when parked
}

// podHeap orders by priority (highest first), then creation time (oldest first).
type podHeap []*queued

func (h podHeap) Len() int { return len(h) }
func (h podHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	if a.priority != b.priority {
		return a.priority > b.priority
	}
	if !a.created.Equal(b.created) {
		return a.created.Before(b.created)
	}
	return a.seq < b.seq
}
func (h podHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *podHeap) Push(x any) {
	q := x.(*queued)
	q.index = len(*h)
	*h = append(*h, q)
}
func (h *podHeap) Pop() any {
	old := *h
	q := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	q.index = -1
	return q
}

// queue holds unbound pods: an active heap and the parked ones that fit nowhere
// until the cluster changes. Safe for concurrent use.
type queue struct {
	mu     sync.Mutex
	active podHeap
	byKey  map[string]*queued // active and parked
	parked map[string]*queued
	seq    uint64
}

func newQueue() *queue {
	return &queue{byKey: map[string]*queued{}, parked: map[string]*queued{}}
}

// add puts pod in the active heap, replacing an older entry of it (parked or not):
// a changed pod deserves a new attempt.
func (q *queue) add(pod *api.Pod, priority int32) {
	q.mu.Lock()
	defer q.mu.Unlock()
	key := podKey(pod)
	q.removeLocked(key)
	q.seq++
	e := &queued{pod: pod, key: key, priority: priority, seq: q.seq}
	if pod.CreationTimestamp != nil {
		e.created = pod.CreationTimestamp.Time
	}
	q.byKey[key] = e
	heap.Push(&q.active, e)
}

// park keeps pod aside until unparkAll; an entry already re-added meanwhile wins.
func (q *queue) park(pod *api.Pod, priority int32) {
	q.mu.Lock()
	defer q.mu.Unlock()
	key := podKey(pod)
	if _, ok := q.byKey[key]; ok {
		return
	}
	q.seq++
	e := &queued{pod: pod, key: key, priority: priority, seq: q.seq, index: -1}
	q.byKey[key] = e
	q.parked[key] = e
}

func (q *queue) remove(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.removeLocked(key)
}

func (q *queue) removeLocked(key string) {
	e, ok := q.byKey[key]
	if !ok {
		return
	}
	delete(q.byKey, key)
	delete(q.parked, key)
	if e.index >= 0 {
		heap.Remove(&q.active, e.index)
	}
}

// pop takes up to n pods in order.
func (q *queue) pop(n int) []*queued {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []*queued
	for len(out) < n && q.active.Len() > 0 {
		e := heap.Pop(&q.active).(*queued)
		delete(q.byKey, e.key)
		out = append(out, e)
	}
	return out
}

// unparkAll moves every parked pod back to the active heap.
func (q *queue) unparkAll() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for key, e := range q.parked {
		delete(q.parked, key)
		heap.Push(&q.active, e)
	}
}

func (q *queue) lens() (active, parked int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.active.Len(), len(q.parked)
}
