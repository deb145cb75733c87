package server

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// readBarrier makes consistent reads linearizable. A read waits for a Raft barrier
// that started after the read arrived: the barrier commits only while this server
// is the leader of a quorum, and returns once every earlier entry is applied to the
// FSM, so the read sees every write acknowledged before it began. Reads that arrive
// while a barrier is in flight share the next one, so a burst of reads costs one
// log entry, not one each.
type readBarrier struct {
	raft    *raft.Raft
	timeout time.Duration

	mu      sync.Mutex
	next    *barrierRound // the round new readers join; nil if none is waiting
	running bool          // a goroutine is issuing rounds
}

type barrierRound struct {
	done chan struct{}
	err  error
}

// wait returns once a barrier that began after the call has been applied.
func (b *readBarrier) wait(ctx context.Context) error {
	b.mu.Lock()
	if b.next == nil {
		b.next = &barrierRound{done: make(chan struct{})}
	}
	r := b.next
	if !b.running {
		b.running = true
		go b.loop()
	}
	b.mu.Unlock()
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *readBarrier) loop() {
	for {
		b.mu.Lock()
		r := b.next
		b.next = nil
		if r == nil {
			b.running = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		r.err = b.raft.Barrier(b.timeout).Error()
		if r.err != nil {
			r.err = classifyRaftError(r.err)
		}
		close(r.done)
	}
}
