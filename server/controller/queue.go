package controller

import (
	"context"
	"sync"
	"time"
)

// Queue is a de-duplicating work queue of object keys ("namespace/name"), the shape
// Kubernetes controllers use: a key added many times before a worker takes it is
// handed out once; a key added while a worker processes it is handed out again
// after Done, never to two workers at once. Failed keys come back with a per-key
// exponential delay. All methods are safe for concurrent use.
type Queue struct {
	mu         sync.Mutex
	cond       chan struct{} // closed and replaced when a key becomes ready
	order      []string      // ready keys, FIFO
	ready      map[string]bool
	processing map[string]bool
	dirty      map[string]bool // added while processing: requeue on Done
	failures   map[string]int
	timers     map[string]*delayed
	closed     bool

	baseDelay, maxDelay time.Duration
}

// NewQueue makes a queue whose retries start at 5 ms and double up to 30 s.
func NewQueue() *Queue {
	return &Queue{
		cond: make(chan struct{}), ready: map[string]bool{}, processing: map[string]bool{},
		dirty: map[string]bool{}, failures: map[string]int{}, timers: map[string]*delayed{},
		baseDelay: 5 * time.Millisecond, maxDelay: 30 * time.Second,
	}
}

// Add makes key ready now.
func (q *Queue) Add(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.addLocked(key)
}

func (q *Queue) addLocked(key string) {
	if q.closed {
		return
	}
	if q.processing[key] {
		q.dirty[key] = true
		return
	}
	if q.ready[key] {
		return
	}
	q.ready[key] = true
	q.order = append(q.order, key)
	close(q.cond)
	q.cond = make(chan struct{})
}

// delayed is a pending AddAfter: its timer and when it fires.
type delayed struct {
	timer *time.Timer
	at    time.Time
}

// AddAfter makes key ready after d (at once when d <= 0). Of several pending
// AddAfters of one key the earliest wins: a later deadline never delays a key.
func (q *Queue) AddAfter(key string, d time.Duration) {
	if d <= 0 {
		q.Add(key)
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	at := time.Now().Add(d)
	if p, ok := q.timers[key]; ok {
		if !p.at.After(at) {
			return // an earlier (or equal) deadline is already pending
		}
		p.timer.Stop()
	}
	p := &delayed{at: at}
	p.timer = time.AfterFunc(d, func() {
		q.mu.Lock()
		if q.timers[key] == p {
			delete(q.timers, key)
		}
		q.addLocked(key)
		q.mu.Unlock()
	})
	q.timers[key] = p
}

// Retry re-adds key after its next back-off delay (5 ms doubling to 30 s).
func (q *Queue) Retry(key string) {
	q.mu.Lock()
	n := q.failures[key]
	q.failures[key] = n + 1
	q.mu.Unlock()
	d := q.baseDelay << min(n, 20)
	if d > q.maxDelay || d <= 0 {
		d = q.maxDelay
	}
	q.AddAfter(key, d)
}

// Forget clears key's back-off after a success.
func (q *Queue) Forget(key string) {
	q.mu.Lock()
	delete(q.failures, key)
	q.mu.Unlock()
}

// Get blocks until a key is ready and marks it processing; ok is false once ctx
// ends or the queue is shut down. The caller must call Done(key).
func (q *Queue) Get(ctx context.Context) (key string, ok bool) {
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return "", false
		}
		if len(q.order) > 0 {
			key = q.order[0]
			q.order[0] = ""
			q.order = q.order[1:]
			delete(q.ready, key)
			q.processing[key] = true
			q.mu.Unlock()
			return key, true
		}
		wait := q.cond
		q.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return "", false
		}
	}
}

// Done ends the processing of key; a key added meanwhile becomes ready again.
func (q *Queue) Done(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.processing, key)
	if q.dirty[key] {
		delete(q.dirty, key)
		q.addLocked(key)
	}
}

// Len is the number of ready keys.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.order)
}

// ShutDown stops the timers and wakes every Get, which then returns false.
func (q *Queue) ShutDown() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.closed = true
	for _, p := range q.timers {
		p.timer.Stop()
	}
	close(q.cond)
	q.cond = make(chan struct{})
}

// Process runs workers goroutines that take keys from q and reconcile them until
// ctx ends: a nil error forgets the key's back-off, an error retries it later.
// It returns after every worker has stopped and shuts the queue down.
func Process(ctx context.Context, q *Queue, workers int, reconcile func(ctx context.Context, key string) error, onErr func(key string, err error)) {
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Go(func() {
			for {
				key, ok := q.Get(ctx)
				if !ok {
					return
				}
				err := reconcile(ctx, key)
				if err != nil && ctx.Err() == nil {
					if onErr != nil {
						onErr(key, err)
					}
					q.Retry(key)
				} else {
					q.Forget(key)
				}
				q.Done(key)
			}
		})
	}
	<-ctx.Done()
	q.ShutDown()
	wg.Wait()
}
