package controller

import (
	"context"
	"maps"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// ResourceQuotaController keeps every ResourceQuota's status current: status.hard
// is the spec's caps, status.used what the namespace's objects use of each
// (QuotaUsage). It is a report, not the enforcement: the server's admission counts
// from the store itself when it admits a write, so a stale status never lets a
// write through.
//
// Any change of a namespaced object queues the quotas of its namespace; the sync
// reads the store and writes the status only when it differs.
type ResourceQuotaController struct {
	env Env
	// Workers is the number of quotas synced at once.
	Workers int

	quotaRes *api.Resource
	queue    *Queue
}

// NewResourceQuotaController builds the controller with 2 workers: a sync lists
// a namespace, which is cheap next to its write.
func NewResourceQuotaController(env Env) *ResourceQuotaController {
	quotaRes, _ := api.ResourceForKind("ResourceQuota")
	return &ResourceQuotaController{env: env, Workers: 2, quotaRes: quotaRes}
}

var _ Controller = (*ResourceQuotaController)(nil)

// Name implements Controller.
func (c *ResourceQuotaController) Name() string { return "resourcequota" }

// Run implements Controller: it watches every namespaced kind (a quota may count
// any of them as count/<resource>) and syncs until ctx ends.
func (c *ResourceQuotaController) Run(ctx context.Context) error {
	if c.quotaRes == nil {
		return nil
	}
	c.queue = NewQueue()
	inf := NewInformer(c.env.Store, c.env.Log)
	for _, res := range api.Resources() {
		if res.Namespaced {
			inf.On(res.Kind, c.onObject)
		}
	}
	inf.runAndProcess(ctx, c.queue, c.Workers, c.sync, "resourcequota", "quota")
	return nil
}

// onObject queues the quotas of the changed object's namespace (a quota's own
// change included: it may count resourcequotas).
func (c *ResourceQuotaController) onObject(_ raftfsm.EventType, rec *raftfsm.Record) {
	ns := rec.Object.GetObjectMeta().Namespace
	if ns == "" {
		return
	}
	quotas, _ := c.env.Store.List(c.quotaRes, ns)
	for _, q := range quotas {
		c.queue.Add(KeyOf(q.Object))
	}
}

// sync brings the status of the quota key to what the store holds.
func (c *ResourceQuotaController) sync(ctx context.Context, key string) error {
	q, ok := lookup[*api.ResourceQuota](c.env.Store, c.quotaRes, key)
	if !ok {
		return nil
	}
	used, _ := QuotaUsage(c.env.Store, q)
	if SameResourceLists(q.Status.Hard, q.Spec.Hard) && SameResourceLists(q.Status.Used, used) {
		return nil
	}
	next := api.DeepCopy(q).(*api.ResourceQuota)
	next.Status = api.ResourceQuotaStatus{Hard: maps.Clone(q.Spec.Hard), Used: used}
	_, err := c.env.Writer.UpdateStatus(ctx, next)
	switch api.ReasonOf(err) {
	case api.ReasonNotFound:
		return nil // deleted meanwhile
	case api.ReasonConflict:
		c.queue.Add(key) // changed meanwhile: read it again
		return nil
	}
	return err
}
