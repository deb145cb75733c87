package controller

import (
	"cmp"
	"context"
	"sync"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// NamespaceController empties the namespaces being deleted and then removes them.
// The server's DELETE of a namespace only marks it (deletionTimestamp, status.phase
// Terminating) and refuses new content in it from then on; this controller deletes
// every namespaced object in it (pods gracefully: the namespace waits for their
// nodes' agents to confirm) and, once nothing is left, deletes the namespace again
// with a zero grace period, which the server takes as "remove the empty, terminating
// namespace".
type NamespaceController struct {
	env Env
	// Workers is the number of namespaces emptied at once.
	Workers int
	// Parallel is the number of deletes in flight for one namespace.
	Parallel int
	// Recheck is how soon a namespace that still holds something is looked at again
	// when no deletion event brings it back first (a pod whose node never confirms).
	Recheck time.Duration

	nsRes *api.Resource
	kinds []*api.Resource // the namespaced kinds
	queue *Queue
}

// NewNamespaceController builds the controller: 2 workers, 16 deletes in flight,
// a recheck every 10 s.
func NewNamespaceController(env Env) *NamespaceController {
	nsRes, _ := api.ResourceForKind("Namespace")
	return &NamespaceController{env: env, Workers: 2, Parallel: 16, Recheck: 10 * time.Second, nsRes: nsRes}
}

var _ Controller = (*NamespaceController)(nil)

// Name implements Controller.
func (c *NamespaceController) Name() string { return "namespace" }

// Run implements Controller: it watches namespaces, and the creation and deletion of
// everything namespaced, until ctx ends.
func (c *NamespaceController) Run(ctx context.Context) error {
	c.queue, c.kinds = NewQueue(), nil
	inf := NewInformer(c.env.Store, c.env.Log).On("Namespace", c.onNamespace)
	for _, res := range api.Resources() {
		if res.Namespaced {
			c.kinds = append(c.kinds, res)
			inf.On(res.Kind, c.onContent)
		}
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { inf.Run(ctx) })
	Process(ctx, c.queue, c.Workers, c.reconcile, func(key string, err error) {
		c.env.Log.Debug("namespace: retrying", "namespace", key, "err", err)
	})
	return nil
}

func (c *NamespaceController) onNamespace(typ raftfsm.EventType, rec *raftfsm.Record) {
	if typ != raftfsm.Deleted && rec.Object.GetObjectMeta().DeletionTimestamp != nil {
		c.queue.Add(rec.Object.GetObjectMeta().Name)
	}
}

// onContent queues a terminating namespace when something in it goes (it may be
// empty now) or appears (a create that raced the namespace's deletion).
func (c *NamespaceController) onContent(typ raftfsm.EventType, rec *raftfsm.Record) {
	if typ == raftfsm.Modified {
		return
	}
	ns := rec.Object.GetObjectMeta().Namespace
	if r, ok := c.env.Store.Get(c.nsRes, "", ns); ok && r.Object.GetObjectMeta().DeletionTimestamp != nil {
		c.queue.Add(ns)
	}
}

// reconcile empties one terminating namespace and removes it when empty.
func (c *NamespaceController) reconcile(ctx context.Context, name string) error {
	rec, ok := c.env.Store.Get(c.nsRes, "", name)
	if !ok {
		return nil
	}
	ns, ok := rec.Object.(*api.Namespace)
	if !ok || ns.DeletionTimestamp == nil {
		return nil
	}
	if ns.Status.Phase != api.NamespaceTerminating {
		next := api.DeepCopy(ns).(*api.Namespace)
		next.Status.Phase = api.NamespaceTerminating
		if _, err := c.env.Writer.UpdateStatus(ctx, next); err != nil {
			if api.ReasonOf(err) == api.ReasonNotFound {
				return nil
			}
			return err
		}
	}
	if err := c.deleteContents(ctx, name); err != nil {
		return err
	}
	if c.remaining(name) > 0 {
		c.queue.AddAfter(name, c.Recheck)
		return nil
	}
	zero := int64(0)
	if err := c.env.Writer.Delete(ctx, c.nsRes, "", name, DeleteOptions{UID: ns.UID, GracePeriodSeconds: &zero}); err != nil {
		return ignoreGone(err)
	}
	if _, still := c.env.Store.Get(c.nsRes, "", name); still {
		c.queue.AddAfter(name, c.Recheck) // something appeared just before the removal
	} else {
		c.env.Log.Info("namespace: removed", "namespace", name)
	}
	return nil
}

// deleteContents deletes everything in the namespace that is not already on its
// way out, Parallel deletes at a time. Pods go gracefully; anything else at once.
func (c *NamespaceController) deleteContents(ctx context.Context, ns string) error {
	type victim struct {
		res  *api.Resource
		meta *api.ObjectMeta
	}
	work := make(chan victim)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for range max(c.Parallel, 1) {
		wg.Go(func() {
			for v := range work {
				opts := DeleteOptions{UID: v.meta.UID, PropagationPolicy: PropagationBackground}
				if v.res.Kind != "Pod" {
					zero := int64(0)
					opts.GracePeriodSeconds = &zero // also ends a pending foreground deletion
				}
				err := ignoreGone(c.env.Writer.Delete(ctx, v.res, ns, v.meta.Name, opts))
				if err != nil {
					mu.Lock()
					firstErr = cmp.Or(firstErr, err)
					mu.Unlock()
				}
			}
		})
	}
feed:
	for _, res := range c.kinds {
		recs, _ := c.env.Store.List(res, ns)
		for _, rec := range recs {
			m := rec.Object.GetObjectMeta()
			if res.Kind == "Pod" && m.DeletionTimestamp != nil {
				continue // terminating: its node's agent confirms
			}
			select {
			case work <- victim{res, m}:
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(work)
	wg.Wait()
	return cmp.Or(firstErr, ctx.Err())
}

// remaining counts the objects still in the namespace.
func (c *NamespaceController) remaining(ns string) int {
	n := 0
	for _, res := range c.kinds {
		recs, _ := c.env.Store.List(res, ns)
		n += len(recs)
	}
	return n
}
