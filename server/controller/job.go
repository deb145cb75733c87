package controller

import (
	"context"
	"time"

	"github.com/berth-dev/berth/api"
)

// JobController runs each Job's pods until enough of them succeed, as Kubernetes'
// does: up to parallelism pods at once; completions successes (or, with completions
// unset, any one success once the others finish); Indexed jobs give every pod an
// index in [0, completions) and need one success per index. A Job fails when its
// failed pods exceed backoffLimit (for restartPolicy OnFailure, container restarts
// count too) or it runs past activeDeadlineSeconds; its active pods are then
// deleted. suspend deletes the active pods and stops the clock; resuming restarts
// it. A finished Job with ttlSecondsAfterFinished is deleted that long after it
// finished (Kubernetes' TTL-after-finished controller, folded in here), and the
// garbage collector takes its pods.
//
// Counting is exact and survives leader changes: a finished pod is counted once,
// by uid, through status.uncountedTerminatedPods and a mark on the pod (see
// jobTrackedAnnotation), so counts do not depend on finished pods staying around.
// The controller itself never deletes finished pods (Kubernetes keeps them too).
type JobController struct {
	env Env
	// Workers is the number of Jobs reconciled at once.
	Workers int
	// PodBackoff is the delay before a failed pod is replaced, doubling with each
	// failure since the last success, up to MaxPodBackoff.
	PodBackoff, MaxPodBackoff time.Duration
	// Burst caps the pods one sync creates; the next sync goes on.
	Burst int

	jobRes, podRes *api.Resource
	now            func() time.Time

	queue *Queue // per run
}

// NewJobController builds the controller with Kubernetes' defaults: 5 workers, pod
// back-off from 10 s to 6 min, bursts of 500.
func NewJobController(env Env) *JobController {
	c := &JobController{env: env, Workers: 5, PodBackoff: 10 * time.Second, MaxPodBackoff: 6 * time.Minute, Burst: 500, now: time.Now}
	c.jobRes, _ = api.ResourceForKind("Job")
	c.podRes, _ = api.ResourceForKind("Pod")
	return c
}

var _ Controller = (*JobController)(nil)

// Name implements Controller.
func (c *JobController) Name() string { return "job" }

// Run implements Controller: it watches Jobs and their pods and reconciles until
// ctx ends.
func (c *JobController) Run(ctx context.Context) error {
	c.queue = NewQueue()
	inf := NewInformer(c.env.Store, c.env.Log).
		On("Job", EnqueueSelf(c.queue)).
		On("Pod", EnqueueOwner(c.queue, "Job"))
	inf.runAndProcess(ctx, c.queue, c.Workers, c.sync, "job", "job")
	return nil
}

func (c *JobController) event(obj api.Object, eventType, reason, message string) {
	recordEvent(c.env, obj, eventType, reason, message)
}
