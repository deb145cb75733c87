package informer

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/berth-dev/berth/api"
)

// Cache keeps the latest objects of several kinds in every namespace, each kind
// followed by its own Informer, for a consumer that rebuilds a whole view when
// anything changes (the service proxy, network policy). Safe for concurrent use.
type Cache struct {
	// Source is where lists and watches go. Required.
	Source Source
	// Changed is called after every list and event, from the kind's goroutine; it
	// must not block. Nil: nothing is called.
	Changed func()
	// Log receives the Informers' warnings (with "kind"); nil means slog.Default().
	Log *slog.Logger
	// What names the consumer in those warnings ("service proxy").
	What string
	// Backoff is the Informers' pauses.
	Backoff Backoff

	mu     sync.Mutex
	objs   map[string]map[string]api.Object // by kind, then "namespace/name"
	listed map[string]bool
}

// Key is the index of an object in a kind's map: "namespace/name" ("/name" for a
// cluster-scoped kind).
func Key(ns, name string) string { return ns + "/" + name }

// Start follows kinds until ctx ends; wait returns once every follower stopped. A
// kind the api package does not serve is an error, and nothing is started.
func (c *Cache) Start(ctx context.Context, kinds ...string) (wait func(), err error) {
	var ress []*api.Resource
	for _, kind := range kinds {
		res, ok := api.ResourceForKind(kind)
		if !ok {
			return nil, fmt.Errorf("informer: the api package has no %s resource", kind)
		}
		ress = append(ress, res)
	}
	c.mu.Lock()
	if c.objs == nil {
		c.objs, c.listed = map[string]map[string]api.Object{}, map[string]bool{}
	}
	for _, kind := range kinds {
		if c.objs[kind] == nil {
			c.objs[kind] = map[string]api.Object{}
		}
	}
	c.mu.Unlock()
	var wg sync.WaitGroup
	for _, res := range ress {
		wg.Go(func() { c.follow(ctx, res) })
	}
	return wg.Wait, nil
}

// Listed reports whether every one of kinds has been listed at least once.
func (c *Cache) Listed(kinds ...string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range kinds {
		if !c.listed[k] {
			return false
		}
	}
	return true
}

// Snapshot copies the maps of kinds, all under one lock, so they are from one
// moment. The objects are shared: they are never modified.
func (c *Cache) Snapshot(kinds ...string) map[string]map[string]api.Object {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]map[string]api.Object, len(kinds))
	for _, k := range kinds {
		m := make(map[string]api.Object, len(c.objs[k]))
		for key, o := range c.objs[k] {
			m[key] = o
		}
		out[k] = m
	}
	return out
}

// Typed converts a kind's map from Snapshot to its Go type; objects of another
// type are left out.
func Typed[T api.Object](m map[string]api.Object) map[string]T {
	out := make(map[string]T, len(m))
	for k, o := range m {
		if v, ok := o.(T); ok {
			out[k] = v
		}
	}
	return out
}

// follow runs one Informer for res until ctx ends.
func (c *Cache) follow(ctx context.Context, res *api.Resource) {
	log := c.Log
	if log == nil {
		log = slog.Default()
	}
	in := Informer{
		Source: c.Source, Resource: res,
		Replace: func(objs []api.Object) { c.replace(res.Kind, objs) },
		Event: func(typ string, o api.Object) {
			c.event(res.Kind, typ == api.WatchDeleted, o)
		},
		Log:        log.With("kind", res.Kind),
		ListFailed: c.What + ": list failed; retrying",
		WatchBroke: c.What + ": watch broke; resuming",
		Backoff:    c.Backoff,
	}
	in.Run(ctx, "")
}

// replace swaps the whole state of kind for a fresh list, in one step so a
// reader never sees it half filled.
func (c *Cache) replace(kind string, objs []api.Object) {
	m := make(map[string]api.Object, len(objs))
	for _, o := range objs {
		meta := o.GetObjectMeta()
		m[Key(meta.Namespace, meta.Name)] = o
	}
	c.mu.Lock()
	c.objs[kind] = m
	c.listed[kind] = true
	c.mu.Unlock()
	c.changed()
}

// event stores or removes one object of kind.
func (c *Cache) event(kind string, deleted bool, o api.Object) {
	meta := o.GetObjectMeta()
	c.mu.Lock()
	if deleted {
		delete(c.objs[kind], Key(meta.Namespace, meta.Name))
	} else {
		c.objs[kind][Key(meta.Namespace, meta.Name)] = o
	}
	c.mu.Unlock()
	c.changed()
}

func (c *Cache) changed() {
	if c.Changed != nil {
		c.Changed()
	}
}
