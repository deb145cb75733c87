package ingress

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/berth-dev/berth/api"
)

// Source is how the ingress reads the cluster: lists and watches of whole
// collections, as *api.Client does them. It is called from one goroutine per
// watched kind at once.
type Source interface {
	List(ctx context.Context, res *api.Resource, ns string, opts api.ListOptions) (*api.List, error)
	Watch(ctx context.Context, res *api.Resource, ns string, opts api.WatchOptions) (*api.Watcher, error)
}

var _ Source = (*api.Client)(nil)

// watched is one kind the ingress follows, with the field selector that narrows it.
type watched struct {
	kind          string
	fieldSelector string
}

// watchedKinds are what a table is built from. Only TLS Secrets are kept.
var watchedKinds = []watched{
	{kind: "Ingress"},
	{kind: "Service"},
	{kind: "Endpoints"},
	{kind: "Secret", fieldSelector: "type=" + api.SecretTypeTLS},
}

// Retry pauses after a failed list or a broken watch; the longer one after
// failures in a row, so a server that is down is not hammered.
const (
	retryInitial = 250 * time.Millisecond
	retryMax     = 5 * time.Second
)

// cache holds the watched objects by kind and namespace/name, and signals every
// change on dirty (one pending signal is enough: the rebuild reads it all).
type cache struct {
	mu     sync.Mutex
	objs   map[string]map[string]api.Object
	synced map[string]bool
	dirty  chan struct{}
}

func newCache() *cache {
	c := &cache{objs: map[string]map[string]api.Object{}, synced: map[string]bool{}, dirty: make(chan struct{}, 1)}
	for _, w := range watchedKinds {
		c.objs[w.kind] = map[string]api.Object{}
	}
	return c
}

func objKey(o api.Object) string {
	m := o.GetObjectMeta()
	return m.Namespace + "/" + m.Name
}

// replace installs a fresh list of one kind.
func (c *cache) replace(kind string, objs []api.Object) {
	m := make(map[string]api.Object, len(objs))
	for _, o := range objs {
		m[objKey(o)] = o
	}
	c.mu.Lock()
	c.objs[kind] = m
	c.synced[kind] = true
	c.mu.Unlock()
	c.changed()
}

// apply records one watch event.
func (c *cache) apply(kind, typ string, o api.Object) {
	c.mu.Lock()
	if typ == api.WatchDeleted {
		delete(c.objs[kind], objKey(o))
	} else {
		c.objs[kind][objKey(o)] = o
	}
	c.mu.Unlock()
	c.changed()
}

func (c *cache) changed() {
	select {
	case c.dirty <- struct{}{}:
	default:
	}
}

// isSynced says every kind has been listed once.
func (c *cache) isSynced() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.synced) == len(watchedKinds)
}

// snapshot copies the maps (not the objects, which nobody modifies).
func (c *cache) snapshot() *snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := &snapshot{
		services:  make(map[string]*api.Service, len(c.objs["Service"])),
		endpoints: make(map[string]*api.Endpoints, len(c.objs["Endpoints"])),
		secrets:   make(map[string]*api.Secret, len(c.objs["Secret"])),
	}
	for _, o := range c.objs["Ingress"] {
		if ing, ok := o.(*api.Ingress); ok {
			s.ingresses = append(s.ingresses, ing)
		}
	}
	for k, o := range c.objs["Service"] {
		if svc, ok := o.(*api.Service); ok {
			s.services[k] = svc
		}
	}
	for k, o := range c.objs["Endpoints"] {
		if ep, ok := o.(*api.Endpoints); ok {
			s.endpoints[k] = ep
		}
	}
	for k, o := range c.objs["Secret"] {
		if sec, ok := o.(*api.Secret); ok {
			s.secrets[k] = sec
		}
	}
	return s
}

// informer keeps one kind of the cache current: list, then watch from the list's
// resourceVersion, resuming where the stream ended and listing again when the
// server no longer has that far back (410 Gone).
type informer struct {
	src   Source
	res   *api.Resource
	field string
	cache *cache
	log   *slog.Logger
}

func (in *informer) run(ctx context.Context) {
	rv := ""
	wait := retryInitial
	for ctx.Err() == nil {
		if rv == "" {
			var err error
			if rv, err = in.list(ctx); err != nil {
				in.log.Warn("ingress: list failed; retrying", "kind", in.res.Kind, "err", err)
				wait = pause(ctx, wait)
				continue
			}
		}
		next, err := in.watch(ctx, rv)
		switch {
		case ctx.Err() != nil:
			return
		case api.ReasonOf(err) == api.ReasonGone:
			rv = "" // too old: list again
		case err != nil:
			in.log.Warn("ingress: watch broke; resuming", "kind", in.res.Kind, "err", err)
			rv = next
			wait = pause(ctx, wait)
		case next == rv:
			// Ended with nothing new: do not spin on a server that ends streams at once.
			wait = pause(ctx, retryInitial)
		default:
			rv, wait = next, retryInitial
		}
	}
}

// pause sleeps for wait (or until ctx ends) and returns the next, doubled, wait.
func pause(ctx context.Context, wait time.Duration) time.Duration {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
	return min(2*wait, retryMax)
}

func (in *informer) list(ctx context.Context) (string, error) {
	l, err := in.src.List(ctx, in.res, "", api.ListOptions{FieldSelector: in.field})
	if err != nil {
		return "", err
	}
	objs, err := l.Objects()
	if err != nil {
		return "", err
	}
	in.cache.replace(in.res.Kind, objs)
	if l.ResourceVersion == "" {
		return "", errors.New("ingress: list without a resourceVersion")
	}
	return l.ResourceVersion, nil
}

// watch follows one stream and returns the last resourceVersion it saw.
func (in *informer) watch(ctx context.Context, rv string) (string, error) {
	w, err := in.src.Watch(ctx, in.res, "", api.WatchOptions{ResourceVersion: rv, FieldSelector: in.field, AllowBookmarks: true})
	if err != nil {
		return rv, err
	}
	defer w.Close()
	for {
		ev, err := w.Next()
		if errors.Is(err, io.EOF) {
			return rv, nil
		}
		if err != nil {
			return rv, err
		}
		if ev.Object == nil {
			continue
		}
		if v := ev.Object.GetObjectMeta().ResourceVersion; v != "" {
			rv = v
		}
		if ev.Type != api.WatchBookmark {
			in.cache.apply(in.res.Kind, ev.Type, ev.Object)
		}
	}
}
