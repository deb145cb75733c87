package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/runtime"
)

// ctrState is what a pod worker knows of one container of the spec. Only the
// worker's goroutine touches it, except the probe flags (see probes.go).
type ctrState struct {
	name    string
	id      string // the current instance; "" before the first create
	prevID  string // the instance before it, kept for `logs --previous`
	attempt int    // the current instance's restart count
	created bool   // an instance was created at least once
	running bool
	cur     runtime.ContainerStatus // the current instance as last inspected
	// lastTerm is how the previous instance ended (status.lastState).
	lastTerm *api.ContainerStateTerminated
	// waiting overrides the state derived from cur (image pull, back-off,
	// config errors); nil: derive it.
	waiting   *api.ContainerStateWaiting
	nextStart time.Time // crash back-off: no restart before it
	backedOff string    // the instance nextStart was computed for
	nextPull  time.Time // image pull back-off
	// pullErrUntil keeps a failed pull's reason (ErrImagePull) on show for a moment
	// before it turns into ImagePullBackOff, even when a resync comes at once.
	pullErrUntil time.Time
	done         bool // exited for good under the restart policy
	probes       *probeSet
}

func (w *podWorker) state(name string) *ctrState {
	st := w.ctrs[name]
	if st == nil {
		st = &ctrState{name: name}
		w.ctrs[name] = st
	}
	return st
}

// syncContainers drives app containers (or, with init, one init container at
// a time is handled by syncInitContainers) and returns the earliest wake-up.
func (w *podWorker) syncContainers(ctx context.Context, pod *api.Pod, ctrs []api.Container, init bool) time.Duration {
	var next time.Duration
	for i := range ctrs {
		next = minPositive(next, w.syncContainer(ctx, pod, &ctrs[i], w.state(ctrs[i].Name), init))
		if ctx.Err() != nil {
			return 0
		}
	}
	return next
}

// syncInitContainers runs init containers one after the other; it reports
// whether all of them have completed.
func (w *podWorker) syncInitContainers(ctx context.Context, pod *api.Pod) (bool, time.Duration) {
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		st := w.state(c.Name)
		if st.done && st.cur.ExitCode == 0 {
			continue
		}
		next := w.syncContainer(ctx, pod, c, st, true)
		if st.done && st.cur.ExitCode == 0 {
			continue
		}
		return false, next
	}
	return true, 0
}

// syncContainer makes one step for one container; it returns when to look again.
func (w *podWorker) syncContainer(ctx context.Context, pod *api.Pod, c *api.Container, st *ctrState, init bool) time.Duration {
	if st.done {
		return 0
	}
	if st.id != "" {
		cs, err := w.a.rt.ContainerStatus(ctx, st.id)
		switch {
		case errors.Is(err, runtime.ErrNotFound):
			// Removed behind our back: a new instance replaces it.
			st.id, st.running = "", false
		case err != nil:
			return w.a.backoffInitial
		default:
			st.cur = cs
		}
	}
	if st.id == "" {
		attempt := st.attempt
		if st.created {
			attempt++
		}
		return w.createContainer(ctx, pod, c, st, attempt, init)
	}
	if st.cur.State == runtime.StateRunning {
		st.running, st.waiting = true, nil
		w.a.backoff.Running(w.key(st), st.cur.StartedAt)
		w.ensureProbes(ctx, pod, c, st)
		if st.probes != nil && st.probes.unhealthy.Load() {
			w.killUnhealthy(ctx, pod, c, st)
			return time.Millisecond
		}
		return 0
	}
	if st.cur.State == runtime.StateCreated && st.cur.Reason == "" {
		return 0 // created but not started yet: the next sync starts it
	}
	return w.syncExited(ctx, pod, c, st, init)
}

