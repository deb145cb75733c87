package client

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/runtime"
	"github.com/berth-dev/berth/client/runtime/fake"
)

// hollowPod is one pod of a hollow node. observe may be called from any
// goroutine; every other field is touched only by the worker holding the
// pod's UID in the work queue (which hands a UID to one worker at a time).
type hollowPod struct {
	uid  string
	node *hollowNode

	mu   sync.Mutex
	pod  *api.Pod // latest seen in the API; nil after a re-list lost it
	gone bool     // the pod left the API

	sandboxID      string
	sandboxAttempt int
	ip             netip.Addr
	startTime      *api.Time
	ctrs           map[string]*hollowCtr // by container name
	written        *api.PodStatus        // the last status written
	confirmed      bool                  // its deletion was confirmed
}

// hollowCtr is what a hollow pod knows of one container of its spec.
type hollowCtr struct {
	id       string // the current instance; "" before the first create
	attempt  int    // the current instance's restart count
	created  bool
	cur      runtime.ContainerStatus // the current instance as last inspected
	lastTerm *api.ContainerStateTerminated
	waiting  *api.ContainerStateWaiting // overrides the state derived from cur
	done     bool                       // exited for good under the restart policy
	// nextStart is when the crash back-off lets the instance backedOff restart.
	nextStart time.Time
	backedOff string
}

// observe records a pod event (pod may be nil with gone).
func (hp *hollowPod) observe(pod *api.Pod, gone bool) {
	hp.mu.Lock()
	defer hp.mu.Unlock()
	if pod != nil {
		hp.pod = pod
	}
	hp.gone = hp.gone || gone
}

func (hp *hollowPod) snapshot() (*api.Pod, bool) {
	hp.mu.Lock()
	defer hp.mu.Unlock()
	return hp.pod, hp.gone
}

// syncPod makes one pass over a pod: run what its spec asks on the node's
// fake runtime and write its status, tear it down once it is deleted.
func (h *Hollow) syncPod(ctx context.Context, uid string) {
	h.mu.Lock()
	hp := h.pods[uid]
	h.mu.Unlock()
	if hp == nil {
		return
	}
	_, ipm, registered := hp.node.registeredCIDR()
	if !registered {
		return // parked: the node's registration queues it again
	}
	pod, gone := hp.snapshot()
	switch {
	case gone || pod == nil:
		h.teardown(ctx, hp, ipm)
		h.mu.Lock()
		if h.pods[uid] == hp {
			delete(h.pods, uid)
		}
		h.mu.Unlock()
	case pod.DeletionTimestamp != nil:
		h.teardown(ctx, hp, ipm)
		if hp.confirmed {
			return
		}
		if err := h.apis.confirmPodDelete(ctx, pod); err != nil {
			if ctx.Err() == nil {
				h.log.Warn("confirming a hollow pod's deletion failed; retrying", "pod", pod.Namespace+"/"+pod.Name, "err", err)
				h.queue.addAfter(uid, time.Second)
			}
			return
		}
		hp.confirmed = true // the DELETED event removes it
	default:
		next := h.syncRunning(ctx, hp, pod, ipm)
		if ctx.Err() != nil {
			return
		}
		if !h.writeStatus(ctx, hp, pod) {
			next = minPositive(next, time.Second)
		}
		if next > 0 {
			h.queue.addAfter(uid, next)
		}
	}
}

// syncRunning drives a live pod: sandbox with its IP, init containers one
// after the other, then the app containers. It returns when to look again
// (0: only when woken).
func (h *Hollow) syncRunning(ctx context.Context, hp *hollowPod, pod *api.Pod, ipm *ipam) time.Duration {
	if hp.terminal(pod) {
		return 0
	}
	if hp.ctrs == nil {
		hp.ctrs = map[string]*hollowCtr{}
	}
	if hp.sandboxID == "" {
		if err := h.createSandbox(ctx, hp, pod, ipm); err != nil {
			hp.setAllWaiting(pod, "ContainerCreating", err.Error())
			return h.backoffInitial
		}
	}
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		st := hp.ctr(c.Name)
		if st.done && st.cur.ExitCode == 0 {
			continue
		}
		next := h.syncContainer(ctx, hp, pod, c, st, true)
		if st.done && st.cur.ExitCode == 0 {
			continue
		}
		return next
	}
	var next time.Duration
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		next = minPositive(next, h.syncContainer(ctx, hp, pod, c, hp.ctr(c.Name), false))
	}
	return next
}

func (hp *hollowPod) ctr(name string) *hollowCtr {
	st := hp.ctrs[name]
	if st == nil {
		st = &hollowCtr{}
		hp.ctrs[name] = st
	}
	return st
}

// terminal reports a pod whose containers all finished for good.
func (hp *hollowPod) terminal(pod *api.Pod) bool {
	phase := pod.Status.Phase
	if hp.written != nil {
		phase = hp.written.Phase
	}
	return phase == api.PodSucceeded || phase == api.PodFailed
}

// createSandbox gives the pod its IP from the node's pod CIDR — the one its
// status already shows when a restarted process takes it over — and its
// sandbox on the node's runtime.
func (h *Hollow) createSandbox(ctx context.Context, hp *hollowPod, pod *api.Pod, ipm *ipam) error {
	if ip, err := netip.ParseAddr(pod.Status.PodIP); err == nil {
		ipm.reserveFree(hp.uid, ip)
	}
	ip, err := ipm.allocate(hp.uid)
	if err != nil {
		return err
	}
	rt := hp.node.rt
	if _, err := rt.EnsureInfraImage(ctx); err != nil {
		return err
	}
	hostname := pod.Spec.Hostname
	if hostname == "" {
		hostname = pod.Name
	}
	for range 3 {
		id, err := rt.CreateSandbox(ctx, runtime.SandboxConfig{
			PodUID: hp.uid, Namespace: pod.Namespace, Name: pod.Name, Attempt: hp.sandboxAttempt,
			Hostname: truncateHostname(hostname), IP: ip, Network: h.cfg.PodNetwork, PortMappings: portMappings(pod),
		})
		if errors.Is(err, runtime.ErrAlreadyExists) {
			hp.sandboxAttempt++
			continue
		}
		if err != nil {
			return err
		}
		hp.sandboxID, hp.ip = id, ip
		if hp.startTime == nil {
			hp.startTime = api.NewTime(time.Now())
		}
		return nil
	}
	return runtime.ErrAlreadyExists
}

