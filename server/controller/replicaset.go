package controller

import (
	"context"
	"sync"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// ReplicaSetController keeps spec.replicas pods of each ReplicaSet: it creates them
// from the template, deletes the surplus (the least useful first), adopts orphans
// its selector matches, releases pods that stopped matching, and reports status.
//
// It finds a ReplicaSet's pods through the store's owner index, never by scanning
// the namespace, and it needs no creation "expectations": the Writer returns after
// the leader's store applied the write, and the reconcile reads the store, not an
// informer cache, so its own creates are always visible to its next sync.
type ReplicaSetController struct {
	env Env
	// Workers is the number of ReplicaSets reconciled at once.
	Workers int
	// Burst caps the pods created or deleted by one sync (Kubernetes' burstReplicas);
	// the next sync goes on.
	Burst int

	rsRes, podRes *api.Resource
	now           func() time.Time

	// Per run (a new leadership term starts a new run).
	queue     *Queue
	orphans   *adoptionCandidates
	selectors *selectorCache
}

// NewReplicaSetController builds the controller with Kubernetes' defaults (5
// workers, bursts of 500).
func NewReplicaSetController(env Env) *ReplicaSetController {
	rsRes, _ := api.ResourceForKind("ReplicaSet")
	podRes, _ := api.ResourceForKind("Pod")
	return &ReplicaSetController{env: env, Workers: 5, Burst: 500, rsRes: rsRes, podRes: podRes, now: time.Now}
}

var _ Controller = (*ReplicaSetController)(nil)

// Name implements Controller.
func (c *ReplicaSetController) Name() string { return "replicaset" }

// Run implements Controller: it watches ReplicaSets and pods and reconciles until
// ctx ends.
func (c *ReplicaSetController) Run(ctx context.Context) error {
	c.queue, c.orphans, c.selectors = NewQueue(), newAdoptionCandidates(), newSelectorCache()
	inf := NewInformer(c.env.Store, c.env.Log).On("ReplicaSet", c.onReplicaSet).On("Pod", c.onPod)
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { inf.Run(ctx) })
	select {
	case <-inf.Synced():
	case <-ctx.Done():
		return nil
	}
	Process(ctx, c.queue, c.Workers, c.sync, func(key string, err error) {
		c.env.Log.Debug("replicaset: sync failed, retrying", "replicaset", key, "err", err)
	})
	return nil
}

func (c *ReplicaSetController) onReplicaSet(typ raftfsm.EventType, rec *raftfsm.Record) {
	if typ == raftfsm.Deleted {
		c.selectors.forget(rec.Object.GetObjectMeta().UID)
	}
	c.queue.Add(KeyOf(rec.Object))
}

// onPod queues the pod's ReplicaSet, or for an orphan every ReplicaSet of its
// namespace that could adopt it.
func (c *ReplicaSetController) onPod(typ raftfsm.EventType, rec *raftfsm.Record) {
	pod, ok := rec.Object.(*api.Pod)
	if !ok {
		return
	}
	c.orphans.observe(typ, pod)
	if ref := ControllerOf(pod); ref != nil {
		if ref.Kind == "ReplicaSet" {
			c.queue.Add(pod.Namespace + "/" + ref.Name)
		}
		return
	}
	if typ == raftfsm.Deleted || pod.DeletionTimestamp != nil || len(pod.Labels) == 0 {
		return
	}
	recs, _ := c.env.Store.List(c.rsRes, pod.Namespace)
	for _, r := range recs {
		rs, ok := r.Object.(*api.ReplicaSet)
		if ok && rs.DeletionTimestamp == nil && c.selectors.get(rs.UID, rs.Spec.Selector).Matches(pod.Labels) {
			c.queue.Add(KeyOf(rs))
		}
	}
}

// event records an Event about obj when the Env has a recorder.
func (c *ReplicaSetController) event(obj api.Object, eventType, reason, message string) {
	if c.env.Events != nil {
		c.env.Events.Record(obj, eventType, reason, message)
	}
}
