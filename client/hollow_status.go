package client

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/endpoint"
	"github.com/berth-dev/berth/client/runtime"
	"github.com/berth-dev/berth/client/runtime/fake"
)

// writeStatus writes the pod's status when it differs from the last one
// written; false means it must be tried again. Writes carry the pod's UID as
// a precondition and no resourceVersion: the node owns status.
func (h *Hollow) writeStatus(ctx context.Context, hp *hollowPod, pod *api.Pod) bool {
	st := hp.status(pod, h.cfg.advertise())
	if hp.written != nil && statusEqual(*hp.written, st) {
		return true
	}
	cp := *pod
	cp.ResourceVersion, cp.Status = "", st
	err := h.apis.do(ctx, func(c *api.Client) error {
		_, err := c.UpdateStatus(ctx, &cp)
		return err
	})
	switch r := api.ReasonOf(err); {
	case err == nil:
		hp.written = &st
	case r == api.ReasonNotFound || r == api.ReasonConflict:
		// Deleted, or replaced by a pod of the same name: the watch tells.
	case ctx.Err() == nil:
		h.log.Warn("hollow pod status write failed; retrying", "pod", pod.Namespace+"/"+pod.Name, "err", err)
		return false
	}
	return true
}

// status is the pod's status as the hollow node sees it, with the kubelet's
// phase rules. Readiness probes pass at once unless the pod says
// fake.AnnotationReady "false".
func (hp *hollowPod) status(pod *api.Pod, hostIP string) api.PodStatus {
	prev := pod.Status
	if hp.written != nil {
		prev = *hp.written
	}
	st := api.PodStatus{
		HostIP: hostIP, HostIPs: []api.HostIP{{IP: hostIP}},
		StartTime: hp.startTime, QOSClass: prev.QOSClass,
	}
	if hp.ip.IsValid() && hp.sandboxID != "" {
		st.PodIP = hp.ip.String()
		st.PodIPs = []api.PodIP{{IP: st.PodIP}}
	}
	unready := pod.Annotations[fake.AnnotationReady] == "false"
	initDone := true
	for _, c := range pod.Spec.InitContainers {
		cs := hp.containerStatus(c, false)
		st.InitContainerStatuses = append(st.InitContainerStatuses, cs)
		if cs.State.Terminated == nil || cs.State.Terminated.ExitCode != 0 {
			initDone = false
		}
	}
	allReady := true
	for _, c := range pod.Spec.Containers {
		cs := hp.containerStatus(c, unready && c.ReadinessProbe != nil)
		st.ContainerStatuses = append(st.ContainerStatuses, cs)
		allReady = allReady && cs.Ready
	}
	st.Phase = podPhase(pod, initDone, hp.ctrPhase)
	notReady := "ContainersNotReady"
	if st.Phase == api.PodSucceeded || st.Phase == api.PodFailed {
		allReady, notReady = false, "PodCompleted"
	}
	podReady := allReady
	for _, g := range pod.Spec.ReadinessGates {
		podReady = podReady && conditionTrue(pod.Status.Conditions, g.ConditionType)
	}
	if allReady && !podReady {
		notReady = "ReadinessGatesNotReady"
	}
	st.Conditions = podConditions(prev.Conditions, initDone, podReady, allReady, notReady)
	for _, c := range pod.Status.Conditions {
		if !isKubeletCondition(c.Type) {
			st.Conditions = append(st.Conditions, c) // readiness gates and others' conditions stay
		}
	}
	return st
}

// isKubeletCondition reports the pod conditions a node writes.
func isKubeletCondition(typ string) bool {
	switch typ {
	case api.PodReady, api.PodInitialized, api.ContainersReady, api.PodScheduled:
		return true
	}
	return false
}

func conditionTrue(conds []api.PodCondition, typ string) bool {
	for _, c := range conds {
		if c.Type == typ {
			return c.Status == api.ConditionTrue
		}
	}
	return false
}

// ctrPhase describes a container for podPhase: a created hollow container
// that is not done counts as running.
func (hp *hollowPod) ctrPhase(name string) ctrPhase {
	st := hp.ctrs[name]
	if st == nil {
		return ctrPhase{}
	}
	return ctrPhase{created: st.created, done: st.done, exitCode: st.cur.ExitCode}
}

// containerStatus is one container's status; unready holds a running
// container not ready (a readiness probe scripted to fail).
func (hp *hollowPod) containerStatus(c api.Container, unready bool) api.ContainerStatus {
	cs := api.ContainerStatus{Name: c.Name, Image: c.Image}
	started := false
	cs.Started = &started
	st := hp.ctrs[c.Name]
	if st == nil {
		cs.State.Waiting = &api.ContainerStateWaiting{Reason: "ContainerCreating"}
		return cs
	}
	cs.RestartCount = int32(st.attempt)
	cs.LastTerminationState.Terminated = st.lastTerm
	if st.id != "" {
		cs.ContainerID = "fake://" + st.id
		cs.ImageID = st.cur.ImageID
	}
	switch {
	case st.waiting != nil:
		w := *st.waiting
		cs.State.Waiting = &w
	case st.id == "":
		cs.State.Waiting = &api.ContainerStateWaiting{Reason: "ContainerCreating"}
	case st.cur.State == runtime.StateRunning:
		cs.State.Running = &api.ContainerStateRunning{StartedAt: api.NewTime(st.cur.StartedAt)}
		started, cs.Ready = true, !unready
	case st.cur.State == runtime.StateExited:
		t := terminatedOf(st.cur)
		t.ContainerID = cs.ContainerID
		cs.State.Terminated = &t
	default:
		cs.State.Waiting = &api.ContainerStateWaiting{Reason: "ContainerCreating"}
	}
	return cs
}

// streamHandler serves logs and exec of every hollow pod on one endpoint.
func (h *Hollow) streamHandler() http.Handler { return endpoint.New(hollowBackend{h}) }

// hollowBackend finds a pod's node, then serves it as an agent's backend would.
type hollowBackend struct{ h *Hollow }

var _ endpoint.Backend = hollowBackend{}

func (b hollowBackend) node(ns, pod string) (backend, error) {
	b.h.mu.Lock()
	defer b.h.mu.Unlock()
	for _, hp := range b.h.pods {
		if p, _ := hp.snapshot(); p != nil && p.Namespace == ns && p.Name == pod {
			return backend{rt: hp.node.rt, node: hp.node.name}, nil
		}
	}
	return backend{}, fmt.Errorf("%w: pod %s/%s is not on a hollow node of this process", endpoint.ErrPodNotFound, ns, pod)
}

// Logs implements endpoint.Backend.
func (b hollowBackend) Logs(ctx context.Context, ns, pod, container string, opts api.LogOptions, w io.Writer) error {
	nb, err := b.node(ns, pod)
	if err != nil {
		return err
	}
	return nb.Logs(ctx, ns, pod, container, opts, w)
}

// Exec implements endpoint.Backend.
func (b hollowBackend) Exec(ctx context.Context, ns, pod, container string, cmd []string, tty bool,
	stdin io.Reader, stdout, stderr io.Writer, resize <-chan api.TerminalSize) (int, error) {
	nb, err := b.node(ns, pod)
	if err != nil {
		return 0, err
	}
	return nb.Exec(ctx, ns, pod, container, cmd, tty, stdin, stdout, stderr, resize)
}
