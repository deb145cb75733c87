package server

import (
	"context"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// expireBatch is the most Event deletions in one Raft entry.
const expireBatch = 500

// expire deletes the Events whose last occurrence is older than the TTL, as
// Kubernetes' --event-ttl does, in batches. Each delete carries the Event's
// resourceVersion, so an Event updated meanwhile (a new repeat) survives.
func (r *eventRecorder) expire(ctx context.Context) int {
	evRes, _ := api.ResourceForKind("Event")
	recs, _ := r.s.fsm.List(evRes, "")
	cutoff := r.now().Add(-r.ttl)
	var batch []raftfsm.Command
	deleted := 0
	send := func() {
		results, err := r.s.prop.proposeBatch(ctx, batch)
		for i := range batch {
			if err == nil && i < len(results) && results[i].Err == nil {
				deleted++
				r.written.WithLabelValues("expire", "ok").Inc()
			} else {
				r.written.WithLabelValues("expire", "error").Inc()
			}
		}
		batch = batch[:0]
	}
	for _, rec := range recs {
		ev, ok := rec.Object.(*api.Event)
		if !ok || !eventLast(ev).Before(cutoff) {
			continue
		}
		batch = append(batch, raftfsm.Command{
			Type: raftfsm.CmdDelete, Kind: "Event", Namespace: ev.Namespace, Name: ev.Name,
			ResourceVersion: rec.RV, UID: ev.UID,
		})
		if len(batch) == expireBatch {
			send()
			if ctx.Err() != nil {
				return deleted
			}
		}
	}
	if len(batch) > 0 {
		send()
	}
	return deleted
}

// eventLast is when an Event last occurred: lastTimestamp, else eventTime or the
// series' last observation (events.k8s.io style writers), else its creation.
func eventLast(ev *api.Event) time.Time {
	switch {
	case ev.LastTimestamp != nil && !ev.LastTimestamp.IsZero():
		return ev.LastTimestamp.Time
	case ev.Series != nil && ev.Series.LastObservedTime != nil && !ev.Series.LastObservedTime.IsZero():
		return ev.Series.LastObservedTime.Time
	case ev.EventTime != nil && !ev.EventTime.IsZero():
		return ev.EventTime.Time
	case ev.CreationTimestamp != nil:
		return ev.CreationTimestamp.Time
	}
	return time.Time{}
}
