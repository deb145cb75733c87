package controller

import (
	"context"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// DeploymentController rolls each Deployment's pod template out through
// ReplicaSets, as Kubernetes' deployment controller does: one ReplicaSet per
// template (named after the template's hash), the RollingUpdate and Recreate
// strategies, proportional scaling mid-rollout, pause, rollback (a template equal
// to an old ReplicaSet's scales that one up again), revision history, and the
// Progressing and Available conditions.
//
// The ReplicaSet controller does the pods; this one only sets ReplicaSets'
// replicas and reads their status. Every decision is made from the store, so a new
// leader resumes a rollout where the old one left it.
type DeploymentController struct {
	env Env
	// Workers is the number of Deployments reconciled at once.
	Workers int

	dRes, rsRes, podRes *api.Resource
	now                 func() time.Time

	adoption // per run (a new leadership term starts a new run): queue, orphan ReplicaSets, selectors
}

// NewDeploymentController builds the controller with 5 workers.
func NewDeploymentController(env Env) *DeploymentController {
	dRes, _ := api.ResourceForKind("Deployment")
	rsRes, _ := api.ResourceForKind("ReplicaSet")
	podRes, _ := api.ResourceForKind("Pod")
	return &DeploymentController{env: env, Workers: 5, dRes: dRes, rsRes: rsRes, podRes: podRes, now: time.Now}
}

var _ Controller = (*DeploymentController)(nil)

// Name implements Controller.
func (c *DeploymentController) Name() string { return "deployment" }

// Run implements Controller: it watches Deployments, ReplicaSets and pod deletions
// and reconciles until ctx ends.
func (c *DeploymentController) Run(ctx context.Context) error {
	c.adoption = newAdoption(c.env.Store, c.dRes, func(o api.Object) *api.LabelSelector {
		if d, ok := o.(*api.Deployment); ok {
			return d.Spec.Selector
		}
		return nil
	})
	inf := NewInformer(c.env.Store, c.env.Log).
		On("Deployment", c.onOwner).
		On("ReplicaSet", c.onDependent).
		On("Pod", c.onPod)
	inf.runAndProcess(ctx, c.queue, c.Workers, c.sync, "deployment", "deployment")
	return nil
}

// onPod queues a Recreate Deployment when one of its old pods is finally gone: it
// waits for exactly that before it creates the new pods.
func (c *DeploymentController) onPod(typ raftfsm.EventType, rec *raftfsm.Record) {
	if typ != raftfsm.Deleted {
		return
	}
	ref := ControllerOf(rec.Object)
	if ref == nil || ref.Kind != "ReplicaSet" {
		return
	}
	ns := rec.Object.GetObjectMeta().Namespace
	rsRec, ok := c.env.Store.Get(c.rsRes, ns, ref.Name)
	if !ok || rsRec.Object.GetObjectMeta().UID != ref.UID {
		return
	}
	dref := ControllerOf(rsRec.Object)
	if dref == nil || dref.Kind != "Deployment" {
		return
	}
	if dRec, ok := c.env.Store.Get(c.dRes, ns, dref.Name); ok {
		if d, ok := dRec.Object.(*api.Deployment); ok && d.Spec.Strategy.Type == api.RecreateDeploymentStrategyType {
			c.queue.Add(KeyOf(d))
		}
	}
}

func (c *DeploymentController) event(obj api.Object, eventType, reason, message string) {
	recordEvent(c.env, obj, eventType, reason, message)
}
