package netpol

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

// follow lists and watches res in every namespace until ctx ends, re-listing
// when the watch falls out of the server's window (410 Gone) and resuming
// from the last resourceVersion otherwise.
func (e *Enforcer) follow(ctx context.Context, res *api.Resource) {
	rv := ""
	for ctx.Err() == nil {
		if rv == "" {
			l, err := e.cfg.API.List(ctx, res, "", api.ListOptions{})
			var objs []api.Object
			if err == nil {
				objs, err = l.Objects()
			}
			if err != nil {
				if ctx.Err() == nil {
					e.log.Warn("network policy: list failed; retrying", "kind", res.Kind, "err", err)
				}
				sleep(ctx, relistWait)
				continue
			}
			e.replace(res.Kind, objs)
			rv = l.ResourceVersion
		}
		next, err := e.watch(ctx, res, rv)
		if ctx.Err() != nil {
			return
		}
		rv = next
		switch {
		case api.ReasonOf(err) == api.ReasonGone:
			rv = ""
		case err != nil:
			e.log.Warn("network policy: watch broke; resuming", "kind", res.Kind, "err", err)
			sleep(ctx, relistWait)
		}
	}
}

// watch follows one watch stream from rv and returns the last
// resourceVersion it saw.
func (e *Enforcer) watch(ctx context.Context, res *api.Resource, rv string) (string, error) {
	w, err := e.cfg.API.Watch(ctx, res, "", api.WatchOptions{ResourceVersion: rv, AllowBookmarks: true})
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
			e.put(ev.Object)
		case api.WatchDeleted:
			e.remove(ev.Object)
		}
	}
}

// replace swaps the whole state of kind for a fresh list, in one step so a
// sync never sees it half filled.
func (e *Enforcer) replace(kind string, objs []api.Object) {
	policies, pods, namespaces := map[string]*api.NetworkPolicy{}, map[string]*api.Pod{}, map[string]map[string]string{}
	for _, o := range objs {
		switch v := o.(type) {
		case *api.NetworkPolicy:
			policies[key(v.Namespace, v.Name)] = v
		case *api.Pod:
			pods[key(v.Namespace, v.Name)] = v
		case *api.Namespace:
			namespaces[v.Name] = v.Labels
		}
	}
	e.mu.Lock()
	switch kind {
	case "NetworkPolicy":
		e.policies = policies
	case "Pod":
		e.pods = pods
	case "Namespace":
		e.namespaces = namespaces
	}
	e.listed[kind] = true
	e.mu.Unlock()
	e.markDirty()
}

// put stores a NetworkPolicy, Pod or Namespace; other kinds are ignored.
func (e *Enforcer) put(o api.Object) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch v := o.(type) {
	case *api.NetworkPolicy:
		e.policies[key(v.Namespace, v.Name)] = v
	case *api.Pod:
		e.pods[key(v.Namespace, v.Name)] = v
	case *api.Namespace:
		e.namespaces[v.Name] = v.Labels
	default:
		return
	}
	e.markDirty()
}

func (e *Enforcer) remove(o api.Object) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch v := o.(type) {
	case *api.NetworkPolicy:
		delete(e.policies, key(v.Namespace, v.Name))
	case *api.Pod:
		delete(e.pods, key(v.Namespace, v.Name))
	case *api.Namespace:
		delete(e.namespaces, v.Name)
	default:
		return
	}
	e.markDirty()
}

func key(ns, name string) string { return ns + "/" + name }
