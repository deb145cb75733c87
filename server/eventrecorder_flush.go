package server

import (
	"container/list"
	"context"
	"strconv"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// eventKey identifies repeats of one Event: Kubernetes' aggregation key (source,
// involved object, type, reason, message), without the object's resourceVersion.
type eventKey struct {
	kind, apiVersion, namespace, name, uid string
	typ, reason, msg, component            string
}

func keyOf(ev *eventRecord) eventKey {
	r := &ev.ref
	return eventKey{r.Kind, r.APIVersion, r.Namespace, r.Name, r.UID, ev.typ, ev.reason, ev.msg, ev.component}
}

// aggregate is one Event as the recorder last wrote (or is about to write) it.
type aggregate struct {
	key         eventKey
	rec         eventRecord // the first record: what the Event is about
	namespace   string
	name        string
	count       int32
	first, last time.Time
	stored      bool // a create of it has committed
	elem        *list.Element
}

// eventCache is an LRU of aggregates by key. Not safe for concurrent use.
type eventCache struct {
	max   int
	byKey map[eventKey]*aggregate
	lru   *list.List // front: most recently used
}

func newEventCache(max int) *eventCache {
	return &eventCache{max: max, byKey: map[eventKey]*aggregate{}, lru: list.New()}
}

func (c *eventCache) get(k eventKey) *aggregate {
	a := c.byKey[k]
	if a != nil {
		c.lru.MoveToFront(a.elem)
	}
	return a
}

func (c *eventCache) put(a *aggregate) {
	c.remove(a.key)
	a.elem = c.lru.PushFront(a)
	c.byKey[a.key] = a
	for c.lru.Len() > c.max {
		c.remove(c.lru.Back().Value.(*aggregate).key)
	}
}

func (c *eventCache) remove(k eventKey) {
	if a, ok := c.byKey[k]; ok {
		c.lru.Remove(a.elem)
		delete(c.byKey, k)
	}
}

// eventName is Kubernetes' `<object name>.<hex unix nanos>`, the object's name cut so
// the whole stays a valid name.
func eventName(objName string, at time.Time) string {
	suffix := "." + strconv.FormatInt(at.UnixNano(), 16)
	if max := 253 - len(suffix); len(objName) > max {
		objName = objName[:max]
	}
	return objName + suffix
}

// flush folds the records into aggregates (a repeat within the window counts on the
// earlier Event) and writes every touched aggregate in one Raft batch.
func (r *eventRecorder) flush(ctx context.Context, recs []eventRecord) {
	var touched []*aggregate
	inFlush := map[*aggregate]bool{}
	names := map[string]bool{}
	for i := range recs {
		ev := &recs[i]
		k := keyOf(ev)
		a := r.cache.get(k)
		if a == nil || ev.at.Sub(a.last) > eventAggregateWindow {
			a = &aggregate{key: k, rec: *ev, namespace: eventNamespace(&ev.ref), first: ev.at}
			a.name = uniqueEventName(names, ev.ref.Name, ev.at)
			r.cache.put(a)
		}
		a.count++
		if ev.at.After(a.last) {
			a.last = ev.at
		}
		if !inFlush[a] {
			inFlush[a] = true
			touched = append(touched, a)
		}
	}
	members := make([]raftfsm.Command, 0, len(touched))
	writes := make([]*aggregate, 0, len(touched))
	writable := map[string]bool{}
	for _, a := range touched {
		ok, known := writable[a.namespace]
		if !known {
			ok = r.namespaceOpen(a.namespace)
			writable[a.namespace] = ok
		}
		var cmd raftfsm.Command
		if ok {
			cmd, ok = r.eventCommand(a, names)
		}
		if !ok {
			r.cache.remove(a.key)
			continue
		}
		members = append(members, cmd)
		writes = append(writes, a)
	}
	results, err := r.s.prop.proposeBatch(ctx, members)
	for i, a := range writes {
		op := "update"
		if members[i].Type == raftfsm.CmdCreate {
			op = "create"
		}
		if err != nil || i >= len(results) || results[i].Err != nil {
			// Forget it: a later repeat starts a new Event rather than guess at this one.
			r.cache.remove(a.key)
			r.written.WithLabelValues(op, "error").Inc()
			continue
		}
		a.stored = true
		r.written.WithLabelValues(op, "ok").Inc()
	}
	if err != nil && ctx.Err() == nil {
		r.s.log.Debug("writing events", "events", len(writes), "err", err)
	}
}

// namespaceOpen says whether Events may be written into ns: it exists and is not
// being deleted (Kubernetes refuses creates in a terminating namespace, and an Event
// written there would hold up its removal).
func (r *eventRecorder) namespaceOpen(ns string) bool {
	nsRes, _ := api.ResourceForKind("Namespace")
	rec, ok := r.s.fsm.Get(nsRes, "", ns)
	return ok && rec.Object.GetObjectMeta().DeletionTimestamp == nil
}

// uniqueEventName names a new Event, unique within this flush (two records of one
// object in the same nanosecond would collide otherwise).
func uniqueEventName(taken map[string]bool, objName string, at time.Time) string {
	name := eventName(objName, at)
	for taken[name] {
		at = at.Add(1)
		name = eventName(objName, at)
	}
	taken[name] = true
	return name
}

func eventNamespace(ref *api.ObjectReference) string {
	if ref.Namespace == "" {
		return clusterEventNamespace
	}
	return ref.Namespace
}

// eventCommand is the write that brings a's Event up to date: an update of the stored
// Event (count and lastTimestamp), or a create when it was never stored or has expired
// meanwhile. ok is false when the Event is invalid (it is dropped).
func (r *eventRecorder) eventCommand(a *aggregate, names map[string]bool) (raftfsm.Command, bool) {
	evRes, _ := api.ResourceForKind("Event")
	if a.stored {
		if rec, ok := r.s.fsm.Get(evRes, a.namespace, a.name); ok {
			if cur, ok := rec.Object.(*api.Event); ok {
				next := *cur
				next.Count, next.LastTimestamp = a.count, api.NewTime(a.last)
				if body, err := api.Encode(&next); err == nil {
					return raftfsm.Command{
						Type: raftfsm.CmdUpdate, Kind: "Event", Namespace: a.namespace, Name: a.name,
						ResourceVersion: rec.RV, UID: cur.UID, Object: body,
					}, true
				}
			}
		}
		// Expired (or deleted by a user): record it again under a new name.
		a.name, a.stored = uniqueEventName(names, a.rec.ref.Name, a.last), false
	}
	ev := r.newEvent(a)
	stampNew(evRes, ev, r.now())
	api.Default(ev)
	if err := api.Validate(ev); err != nil {
		r.s.log.Warn("dropping an invalid event", "reason", a.rec.reason, "object", a.rec.ref.Name, "err", err)
		return raftfsm.Command{}, false
	}
	body, err := api.Encode(ev)
	if err != nil {
		return raftfsm.Command{}, false
	}
	return raftfsm.Command{Type: raftfsm.CmdCreate, Kind: "Event", Namespace: a.namespace, Name: a.name, Object: body}, true
}

// newEvent builds the core/v1 Event of an aggregate.
func (r *eventRecorder) newEvent(a *aggregate) *api.Event {
	ev := &api.Event{
		InvolvedObject:     a.rec.ref,
		Reason:             a.rec.reason,
		Message:            a.rec.msg,
		Source:             api.EventSource{Component: a.rec.component, Host: r.s.cfg.Name},
		FirstTimestamp:     api.NewTime(a.first),
		LastTimestamp:      api.NewTime(a.last),
		Count:              a.count,
		Type:               a.rec.typ,
		ReportingComponent: a.rec.component,
		ReportingInstance:  a.rec.component + "-" + r.s.cfg.Name,
	}
	ev.APIVersion, ev.Kind = "v1", "Event"
	ev.Name, ev.Namespace = a.name, a.namespace
	return ev
}
