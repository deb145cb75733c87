package controller

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// FinalizerForeground marks an owner whose deletion waits for its dependents
// (propagationPolicy Foreground): the server sets it with the deletionTimestamp, the
// garbage collector deletes the dependents and then removes the owner.
const FinalizerForeground = "foregroundDeletion"

// FinalizerOrphan marks an owner whose Orphan deletion is under way: while it is
// set (with a deletionTimestamp) controllers do not adopt its former dependents, and
// if the server that began the deletion dies, the collector finishes it.
const FinalizerOrphan = "orphan"

// OrphanPending reports whether obj is an owner whose Orphan deletion began.
func OrphanPending(obj api.Object) bool {
	m := obj.GetObjectMeta()
	return m.DeletionTimestamp != nil && slices.Contains(m.Finalizers, FinalizerOrphan)
}

// ForegroundPending reports whether obj is an owner waiting for its dependents to go.
func ForegroundPending(obj api.Object) bool {
	m := obj.GetObjectMeta()
	return m.DeletionTimestamp != nil && slices.Contains(m.Finalizers, FinalizerForeground)
}

// GarbageCollector deletes the objects whose owners are gone, as Kubernetes' does.
// An object is judged by its ownerReferences, each by uid:
//   - every owner gone (no object of the reference's kind has the uid): the object
//     is deleted, Background (a pod gracefully, its own dependents after it);
//   - some owner alive: it stays, and the references to gone owners are removed;
//   - an owner of a kind the server does not serve counts as alive: what cannot be
//     checked is never collected.
//
// It also finishes foreground deletions: the dependents of a ForegroundPending
// owner are deleted (Foreground themselves), or lose their reference to it when
// another live owner keeps them, and the owner is removed once no dependent with
// blockOwnerDeletion is left.
//
// Work comes from watching every kind: a deletion queues the object's dependents
// (now perhaps orphaned) and its owners (perhaps waiting for it); a new object with
// owners is checked (it may name an owner deleted just before it was created). The
// first list checks everything, so a new leader collects what the old one missed,
// and a full scan repeats every Resync.
type GarbageCollector struct {
	env Env
	// Workers is the number of objects judged at once.
	Workers int
	// Resync is the period of the full scan (0: none after the first list).
	Resync time.Duration

	kinds []*api.Resource
	queue *Queue
}

// NewGarbageCollector builds the collector: 8 workers, a full scan every 5 minutes.
func NewGarbageCollector(env Env) *GarbageCollector {
	return &GarbageCollector{env: env, Workers: 8, Resync: 5 * time.Minute}
}

var _ Controller = (*GarbageCollector)(nil)

// Name implements Controller.
func (gc *GarbageCollector) Name() string { return "garbagecollector" }

// Run implements Controller: it watches every kind the API serves (read when it
// starts, so kinds added to the api package are covered) until ctx ends.
func (gc *GarbageCollector) Run(ctx context.Context) error {
	gc.kinds, gc.queue = api.Resources(), NewQueue()
	inf := NewInformer(gc.env.Store, gc.env.Log)
	for _, res := range gc.kinds {
		inf.On(res.Kind, gc.onChange(res))
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { inf.Run(ctx) })
	if gc.Resync > 0 {
		wg.Go(func() { gc.resync(ctx) })
	}
	Process(ctx, gc.queue, gc.Workers, gc.reconcile, func(key string, err error) {
		gc.env.Log.Debug("garbagecollector: retrying", "object", key, "err", err)
	})
	return nil
}

// gcKey is an object's queue key: its kind and uid. A uid names one object for
// ever, so a key never confuses an object with a later one of the same name.
func gcKey(kind, uid string) string { return kind + "/" + uid }

func splitGCKey(key string) (kind, uid string) {
	kind, uid, _ = strings.Cut(key, "/")
	return kind, uid
}

// onChange is the handler of one kind; it only queues keys.
func (gc *GarbageCollector) onChange(res *api.Resource) Handler {
	return func(typ raftfsm.EventType, rec *raftfsm.Record) {
		m := rec.Object.GetObjectMeta()
		pending := res.Kind != "Pod" && (ForegroundPending(rec.Object) || OrphanPending(rec.Object))
		switch {
		case typ == raftfsm.Deleted:
			gc.queueDependents(m.UID)
			for _, ref := range m.OwnerReferences {
				gc.queue.Add(gcKey(ref.Kind, ref.UID))
			}
		case pending:
			gc.queue.Add(gcKey(res.Kind, m.UID))
			gc.queueDependents(m.UID)
		case typ == raftfsm.Added && len(m.OwnerReferences) > 0:
			gc.queue.Add(gcKey(res.Kind, m.UID))
		}
	}
}

// queueDependents queues every object, of any kind, that names uid as an owner.
func (gc *GarbageCollector) queueDependents(uid string) {
	for _, res := range gc.kinds {
		for _, rec := range gc.env.Store.ListByOwner(res, uid) {
			gc.queue.Add(gcKey(res.Kind, rec.Object.GetObjectMeta().UID))
		}
	}
}

// resync queues every object with owners, and every pending foreground owner, each
// Resync until ctx ends.
func (gc *GarbageCollector) resync(ctx context.Context) {
	t := time.NewTicker(gc.Resync)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, res := range gc.kinds {
			recs, _ := gc.env.Store.List(res, "")
			for _, rec := range recs {
				m := rec.Object.GetObjectMeta()
				if len(m.OwnerReferences) > 0 || (res.Kind != "Pod" && ForegroundPending(rec.Object)) {
					gc.queue.Add(gcKey(res.Kind, m.UID))
				}
			}
		}
	}
}
