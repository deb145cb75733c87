package controller

import (
	"context"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// StatefulSetController runs each StatefulSet's pods as Kubernetes does: pods named
// <set>-<ordinal> with a stable hostname under the set's headless Service, created
// in ordinal order and removed from the highest ordinal down (OrderedReady), or all
// at once (Parallel); a template change replaces pods from the highest ordinal down,
// one at a time, waiting for each to be ready, and never below the partition
// (RollingUpdate), or only when the user deletes them (OnDelete).
//
// Each volumeClaimTemplate becomes a persistentVolumeClaim volume named
// <claim>-<set>-<ordinal> in the pod, which the node agent keeps as a node-local
// engine volume that outlives the pod. Because that volume lives on one node, the
// node an ordinal's pod first ran on is recorded (see stsPlacement) and every later
// pod of that ordinal carries a required node affinity for it.
//
// Revisions are named <set>-<hash of the template>, as in Kubernetes; each is kept
// in a ConfigMap of that name, standing in for a ControllerRevision (see
// statefulset_revisions.go), so a pod below the partition is recreated from the
// template of the current revision.
type StatefulSetController struct {
	env Env
	// Workers is the number of StatefulSets reconciled at once.
	Workers int

	stsRes, podRes, cmRes, nodeRes *api.Resource
	now                            func() time.Time

	queue *Queue // per run: a new leadership term starts a new one
}

// NewStatefulSetController builds the controller with 5 workers.
func NewStatefulSetController(env Env) *StatefulSetController {
	c := &StatefulSetController{env: env, Workers: 5, now: time.Now}
	c.stsRes, _ = api.ResourceForKind("StatefulSet")
	c.podRes, _ = api.ResourceForKind("Pod")
	c.cmRes, _ = api.ResourceForKind("ConfigMap")
	c.nodeRes, _ = api.ResourceForKind("Node")
	return c
}

var _ Controller = (*StatefulSetController)(nil)

// Name implements Controller.
func (c *StatefulSetController) Name() string { return "statefulset" }

// Run implements Controller: it watches StatefulSets, their pods and node
// deletions (a deleted node frees the ordinals whose volumes lived there) and
// reconciles until ctx ends.
func (c *StatefulSetController) Run(ctx context.Context) error {
	c.queue = NewQueue()
	inf := NewInformer(c.env.Store, c.env.Log).
		On("StatefulSet", EnqueueSelf(c.queue)).
		On("Pod", EnqueueOwner(c.queue, "StatefulSet")).
		On("Node", c.onNode)
	inf.runAndProcess(ctx, c.queue, c.Workers, c.sync, "statefulset", "statefulset")
	return nil
}

// onNode queues the StatefulSets with volume claims when a node is deleted: their
// ordinals recorded on that node may now start elsewhere. Node deletions are rare,
// so listing the sets then is cheap; heartbeats (updates) are ignored.
func (c *StatefulSetController) onNode(typ raftfsm.EventType, _ *raftfsm.Record) {
	if typ != raftfsm.Deleted {
		return
	}
	recs, _ := c.env.Store.List(c.stsRes, "")
	for _, r := range recs {
		if set, ok := r.Object.(*api.StatefulSet); ok && len(set.Spec.VolumeClaimTemplates) > 0 {
			c.queue.Add(KeyOf(set))
		}
	}
}

func (c *StatefulSetController) event(obj api.Object, eventType, reason, message string) {
	recordEvent(c.env, obj, eventType, reason, message)
}