// syncExited restarts an exited container per the restart policy and back-off.
func (w *podWorker) syncExited(ctx context.Context, pod *api.Pod, c *api.Container, st *ctrState, init bool) time.Duration {
	st.running = false
	w.stopContainerProbes(st)
	policy := pod.Spec.RestartPolicy
	if init && policy == api.RestartPolicyAlways {
		policy = api.RestartPolicyOnFailure // init containers never rerun after success
	}
	if !shouldRestart(policy, st.cur.ExitCode) {
		st.done, st.waiting = true, nil
		w.a.backoff.Reset(w.key(st))
		return 0
	}
	now := time.Now()
	if st.backedOff != st.id {
		st.backedOff = st.id
		st.nextStart = now
		if st.attempt > 0 || st.lastTerm != nil {
			// The kubelet restarts the first crash at once and backs off after.
			st.nextStart = now.Add(w.a.backoff.Next(w.key(st), now))
		}
	}
	if wait := st.nextStart.Sub(now); wait > 0 {
		msg := fmt.Sprintf("back-off %s restarting failed container=%s pod=%s", wait.Round(time.Second), c.Name, pod.Name)
		if st.waiting == nil || st.waiting.Reason != "CrashLoopBackOff" {
			w.a.events.warn(pod, "BackOff", "Back-off restarting failed container %s in pod %s", c.Name, pod.Name)
		}
		st.waiting = &api.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: msg}
		return wait
	}
	return w.createContainer(ctx, pod, c, st, st.attempt+1, init)
}

func shouldRestart(policy string, exitCode int) bool {
	switch policy {
	case api.RestartPolicyNever:
		return false
	case api.RestartPolicyOnFailure:
		return exitCode != 0
	}
	return true
}

func (w *podWorker) key(st *ctrState) string { return w.uid + "/" + st.name }

// createContainer pulls the image, builds the config, creates and starts one
// instance. Failures become the container's waiting reason.
func (w *podWorker) createContainer(ctx context.Context, pod *api.Pod, c *api.Container, st *ctrState, attempt int, init bool) time.Duration {
	if next, ok := w.pullImage(ctx, pod, c, st); !ok {
		return next
	}
	cfg, err := w.containerConfig(ctx, pod, c, attempt)
	if err != nil {
		st.waiting = &api.ContainerStateWaiting{Reason: "CreateContainerConfigError", Message: err.Error()}
		w.a.events.warn(pod, "Failed", "Error: %v", err)
		return w.a.backoffInitial
	}
	id, err := w.a.rt.CreateContainer(ctx, w.sandboxID, cfg)
	if errors.Is(err, runtime.ErrAlreadyExists) {
		id, err = w.findInstance(ctx, c.Name, attempt)
	}
	if err != nil {
		st.waiting = &api.ContainerStateWaiting{Reason: "CreateContainerError", Message: err.Error()}
		w.a.events.warn(pod, "Failed", "Error: %v", err)
		return w.a.backoffInitial
	}
	w.a.events.normal(pod, "Created", "Created container %s", c.Name)
	switch {
	case st.id != "" && st.created:
		term := terminatedOf(st.cur)
		st.lastTerm = &term
		if st.prevID != "" {
			_ = w.a.rt.RemoveContainer(ctx, st.prevID)
		}
		st.prevID = st.id
	case st.created:
		// The instance vanished (removed behind our back, or with a dead
		// sandbox): without this the restart count grows with no lastState.
		term := terminatedOf(st.cur)
		if st.cur.State != runtime.StateExited {
			term = api.ContainerStateTerminated{ExitCode: 137, Reason: "ContainerStatusUnknown",
				Message: "The container could not be located when the pod was restarted"}
		}
		st.lastTerm = &term
	}
	st.id, st.attempt, st.created, st.waiting = id, attempt, true, nil
	st.cur = runtime.ContainerStatus{ID: id, State: runtime.StateCreated, Image: c.Image}
	if err := w.a.rt.StartContainer(ctx, id); err != nil {
		w.a.events.warn(pod, "Failed", "Error: %v", err)
		if cs, serr := w.a.rt.ContainerStatus(ctx, id); serr == nil {
			st.cur = cs
		}
		if st.cur.Reason == "" {
			st.cur.State, st.cur.Reason, st.cur.Message, st.cur.ExitCode = runtime.StateExited, runtime.ReasonContainerCannotRun, err.Error(), 128
		}
		return time.Millisecond
	}
	w.a.events.normal(pod, "Started", "Started container %s", c.Name)
	if cs, err := w.a.rt.ContainerStatus(ctx, id); err == nil {
		st.cur = cs
		st.running = cs.State == runtime.StateRunning
	}
	if st.running {
		w.ensureProbes(ctx, pod, c, st)
	}
	return 0
}

