package controller

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// Handler is told about one change of a watched kind. On a (re)list it is called
// with raftfsm.Added for every object present, so it must be idempotent: handlers
// only queue keys, the reconcile reads the store.
type Handler func(typ raftfsm.EventType, rec *raftfsm.Record)

// Informer lists and then watches some kinds of the store and calls a handler per
// change. Handlers of one kind run on that kind's goroutine, one call at a time.
type Informer struct {
	store    Store
	log      *slog.Logger
	handlers map[*api.Resource]Handler
	order    []*api.Resource
	synced   chan struct{}
}

// NewInformer builds an informer over store; add kinds with On before Run.
func NewInformer(store Store, log *slog.Logger) *Informer {
	return &Informer{store: store, log: log, handlers: map[*api.Resource]Handler{}, synced: make(chan struct{})}
}

// On registers h for the kind (looked up by Kind name); a kind the API does not
// serve is ignored with a log line, so a controller degrades instead of failing.
func (in *Informer) On(kind string, h Handler) *Informer {
	res, ok := api.ResourceForKind(kind)
	if !ok {
		in.log.Error("controller: informer for an unknown kind", "kind", kind)
		return in
	}
	if _, dup := in.handlers[res]; !dup {
		in.order = append(in.order, res)
	}
	in.handlers[res] = h
	return in
}

// Synced is closed once every kind's first list has been handed to its handler.
func (in *Informer) Synced() <-chan struct{} { return in.synced }

// Run lists and watches every registered kind until ctx ends. A watcher that falls
// behind the store's window (raftfsm.ErrGone) lists again.
func (in *Informer) Run(ctx context.Context) {
	var wg, first sync.WaitGroup
	for _, res := range in.order {
		first.Add(1)
		wg.Go(func() { in.runKind(ctx, res, in.handlers[res], first.Done) })
	}
	go func() {
		first.Wait()
		close(in.synced)
	}()
	wg.Wait()
}

// runAndProcess runs the informer until ctx ends and, once its first lists are
// handed to the handlers, reconciles q's keys with Process; a failed key is logged
// at debug level as "<name>: sync failed, retrying" with the key under keyAttr. It
// returns after the informer and the workers stopped; when ctx ends before the
// informer synced it reconciles nothing. This is the Run body of most controllers.
func (in *Informer) runAndProcess(ctx context.Context, q *Queue, workers int, reconcile func(ctx context.Context, key string) error, name, keyAttr string) {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { in.Run(ctx) })
	select {
	case <-in.Synced():
	case <-ctx.Done():
		return
	}
	Process(ctx, q, workers, reconcile, func(key string, err error) {
		in.log.Debug(name+": sync failed, retrying", keyAttr, key, "err", err)
	})
}

func (in *Informer) runKind(ctx context.Context, res *api.Resource, h Handler, listed func()) {
	var once sync.Once
	defer once.Do(listed)
	for ctx.Err() == nil {
		recs, index := in.store.List(res, "")
		for _, r := range recs {
			h(raftfsm.Added, r)
		}
		once.Do(listed)
		err := in.watch(ctx, res, index, h)
		if ctx.Err() != nil {
			return
		}
		in.log.Debug("controller: watch ended, listing again", "kind", res.Kind, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (in *Informer) watch(ctx context.Context, res *api.Resource, from uint64, h Handler) error {
	w, err := in.store.Watch(res, "", from)
	if err != nil {
		return err
	}
	defer w.Close()
	for {
		events, err := w.Next(ctx)
		if err != nil {
			return err // ErrGone (fell behind: list again) or ctx's error
		}
		for _, ev := range events {
			h(ev.Type, ev.Record)
		}
	}
}

// KeyOf is an object's queue key, "namespace/name" (just "name" when cluster-scoped).
func KeyOf(obj api.Object) string {
	m := obj.GetObjectMeta()
	if m.Namespace == "" {
		return m.Name
	}
	return m.Namespace + "/" + m.Name
}

// SplitKey undoes KeyOf.
func SplitKey(key string) (namespace, name string) {
	if i := strings.IndexByte(key, '/'); i >= 0 {
		return key[:i], key[i+1:]
	}
	return "", key
}

// lookup returns the stored object of key (see KeyOf) when it exists and is a T.
// It is the store's record, shared: copy it (api.DeepCopy) before changing it.
func lookup[T api.Object](store Store, res *api.Resource, key string) (obj T, ok bool) {
	ns, name := SplitKey(key)
	rec, found := store.Get(res, ns, name)
	if !found {
		return obj, false
	}
	obj, ok = rec.Object.(T)
	return obj, ok
}

// ControllerOf returns obj's managing owner (the ownerReference with controller:
// true), or nil.
func ControllerOf(obj api.Object) *api.OwnerReference {
	refs := obj.GetObjectMeta().OwnerReferences
	for i := range refs {
		if refs[i].Controller != nil && *refs[i].Controller {
			return &refs[i]
		}
	}
	return nil
}

// NewControllerRef is the ownerReference a controller puts on what it creates.
func NewControllerRef(owner api.Object) api.OwnerReference {
	tm, m := owner.GetTypeMeta(), owner.GetObjectMeta()
	yes := true
	return api.OwnerReference{
		APIVersion: tm.APIVersion, Kind: tm.Kind, Name: m.Name, UID: m.UID,
		Controller: &yes, BlockOwnerDeletion: &yes,
	}
}

// EnqueueOwner is a Handler for dependents (pods, ReplicaSets): it queues the key of
// the dependent's controller when that controller is of ownerKind.
func EnqueueOwner(q *Queue, ownerKind string) Handler {
	return func(_ raftfsm.EventType, rec *raftfsm.Record) {
		if ref := ControllerOf(rec.Object); ref != nil && ref.Kind == ownerKind {
			ns := rec.Object.GetObjectMeta().Namespace
			if ns == "" {
				q.Add(ref.Name)
				return
			}
			q.Add(ns + "/" + ref.Name)
		}
	}
}

// EnqueueSelf is a Handler that queues the changed object's own key.
func EnqueueSelf(q *Queue) Handler {
	return func(_ raftfsm.EventType, rec *raftfsm.Record) { q.Add(KeyOf(rec.Object)) }
}
