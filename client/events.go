package client

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/berth-dev/berth/api"
)

// eventComponent is source.component and reportingComponent of our events.
const eventComponent = "berth-client"

// maxEventKeys bounds the coalescing memory; past it the memory starts over
// (a repeat then makes a new Event rather than bumping the old one's count).
const maxEventKeys = 4096

var eventRes = mustResource("Event")

// recorder writes pod events asynchronously, so a slow API never holds up a
// pod worker, and coalesces repeats of the same (pod, reason, message) into
// one Event with a growing count, as the kubelet's event correlator does.
type recorder struct {
	a       *Agent
	queue   chan *api.Event
	dropped atomic.Uint64
	seq     atomic.Uint64
	seen    map[string]*api.Event // owned by run
}

func newRecorder(a *Agent) *recorder {
	return &recorder{a: a, queue: make(chan *api.Event, 1024), seen: map[string]*api.Event{}}
}

func (r *recorder) normal(pod *api.Pod, reason, format string, args ...any) {
	r.emit(pod, api.EventTypeNormal, reason, fmt.Sprintf(format, args...))
}

func (r *recorder) warn(pod *api.Pod, reason, format string, args ...any) {
	r.emit(pod, api.EventTypeWarning, reason, fmt.Sprintf(format, args...))
}

// emit queues an event about pod; safe from any goroutine, never blocks.
func (r *recorder) emit(pod *api.Pod, typ, reason, msg string) {
	now := api.NewTime(time.Now())
	name := pod.Name + "." + strconv.FormatInt(time.Now().UnixNano(), 16) + strconv.FormatUint(r.seq.Add(1), 16)
	ev := &api.Event{
		TypeMeta:   api.TypeMeta{APIVersion: "v1", Kind: "Event"},
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: pod.Namespace},
		InvolvedObject: api.ObjectReference{
			Kind: "Pod", APIVersion: "v1", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID,
		},
		Reason: reason, Message: msg, Type: typ, Count: 1,
		Source:         api.EventSource{Component: eventComponent, Host: r.a.cfg.Name},
		FirstTimestamp: now, LastTimestamp: now,
		ReportingComponent: eventComponent, ReportingInstance: r.a.cfg.Name,
	}
	select {
	case r.queue <- ev:
	default:
		r.dropped.Add(1)
	}
}

// run writes queued events until ctx ends.
func (r *recorder) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-r.queue:
			r.write(ctx, ev)
		}
	}
}

func (r *recorder) write(ctx context.Context, ev *api.Event) {
	key := ev.InvolvedObject.UID + "\x00" + ev.Reason + "\x00" + ev.Message
	if prev, ok := r.seen[key]; ok {
		next := *prev
		next.Count++
		next.LastTimestamp = ev.LastTimestamp
		next.ResourceVersion = ""
		err := r.a.apis.do(ctx, func(c *api.Client) error {
			obj, err := c.Update(ctx, &next)
			if err == nil {
				r.seen[key] = obj.(*api.Event)
			}
			return err
		})
		if err == nil {
			return
		}
		delete(r.seen, key) // gone (TTL, namespace deleted): create anew
	}
	if len(r.seen) >= maxEventKeys {
		r.seen = map[string]*api.Event{}
	}
	err := r.a.apis.do(ctx, func(c *api.Client) error {
		obj, err := c.Create(ctx, ev)
		if err == nil {
			r.seen[key] = obj.(*api.Event)
		}
		return err
	})
	if err != nil && ctx.Err() == nil {
		r.a.log.Debug("event write failed", "reason", ev.Reason, "err", err)
	}
}