// findInstance returns the ID of an existing instance (after a create that
// raced with a crash of the agent between create and record).
func (w *podWorker) findInstance(ctx context.Context, name string, attempt int) (string, error) {
	all, err := w.a.rt.ListContainers(ctx)
	if err != nil {
		return "", err
	}
	for _, c := range all {
		if c.PodUID == w.uid && !c.Sandbox && c.ContainerName == name && c.Attempt == attempt {
			return c.ID, nil
		}
	}
	return "", fmt.Errorf("%w: container %s attempt %d", runtime.ErrNotFound, name, attempt)
}

// pullImage makes the image present under the pull policy and back-off.
func (w *podWorker) pullImage(ctx context.Context, pod *api.Pod, c *api.Container, st *ctrState) (time.Duration, bool) {
	now := time.Now()
	if wait := st.nextPull.Sub(now); wait > 0 {
		if st.waiting != nil && (st.waiting.Reason == "ErrImageNeverPull" || st.waiting.Reason == "InvalidImageName") {
			return wait, false // no pull is being retried: the reason stays, as in Kubernetes
		}
		if show := st.pullErrUntil.Sub(now); show > 0 {
			return show, false
		}
		if st.waiting == nil || st.waiting.Reason != "ImagePullBackOff" {
			w.a.events.normal(pod, "BackOff", "Back-off pulling image %q", c.Image)
		}
		st.waiting = &api.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: fmt.Sprintf("Back-off pulling image %q", c.Image)}
		return wait, false
	}
	pulling := false
	start := time.Now()
	err := w.a.rt.EnsureImage(ctx, c.Image, c.ImagePullPolicy, func(string) {
		if !pulling {
			pulling = true
			w.a.events.normal(pod, "Pulling", "Pulling image %q", c.Image)
		}
	})
	key := w.key(st) + "/pull"
	if err == nil {
		w.a.pullBackoff.Reset(key)
		st.nextPull = time.Time{}
		if pulling {
			w.a.events.normal(pod, "Pulled", "Successfully pulled image %q in %s", c.Image, time.Since(start).Round(time.Millisecond))
		} else if !st.created {
			w.a.events.normal(pod, "Pulled", "Container image %q already present on machine", c.Image)
		}
		return 0, true
	}
	if ctx.Err() != nil {
		return 0, false
	}
	reason := "ErrImagePull"
	switch {
	case errors.Is(err, runtime.ErrImageNeverPull):
		reason = "ErrImageNeverPull"
	case errors.Is(err, runtime.ErrInvalidConfig):
		reason = "InvalidImageName"
	}
	w.a.events.warn(pod, "Failed", "Failed to pull image %q: %v", c.Image, err)
	delay := w.a.pullBackoff.Next(key, now)
	st.nextPull = now.Add(delay)
	st.waiting = &api.ContainerStateWaiting{Reason: reason, Message: err.Error()}
	// Show ErrImagePull for a moment, then ImagePullBackOff until the retry.
	show := min(delay/2, time.Second)
	st.pullErrUntil = now.Add(show)
	return show, false
}

// killUnhealthy stops a container whose liveness (or startup) probe failed;
// the next sync restarts it per the restart policy.
func (w *podWorker) killUnhealthy(ctx context.Context, pod *api.Pod, c *api.Container, st *ctrState) {
	w.a.events.normal(pod, "Killing", "Container %s failed liveness probe, will be restarted", c.Name)
	w.stopContainerProbes(st)
	grace := w.gracePeriod(pod)
	if c.LivenessProbe != nil && c.LivenessProbe.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(max(0, *c.LivenessProbe.TerminationGracePeriodSeconds)) * time.Second
	}
	if err := w.a.rt.StopContainer(ctx, st.id, grace); err != nil {
		w.log.Warn("stopping unhealthy container failed", "container", c.Name, "err", err)
	}
}

// setAllWaiting marks every container that is not running as waiting.
func (w *podWorker) setAllWaiting(pod *api.Pod, reason, msg string) {
	for _, c := range append(append([]api.Container(nil), pod.Spec.InitContainers...), pod.Spec.Containers...) {
		st := w.state(c.Name)
		if !st.running && !st.done {
			st.waiting = &api.ContainerStateWaiting{Reason: reason, Message: msg}
		}
	}
}