// syncContainer makes one step for one container; it returns when to look again.
func (h *Hollow) syncContainer(ctx context.Context, hp *hollowPod, pod *api.Pod, c *api.Container, st *hollowCtr, init bool) time.Duration {
	if st.done {
		return 0
	}
	rt := hp.node.rt
	if st.id != "" {
		cs, err := rt.ContainerStatus(ctx, st.id)
		switch {
		case errors.Is(err, runtime.ErrNotFound):
			st.id = ""
		case err != nil:
			return h.backoffInitial
		default:
			st.cur = cs
		}
	}
	if st.id == "" {
		attempt := st.attempt
		if st.created {
			attempt++
		}
		return h.createContainer(ctx, hp, pod, c, st, attempt, init)
	}
	if st.cur.State == runtime.StateRunning {
		if st.attempt > 0 { // only restarted containers have a back-off to reset
			h.backoff.Running(hp.uid+"/"+c.Name, st.cur.StartedAt)
		}
		return 0
	}
	policy := pod.Spec.RestartPolicy
	if init && policy == api.RestartPolicyAlways {
		policy = api.RestartPolicyOnFailure // init containers never rerun after success
	}
	if !shouldRestart(policy, st.cur.ExitCode) {
		st.done, st.waiting = true, nil
		h.backoff.Reset(hp.uid + "/" + c.Name)
		return 0
	}
	if st.attempt > 0 || st.lastTerm != nil {
		// The kubelet restarts the first crash at once and backs off after.
		if st.backedOff != st.id {
			now := time.Now()
			st.backedOff, st.nextStart = st.id, now.Add(h.backoff.Next(hp.uid+"/"+c.Name, now))
		}
		if wait := time.Until(st.nextStart); wait > 0 {
			st.waiting = &api.ContainerStateWaiting{Reason: "CrashLoopBackOff",
				Message: "back-off " + wait.Round(time.Second).String() + " restarting failed container=" + c.Name + " pod=" + pod.Name}
			return wait
		}
	}
	return h.createContainer(ctx, hp, pod, c, st, st.attempt+1, init)
}

// createContainer creates and starts one instance; failures become the
// container's waiting reason.
func (h *Hollow) createContainer(ctx context.Context, hp *hollowPod, pod *api.Pod, c *api.Container, st *hollowCtr, attempt int, init bool) time.Duration {
	rt := hp.node.rt
	if err := rt.EnsureImage(ctx, c.Image, c.ImagePullPolicy, nil); err != nil {
		st.waiting = &api.ContainerStateWaiting{Reason: "ErrImagePull", Message: err.Error()}
		return h.backoffInitial
	}
	labels := fake.BehaviorLabels(pod.Annotations)
	if init && labels == nil {
		labels = map[string]string{fake.AnnotationExitCode: "0"} // init containers complete
	}
	id, err := rt.CreateContainer(ctx, hp.sandboxID, runtime.ContainerConfig{
		PodUID: hp.uid, Namespace: pod.Namespace, PodName: pod.Name, Name: c.Name, Image: c.Image,
		Command: c.Command, Args: c.Args, Attempt: attempt, Labels: labels,
	})
	if err != nil {
		st.waiting = &api.ContainerStateWaiting{Reason: "CreateContainerError", Message: err.Error()}
		return h.backoffInitial
	}
	if st.id != "" {
		term := terminatedOf(st.cur)
		st.lastTerm = &term
		_ = rt.RemoveContainer(ctx, st.id) // the previous instance: its end is kept in lastTerm
	}
	st.id, st.attempt, st.created, st.waiting = id, attempt, true, nil
	if err := rt.StartContainer(ctx, id); err != nil {
		st.waiting = &api.ContainerStateWaiting{Reason: "RunContainerError", Message: err.Error()}
		return h.backoffInitial
	}
	if cs, err := rt.ContainerStatus(ctx, id); err == nil {
		st.cur = cs
	}
	return 0
}

// setAllWaiting marks every container that is not running as waiting.
func (hp *hollowPod) setAllWaiting(pod *api.Pod, reason, msg string) {
	for _, list := range [][]api.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range list {
			st := hp.ctr(c.Name)
			if st.id == "" && !st.done {
				st.waiting = &api.ContainerStateWaiting{Reason: reason, Message: msg}
			}
		}
	}
}

// teardown removes the pod's containers and sandbox from the node's runtime
// and frees its IP. The fake honours SIGTERM at once: no grace to wait.
func (h *Hollow) teardown(ctx context.Context, hp *hollowPod, ipm *ipam) {
	rt := hp.node.rt
	for name, st := range hp.ctrs {
		if st.id != "" {
			_ = rt.RemoveContainer(ctx, st.id)
		}
		h.backoff.Reset(hp.uid + "/" + name)
	}
	if hp.sandboxID != "" {
		_ = rt.RemoveSandbox(ctx, hp.sandboxID)
	}
	hp.ctrs, hp.sandboxID = nil, ""
	ipm.release(hp.uid)
}
