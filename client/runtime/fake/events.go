package fake

import (
	"context"
	"sync"

	"github.com/berth-dev/berth/client/runtime"
)

// subscriber queues events without bound, so emitting (under Runtime.mu)
// never blocks on a slow reader and no event is dropped.
type subscriber struct {
	mu    sync.Mutex
	queue []runtime.ContainerEvent
	wake  chan struct{} // capacity 1: "the queue is not empty"
}

func (s *subscriber) push(ev runtime.ContainerEvent) {
	s.mu.Lock()
	s.queue = append(s.queue, ev)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *subscriber) take() []runtime.ContainerEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue
	s.queue = nil
	return q
}

// Events implements runtime.Runtime: one goroutine per subscription
// delivers events in order. The error channel never carries anything.
func (r *Runtime) Events(ctx context.Context) (<-chan runtime.ContainerEvent, <-chan error) {
	out := make(chan runtime.ContainerEvent)
	errs := make(chan error)
	s := &subscriber{wake: make(chan struct{}, 1)}
	r.mu.Lock()
	r.subs[s] = struct{}{}
	r.mu.Unlock()
	go func() {
		defer close(errs)
		defer close(out)
		defer func() {
			r.mu.Lock()
			delete(r.subs, s)
			r.mu.Unlock()
		}()
		for {
			for _, ev := range s.take() {
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			}
			select {
			case <-s.wake:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, errs
}

// emit announces an event of c to every subscriber. Callers hold r.mu.
func (r *Runtime) emit(c *container, action string, code int) {
	if len(r.subs) == 0 && r.cfg.Notify == nil {
		return
	}
	ev := runtime.ContainerEvent{ID: c.status.ID, Action: action, Meta: c.status.Meta, ExitCode: code, Time: r.cfg.Now()}
	if r.cfg.Notify != nil {
		r.cfg.Notify(ev)
	}
	for s := range r.subs {
		s.push(ev)
	}
}
