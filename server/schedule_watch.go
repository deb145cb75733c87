package server

import (
	"context"
	"maps"
	"reflect"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// inform lists kind from the store and follows its watch until ctx ends, listing
// again whenever the watch falls behind the window (ErrGone).
func (l *schedLoop) inform(ctx context.Context, kind string, sync func([]*raftfsm.Record), handle func([]raftfsm.Event)) {
	res, ok := api.ResourceForKind(kind)
	if !ok {
		return
	}
	for ctx.Err() == nil {
		recs, rv := l.s.fsm.List(res, "")
		sync(recs)
		w, err := l.s.fsm.Watch(res, "", rv)
		if err != nil {
			select { // the window moved past the list already: list again, gently
			case <-ctx.Done():
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		for {
			evs, err := w.Next(ctx)
			if err != nil {
				break
			}
			handle(evs)
		}
		w.Close()
	}
}

// wantsScheduling says whether this scheduler must place p: unbound, not being
// deleted, not finished, and naming the default scheduler.
func wantsScheduling(p *api.Pod) bool {
	return p.Spec.NodeName == "" && p.DeletionTimestamp == nil && !podFinished(p) &&
		(p.Spec.SchedulerName == "" || p.Spec.SchedulerName == api.DefaultSchedulerName)
}

func podFinished(p *api.Pod) bool {
	return p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed
}

// schedulingChanged says whether a queued pod changed in a way that deserves a new
// attempt: its spec (generation) or labels. Status writes — the scheduler's own
// PodScheduled condition among them — do not.
func schedulingChanged(old, cur *api.Pod) bool {
	return old.UID != cur.UID || old.Generation != cur.Generation || !maps.Equal(old.Labels, cur.Labels)
}

// syncPods takes a full list: the queue follows it, and parked pods get a retry.
func (l *schedLoop) syncPods(recs []*raftfsm.Record) {
	l.mu.Lock()
	defer l.mu.Unlock()
	present := make(map[string]bool, len(l.pods))
	l.terminal = map[string]bool{}
	for _, rec := range recs {
		p, ok := rec.Object.(*api.Pod)
		if !ok {
			continue
		}
		key := p.Namespace + "/" + p.Name
		switch {
		case wantsScheduling(p):
			present[key] = true
			l.trackLocked(key, p)
		case p.Spec.NodeName != "" && podFinished(p):
			l.terminal[key] = true
		}
	}
	for key, p := range l.pods {
		if !present[key] {
			l.untrackLocked(key, p)
		}
	}
	l.changed.Store(true)
	l.wake()
}

// podEvents follows pod changes in order.
func (l *schedLoop) podEvents(evs []raftfsm.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	changed, queued := false, false
	for _, ev := range evs {
		p, ok := ev.Record.Object.(*api.Pod)
		if !ok {
			continue
		}
		key := p.Namespace + "/" + p.Name
		switch {
		case ev.Type == raftfsm.Deleted:
			if old := l.pods[key]; old != nil {
				l.untrackLocked(key, old)
			}
			delete(l.terminal, key)
			delete(l.seen, p.UID)
			changed = true // its room, or its nomination, is free
		case wantsScheduling(p):
			queued = l.trackLocked(key, p) || queued
		default:
			if old := l.pods[key]; old != nil {
				l.untrackLocked(key, old)
			}
			if p.Spec.NodeName != "" && podFinished(p) && !l.terminal[key] {
				l.terminal[key] = true
				changed = true // a finished pod's requests no longer count
			}
		}
	}
	if changed {
		l.changed.Store(true)
	}
	if changed || queued {
		l.wake()
	}
}

// trackLocked queues p when it is new or changed in a way that matters, and says
// whether it did.
func (l *schedLoop) trackLocked(key string, p *api.Pod) bool {
	old := l.pods[key]
	l.pods[key] = p
	if old != nil && !schedulingChanged(old, p) {
		return false
	}
	if old != nil && old.UID != p.UID {
		l.sched.Remove(old)
		delete(l.seen, old.UID)
	}
	if _, ok := l.seen[p.UID]; !ok {
		l.seen[p.UID] = time.Now()
	}
	l.sched.Enqueue(p)
	return true
}

// untrackLocked drops p from the queue: bound, deleted, or no longer ours. Its
// first-sight time stays until report takes it or the pod is deleted.
func (l *schedLoop) untrackLocked(key string, p *api.Pod) {
	delete(l.pods, key)
	l.sched.Remove(p)
}

// tracked says whether p is still an unbound pod this scheduler places.
func (l *schedLoop) tracked(p *api.Pod) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	cur := l.pods[p.Namespace+"/"+p.Name]
	return cur != nil && cur.UID == p.UID
}

// takeSeen returns and forgets when the pod with uid was first seen unbound.
func (l *schedLoop) takeSeen(uid string) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.seen[uid]
	delete(l.seen, uid)
	return t
}

// syncNodes takes a full list of nodes.
func (l *schedLoop) syncNodes(recs []*raftfsm.Record) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.nodes = make(map[string]*api.Node, len(recs))
	for _, rec := range recs {
		if n, ok := rec.Object.(*api.Node); ok {
			l.nodes[n.Name] = n
		}
	}
	l.changed.Store(true)
	l.wake()
}

// nodeEvents retries the parked pods when a node is added or changes in a way that
// can make a pod fit; heartbeats (a new lastHeartbeatTime) do not.
func (l *schedLoop) nodeEvents(evs []raftfsm.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	changed := false
	for _, ev := range evs {
		n, ok := ev.Record.Object.(*api.Node)
		if !ok {
			continue
		}
		old := l.nodes[n.Name]
		if ev.Type == raftfsm.Deleted {
			delete(l.nodes, n.Name)
			continue
		}
		l.nodes[n.Name] = n
		if old == nil || nodeSchedulingChanged(old, n) {
			changed = true
		}
	}
	if changed {
		l.changed.Store(true)
		l.wake()
	}
}

// nodeSchedulingChanged compares what the filters read: spec (taints,
// unschedulable), labels, allocatable and capacity, readiness and images.
func nodeSchedulingChanged(old, cur *api.Node) bool {
	return !reflect.DeepEqual(old.Spec, cur.Spec) || !maps.Equal(old.Labels, cur.Labels) ||
		!reflect.DeepEqual(old.Status.Allocatable, cur.Status.Allocatable) ||
		!reflect.DeepEqual(old.Status.Capacity, cur.Status.Capacity) ||
		nodeReady(old) != nodeReady(cur) || len(old.Status.Images) != len(cur.Status.Images)
}

func nodeReady(n *api.Node) string {
	for _, c := range n.Status.Conditions {
		if c.Type == api.NodeReady {
			return c.Status
		}
	}
	return ""
}
