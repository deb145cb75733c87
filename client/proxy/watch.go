package proxy

import (
	"context"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/informer"
)

// relistWait is the pause before listing again after a failed list or a
// broken watch: long enough not to hammer a server that is down.
const relistWait = 500 * time.Millisecond

// follow lists and watches res (Services or Endpoints) in every namespace until ctx ends,
// re-listing when the watch falls out of the server's window (410 Gone) and
// resuming from the last resourceVersion otherwise.
func (p *Proxier) follow(ctx context.Context, res *api.Resource) {
	in := informer.Informer{
		Source: p.cfg.API, Resource: res,
		Replace: func(objs []api.Object) { p.replace(res.Kind, objs) },
		Event: func(typ string, o api.Object) {
			if typ == api.WatchDeleted {
				p.remove(o)
			} else {
				p.put(o)
			}
		},
		Log:        p.log.With("kind", res.Kind),
		ListFailed: "service proxy: list failed; retrying",
		WatchBroke: "service proxy: watch broke; resuming",
		Backoff:    informer.Backoff{List: relistWait, Watch: relistWait},
	}
	in.Run(ctx, "")
}

// replace swaps the whole state of kind for a fresh list, in one step so a
// sync never sees it half filled.
func (p *Proxier) replace(kind string, objs []api.Object) {
	svcs, eps := map[string]*api.Service{}, map[string]*api.Endpoints{}
	for _, o := range objs {
		switch v := o.(type) {
		case *api.Service:
			svcs[key(v.Namespace, v.Name)] = v
		case *api.Endpoints:
			eps[key(v.Namespace, v.Name)] = v
		}
	}
	p.mu.Lock()
	switch kind {
	case "Service":
		p.services = svcs
	case "Endpoints":
		p.endpoints = eps
	}
	p.listed[kind] = true
	p.mu.Unlock()
	p.markDirty()
}

// put stores a Service or Endpoints; other kinds are ignored.
func (p *Proxier) put(o api.Object) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch v := o.(type) {
	case *api.Service:
		p.services[key(v.Namespace, v.Name)] = v
	case *api.Endpoints:
		p.endpoints[key(v.Namespace, v.Name)] = v
	default:
		return
	}
	p.markDirty()
}

func (p *Proxier) remove(o api.Object) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch v := o.(type) {
	case *api.Service:
		delete(p.services, key(v.Namespace, v.Name))
	case *api.Endpoints:
		delete(p.endpoints, key(v.Namespace, v.Name))
	default:
		return
	}
	p.markDirty()
}

func key(ns, name string) string { return ns + "/" + name }
