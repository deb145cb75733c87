package server

import (
	"context"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/server/controller"
)

// The recorder's sizes and times, each with its reason.
const (
	// eventBuffer is how many records may wait for the next flush. A burst of 30,000
	// scheduled pods fills it only if flushes stall; past it records are dropped (and
	// counted) rather than block a scheduler or a controller on Raft.
	eventBuffer = 16384
	// eventFlushMax is the most Events one flush writes: one Raft entry of a few
	// hundred KiB, small enough not to delay the bindings sharing the pipeline.
	eventFlushMax = 1000
	// eventAggregateWindow is how long a repeat updates the earlier Event (count++)
	// instead of making a new one: Kubernetes' 10 minutes.
	eventAggregateWindow = 10 * time.Minute
	// eventCacheSize bounds the aggregation cache as Kubernetes' correlator does (an
	// LRU of 4,096): repeats of evicted entries make a new Event, nothing worse.
	eventCacheSize = 4096
	// defaultEventTTL is Kubernetes' --event-ttl: Events whose last occurrence is
	// older are deleted by the leader.
	defaultEventTTL = time.Hour
	// eventSweepEvery is how often the leader looks for expired Events; a minute
	// keeps an Event at most a minute past its TTL at the cost of one list.
	eventSweepEvery = time.Minute
	// defaultEventComponent is the source of Events recorded through the server's
	// recorder without a component of their own (For names one).
	defaultEventComponent = "berth-server"
	// clusterEventNamespace holds the Events of cluster-scoped objects (Nodes), as
	// in Kubernetes.
	clusterEventNamespace = "default"
)

// eventRecorder is the server's controller.EventRecorder: Record only queues (it never
// blocks, and drops with a metric when the buffer is full); the leader's run loop
// aggregates repeats as Kubernetes does and writes each flush as one Raft batch.
// Records made while this server does not lead wait for its next term, or are dropped
// once the buffer is full.
type eventRecorder struct {
	s         *Server
	component string
	in        chan eventRecord
	// runMu lets one run loop at a time own cache: after a quick loss and regain of
	// leadership the old term's loop may still be finishing its flush.
	runMu sync.Mutex
	cache *eventCache // touched only by the run loop holding runMu
	ttl   time.Duration
	sweep time.Duration
	now   func() time.Time
	// mute drops every record, uncounted: benchmarks measure what Events cost.
	mute atomic.Bool

	dropped prometheus.Counter
	written *prometheus.CounterVec
}

var _ controller.EventRecorder = (*eventRecorder)(nil)

// eventRecord is one Record call.
type eventRecord struct {
	ref                         api.ObjectReference
	typ, reason, msg, component string
	at                          time.Time
}

func newEventRecorder(s *Server, reg prometheus.Registerer) *eventRecorder {
	r := &eventRecorder{
		s: s, component: defaultEventComponent, in: make(chan eventRecord, eventBuffer),
		cache: newEventCache(eventCacheSize), ttl: defaultEventTTL, sweep: eventSweepEvery, now: time.Now,
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "berth_events_dropped_total", Help: "Events not recorded because the recorder's buffer was full.",
		}),
		written: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "berth_events_written_total", Help: "Event writes by the leader's recorder, by operation (create, update, expire) and result.",
		}, []string{"op", "result"}),
	}
	reg.MustRegister(r.dropped, r.written)
	return r
}

// Record implements controller.EventRecorder with the server's default component.
func (r *eventRecorder) Record(obj api.Object, eventType, reason, message string) {
	r.record(r.component, obj, eventType, reason, message)
}

// For returns a recorder whose Events name component as their source
// ("default-scheduler", "replicaset-controller").
func (r *eventRecorder) For(component string) controller.EventRecorder {
	return componentRecorder{r: r, component: component}
}

// componentRecorder records through r under its own source component.
type componentRecorder struct {
	r         *eventRecorder
	component string
}

// Record implements controller.EventRecorder.
func (c componentRecorder) Record(obj api.Object, eventType, reason, message string) {
	c.r.record(c.component, obj, eventType, reason, message)
}

// record queues one Event; safe for concurrent use and never blocks.
func (r *eventRecorder) record(component string, obj api.Object, eventType, reason, message string) {
	if obj == nil || reflect.ValueOf(obj).IsNil() || r.mute.Load() {
		return
	}
	ev := eventRecord{ref: objectRef(obj), typ: eventType, reason: reason, msg: message, component: component, at: r.now()}
	select {
	case r.in <- ev:
	default:
		r.dropped.Inc()
	}
}

// objectRef is Kubernetes' reference to an object as Events carry it.
func objectRef(obj api.Object) api.ObjectReference {
	m, tm := obj.GetObjectMeta(), obj.GetTypeMeta()
	ref := api.ObjectReference{
		Kind: tm.Kind, APIVersion: tm.APIVersion, Namespace: m.Namespace, Name: m.Name,
		UID: m.UID, ResourceVersion: m.ResourceVersion,
	}
	if ref.Kind == "" || ref.APIVersion == "" {
		if res, ok := api.ResourceForObject(obj); ok {
			ref.Kind, ref.APIVersion = res.Kind, res.APIVersion()
		}
	}
	return ref
}

// run writes queued Events until ctx ends (this server stops leading), and deletes
// expired ones every sweep interval.
func (r *eventRecorder) run(ctx context.Context) {
	r.runMu.Lock()
	defer r.runMu.Unlock()
	t := time.NewTicker(r.sweep)
	defer t.Stop()
	batch := make([]eventRecord, 0, eventFlushMax)
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.expire(ctx)
			continue
		case ev := <-r.in:
			batch = append(batch, ev)
		}
	fill:
		for len(batch) < eventFlushMax {
			select {
			case ev := <-r.in:
				batch = append(batch, ev)
			default:
				break fill
			}
		}
		r.flush(ctx, batch)
	}
}
