package client

import (
	"context"
	"encoding/json"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/runtime"
)

var podRes = mustResource("Pod")

// writeStatus computes the pod's status and writes it when it changed.
func (w *podWorker) writeStatus(ctx context.Context, pod *api.Pod) {
	st := w.computeStatus(pod)
	if w.written != nil && statusEqual(*w.written, st) {
		return
	}
	err := w.a.apis.do(ctx, func(c *api.Client) error { return w.putStatus(ctx, c, pod, st) })
	switch {
	case err == nil:
		w.written = &st
	case api.ReasonOf(err) == api.ReasonNotFound:
		// Deleted meanwhile: the watch brings the DELETED event.
	case ctx.Err() == nil:
		w.log.Warn("pod status write failed; retrying on the next sync", "err", err)
	}
}

// putStatus writes st over the current pod. The agent owns status, so it
// writes without a resourceVersion precondition; a conflict (from a server
// that insists) re-reads and tries again.
func (w *podWorker) putStatus(ctx context.Context, c *api.Client, pod *api.Pod, st api.PodStatus) error {
	var err error
	for range 3 {
		cp := *pod
		cp.ResourceVersion = ""
		cp.Status = st
		if _, err = c.UpdateStatus(ctx, &cp); api.ReasonOf(err) != api.ReasonConflict {
			return err
		}
		obj, gerr := c.Get(ctx, podRes, pod.Namespace, pod.Name, api.GetOptions{Consistent: true})
		if gerr != nil {
			return gerr
		}
		if cur := obj.(*api.Pod); cur.UID != pod.UID || cur.Spec.NodeName != pod.Spec.NodeName {
			// A new pod of the same name (its node was lost and it was replaced,
			// maybe elsewhere): this status is not its own.
			return api.NewError(api.ReasonNotFound, "pods %q: replaced by a new pod", pod.Name)
		}
		pod = obj.(*api.Pod)
	}
	return err
}

// statusEqual compares two statuses as they travel.
func statusEqual(a, b api.PodStatus) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// computeStatus is the pod's status from the worker's view (contract 4).
func (w *podWorker) computeStatus(pod *api.Pod) api.PodStatus {
	prev := pod.Status
	if w.written != nil {
		prev = *w.written
	}
	st := api.PodStatus{
		HostIP:    w.a.cfg.advertise(),
		HostIPs:   []api.HostIP{{IP: w.a.cfg.advertise()}},
		StartTime: w.startTime,
		QOSClass:  prev.QOSClass,
	}
	if w.ip.IsValid() && w.sandboxID != "" {
		st.PodIP = w.ip.String()
		st.PodIPs = []api.PodIP{{IP: st.PodIP}}
	}
	initDone := true
	for _, c := range pod.Spec.InitContainers {
		cs := w.containerStatus(c)
		st.InitContainerStatuses = append(st.InitContainerStatuses, cs)
		if cs.State.Terminated == nil || cs.State.Terminated.ExitCode != 0 {
			initDone = false
		}
	}
	allReady := true
	for _, c := range pod.Spec.Containers {
		cs := w.containerStatus(c)
		st.ContainerStatuses = append(st.ContainerStatuses, cs)
		allReady = allReady && cs.Ready
	}
	st.Phase = podPhase(pod, initDone, w.ctrPhase)
	notReady := "ContainersNotReady"
	if st.Phase == api.PodSucceeded || st.Phase == api.PodFailed {
		allReady, notReady = false, "PodCompleted"
	}
	st.Conditions = podConditions(prev.Conditions, initDone, allReady, allReady, notReady)
	return st
}

// ctrPhase describes a container for podPhase.
func (w *podWorker) ctrPhase(name string) ctrPhase {
	s := w.ctrs[name]
	if s == nil {
		return ctrPhase{}
	}
	return ctrPhase{created: s.created, running: s.running, done: s.done, exitCode: s.cur.ExitCode}
}

// containerStatus is one container's status.
func (w *podWorker) containerStatus(c api.Container) api.ContainerStatus {
	s := w.ctrs[c.Name]
	cs := api.ContainerStatus{Name: c.Name, Image: c.Image}
	started := false
	cs.Started = &started
	if s == nil {
		cs.State.Waiting = &api.ContainerStateWaiting{Reason: "ContainerCreating"}
		return cs
	}
	cs.RestartCount = int32(s.attempt)
	cs.LastTerminationState.Terminated = s.lastTerm
	if s.id != "" {
		cs.ContainerID = "docker://" + s.id
		if s.cur.ImageID != "" {
			cs.ImageID = s.cur.ImageID
		}
	}
	switch {
	case s.waiting != nil:
		w := *s.waiting
		cs.State.Waiting = &w
		if s.id != "" && s.cur.State == runtime.StateExited {
			t := terminatedOf(s.cur)
			t.ContainerID = cs.ContainerID
			cs.LastTerminationState.Terminated = &t
		}
	case s.id == "":
		cs.State.Waiting = &api.ContainerStateWaiting{Reason: "ContainerCreating"}
	case s.running:
		cs.State.Running = &api.ContainerStateRunning{StartedAt: api.NewTime(s.cur.StartedAt)}
		cs.Ready, started = s.readyStarted()
	case s.cur.State == runtime.StateExited || s.cur.Reason != "":
		t := terminatedOf(s.cur)
		t.ContainerID = cs.ContainerID
		cs.State.Terminated = &t
	default:
		cs.State.Waiting = &api.ContainerStateWaiting{Reason: "ContainerCreating"}
	}
	return cs
}

// terminatedOf describes an exited instance.
func terminatedOf(cs runtime.ContainerStatus) api.ContainerStateTerminated {
	t := api.ContainerStateTerminated{ExitCode: int32(cs.ExitCode), Reason: cs.Reason, Message: cs.Message}
	if t.Reason == "" {
		t.Reason = runtime.ReasonCompleted
		if cs.ExitCode != 0 {
			t.Reason = runtime.ReasonError
		}
	}
	if !cs.StartedAt.IsZero() {
		t.StartedAt = api.NewTime(cs.StartedAt)
	}
	if !cs.FinishedAt.IsZero() {
		t.FinishedAt = api.NewTime(cs.FinishedAt)
	}
	return t
}
