package ingress

import (
	"log/slog"
	"sync"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/informer"
)

// Source is how the ingress reads the cluster: lists and watches of whole
// collections, as *api.Client does them. It is called from one goroutine per
// watched kind at once.
type Source = informer.Source

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

// newInformer keeps one kind of the cache current: list, then watch from the
// list's resourceVersion, resuming where the stream ended and listing again
// when the server no longer has that far back (410 Gone).
func newInformer(src Source, res *api.Resource, fieldSelector string, c *cache, log *slog.Logger) *informer.Informer {
	return &informer.Informer{
		Source: src, Resource: res, FieldSelector: fieldSelector,
		Replace:    func(objs []api.Object) { c.replace(res.Kind, objs) },
		Event:      func(typ string, o api.Object) { c.apply(res.Kind, typ, o) },
		Log:        log.With("kind", res.Kind),
		ListFailed: "ingress: list failed; retrying",
		WatchBroke: "ingress: watch broke; resuming",
		Backoff:    informer.Backoff{List: retryInitial, Watch: retryInitial, Max: retryMax, Idle: true},
	}
}
