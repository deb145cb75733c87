package controller

import (
	"context"
	"time"

	"github.com/berth-dev/berth/api"
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

	adoption // per run (a new leadership term starts a new run): queue, orphan pods, selectors
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
	c.adoption = newAdoption(c.env.Store, c.rsRes, func(o api.Object) *api.LabelSelector {
		if rs, ok := o.(*api.ReplicaSet); ok {
			return rs.Spec.Selector
		}
		return nil
	})
	inf := NewInformer(c.env.Store, c.env.Log).On("ReplicaSet", c.onOwner).On("Pod", c.onDependent)
	inf.runAndProcess(ctx, c.queue, c.Workers, c.sync, "replicaset", "replicaset")
	return nil
}

func (c *ReplicaSetController) event(obj api.Object, eventType, reason, message string) {
	recordEvent(c.env, obj, eventType, reason, message)
}
