package docker

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/berth-dev/berth/client/runtime"
)

// Reconnect back-off for the event stream: quick first (a daemon restart
// is short), capped so a dead engine is not hammered.
const (
	eventsRetryMin = 100 * time.Millisecond
	eventsRetryMax = 5 * time.Second
)

// Events implements runtime.Runtime: one goroutine per subscription.
func (r *Runtime) Events(ctx context.Context) (<-chan runtime.ContainerEvent, <-chan error) {
	out := make(chan runtime.ContainerEvent, 64)
	errs := make(chan error, 1)
	go r.eventLoop(ctx, out, errs)
	return out, errs
}

func (r *Runtime) eventLoop(ctx context.Context, out chan<- runtime.ContainerEvent, errs chan<- error) {
	defer close(out)
	defer close(errs)
	var last events.Message // newest event delivered; resume point
	since := ""
	delay := eventsRetryMin
	for ctx.Err() == nil {
		connected := time.Now()
		err := r.streamEvents(ctx, since, &last, out)
		if ctx.Err() != nil {
			return
		}
		select {
		case errs <- fmt.Errorf("runtime/docker: event stream: %w", err):
		default: // nobody is reading errors; the reconnect is what matters
		}
		if last.TimeNano != 0 {
			delay = eventsRetryMin // we made progress since the last failure
			since = formatSince(last.TimeNano)
		} else if since == "" {
			// No event seen yet: replay from when this connection began.
			since = formatSince(connected.UnixNano())
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, eventsRetryMax)
	}
}

// streamEvents reads one connection until it fails. Since is inclusive, so
// on reconnect the events up to and including last are skipped.
func (r *Runtime) streamEvents(ctx context.Context, since string, last *events.Message, out chan<- runtime.ContainerEvent) error {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	f := managedFilter().
		Add("type", string(events.ContainerEventType)).
		Add("event", string(events.ActionStart), string(events.ActionDie), string(events.ActionOOM))
	res := r.cli.Events(sctx, client.EventsListOptions{Since: since, Filters: f})
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-res.Err:
			if err == nil {
				err = fmt.Errorf("stream closed")
			}
			return err
		case m := <-res.Messages:
			if seen(m, *last) {
				continue
			}
			*last = m
			select {
			case out <- toEvent(m):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
}

// seen reports whether m is at or before the resume point (events in the
// same nanosecond as last compare by identity).
func seen(m, last events.Message) bool {
	if last.TimeNano == 0 {
		return false
	}
	if m.TimeNano != last.TimeNano {
		return m.TimeNano < last.TimeNano
	}
	return m.Actor.ID == last.Actor.ID && m.Action == last.Action
}

func toEvent(m events.Message) runtime.ContainerEvent {
	ev := runtime.ContainerEvent{
		ID:     m.Actor.ID,
		Action: string(m.Action),
		Meta:   runtime.MetaFromLabels(m.Actor.Attributes),
		Time:   time.Unix(0, m.TimeNano),
	}
	if m.TimeNano == 0 {
		ev.Time = time.Unix(m.Time, 0)
	}
	if m.Action == events.ActionDie {
		ev.ExitCode, _ = strconv.Atoi(m.Actor.Attributes["exitCode"])
	}
	return ev
}

// formatSince renders the engine's "seconds.nanoseconds" timestamp.
func formatSince(nanos int64) string {
	return fmt.Sprintf("%d.%09d", nanos/int64(time.Second), nanos%int64(time.Second))
}
