package proxy

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/berth-dev/berth/api"
)

// relistWait is the pause before listing again after a failed list or a
// broken watch: long enough not to hammer a server that is down.
const relistWait = 500 * time.Millisecond

// follow lists and watches res (Services or Endpoints) in every namespace
// until ctx ends, re-listing when the watch falls out of the server's window
// (410 Gone) and resuming from the last resourceVersion otherwise.
func (p *Proxier) follow(ctx context.Context, res *api.Resource) {
	rv := ""
	for ctx.Err() == nil {
		if rv == "" {
			l, err := p.cfg.API.List(ctx, res, "", api.ListOptions{})
			var objs []api.Object
			if err == nil {
				objs, err = l.Objects()
			}
			if err != nil {
				if ctx.Err() == nil {
					p.log.Warn("service proxy: list failed; retrying", "kind", res.Kind, "err", err)
				}
				sleep(ctx, relistWait)
				continue
			}
			p.replace(res.Kind, objs)
			rv = l.ResourceVersion
		}
		next, err := p.watch(ctx, res, rv)
		if ctx.Err() != nil {
			return
		}
		rv = next
		switch {
		case api.ReasonOf(err) == api.ReasonGone:
			rv = ""
		case err != nil:
			p.log.Warn("service proxy: watch broke; resuming", "kind", res.Kind, "err", err)
			sleep(ctx, relistWait)
		}
	}
}

// watch follows one watch stream from rv and returns the last
// resourceVersion it saw.
func (p *Proxier) watch(ctx context.Context, res *api.Resource, rv string) (string, error) {
	w, err := p.cfg.API.Watch(ctx, res, "", api.WatchOptions{ResourceVersion: rv, AllowBookmarks: true})
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
		switch ev.Type {
		case api.WatchAdded, api.WatchModified:
			p.put(ev.Object)
		case api.WatchDeleted:
			p.remove(ev.Object)
		}
	}
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
