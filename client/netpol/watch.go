package netpol

import (
	"context"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/informer"
)

// relistWait is the pause before listing again after a failed list or a
// broken watch: long enough not to hammer a server that is down.
const relistWait = 500 * time.Millisecond

// follow lists and watches res in every namespace until ctx ends,
// re-listing when the watch falls out of the server's window (410 Gone) and
// resuming from the last resourceVersion otherwise.
func (e *Enforcer) follow(ctx context.Context, res *api.Resource) {
	in := informer.Informer{
		Source: e.cfg.API, Resource: res,
		Replace: func(objs []api.Object) { e.replace(res.Kind, objs) },
		Event: func(typ string, o api.Object) {
			if typ == api.WatchDeleted {
				e.remove(o)
			} else {
				e.put(o)
			}
		},
		Log:        e.log.With("kind", res.Kind),
		ListFailed: "network policy: list failed; retrying",
		WatchBroke: "network policy: watch broke; resuming",
		Backoff:    informer.Backoff{List: relistWait, Watch: relistWait},
	}
	in.Run(ctx, "")
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
