package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/runtime"
)

// podWorker drives one pod (by UID) toward its spec. Its goroutine is the
// only one that touches the fields below mu's block; update, kick and markGone
// may be called from any goroutine.
type podWorker struct {
	a    *Agent
	uid  string
	log  *slog.Logger
	kick chan struct{}

	mu   sync.Mutex
	pod  *api.Pod // latest seen in the API
	gone bool     // the pod left the API (deleted, or bound elsewhere)

	sandboxID      string
	sandboxAttempt int
	ip             netip.Addr
	volumesReady   bool
	ctrs           map[string]*ctrState // app and init containers by name
	written        *api.PodStatus       // the last status written
	startTime      *api.Time
}

func newPodWorker(a *Agent, pod *api.Pod) *podWorker {
	return &podWorker{
		a:    a,
		uid:  pod.UID,
		log:  a.log.With("pod", pod.Namespace+"/"+pod.Name),
		kick: make(chan struct{}, 1),
		pod:  pod,
		ctrs: map[string]*ctrState{},
	}
}

// update records a newer pod object and wakes the worker.
func (w *podWorker) update(pod *api.Pod) {
	w.mu.Lock()
	w.pod = pod
	w.mu.Unlock()
	w.wake()
}

// markGone records that the pod left the API and wakes the worker to clean up.
func (w *podWorker) markGone() {
	w.mu.Lock()
	w.gone = true
	w.mu.Unlock()
	w.wake()
}

func (w *podWorker) wake() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

func (w *podWorker) snapshot() (*api.Pod, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pod, w.gone
}

// run syncs on every wake-up, on every engine event of the pod and at least
// every StatusInterval (a safety net for missed events), until the pod is
// cleaned up or ctx ends (the agent stops: containers keep running).
func (w *podWorker) run(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.kick:
		case <-timer.C:
		}
		next, done := w.sync(ctx)
		if done {
			w.a.removeWorker(w)
			return
		}
		if next <= 0 || next > w.a.cfg.StatusInterval {
			next = w.a.cfg.StatusInterval
		}
		timer.Reset(next)
	}
}

// sync makes one pass: it returns when to look again (0: the resync
// interval) and whether the worker is finished.
func (w *podWorker) sync(ctx context.Context) (time.Duration, bool) {
	pod, gone := w.snapshot()
	if gone {
		w.teardown(ctx, w.gracePeriod(pod))
		return 0, ctx.Err() == nil
	}
	if pod.DeletionTimestamp != nil {
		w.teardown(ctx, w.gracePeriod(pod))
		if ctx.Err() != nil {
			return 0, false
		}
		if err := w.a.confirmDelete(ctx, pod); err != nil {
			w.log.Warn("confirming the pod's deletion failed; retrying", "err", err)
			return time.Second, false
		}
		return 0, true
	}
	next := w.syncRunning(ctx, pod)
	if ctx.Err() != nil {
		return 0, false
	}
	w.writeStatus(ctx, pod)
	return next, false
}

// maxConcurrentStarts is how many pods an agent starts at once. Docker on a small
// machine creates containers largely one after another; four keeps it busy while a
// burst of 50 pods finishes steadily, the first within seconds, instead of all at the
// end.
const maxConcurrentStarts = 4

// syncRunning drives a live pod: sandbox, volumes, then containers.
func (w *podWorker) syncRunning(ctx context.Context, pod *api.Pod) time.Duration {
	if w.terminal(pod) {
		return 0
	}
	if w.sandboxID == "" {
		// Starting a pod: wait for a slot, so a burst of pods comes up in order
		// rather than all together at the end (the engine does this work mostly
		// one container at a time anyway).
		select {
		case w.a.startSlots <- struct{}{}:
			defer func() { <-w.a.startSlots }()
		case <-ctx.Done():
			return 0
		}
	}
	if err := w.ensureSandbox(ctx, pod); err != nil {
		w.log.Warn("pod sandbox failed", "err", err)
		w.setAllWaiting(pod, "ContainerCreating", err.Error())
		w.a.events.warn(pod, "FailedCreatePodSandBox", "Failed to create pod sandbox: %v", err)
		return w.a.backoffInitial
	}
	if !w.volumesReady {
		if err := w.a.prepareVolumes(ctx, pod); err != nil {
			w.setAllWaiting(pod, "ContainerCreating", err.Error())
			w.a.events.warn(pod, "FailedMount", "%v", err)
			return w.a.backoffInitial
		}
		w.volumesReady = true
	}
	ready, next := w.syncInitContainers(ctx, pod)
	if !ready {
		return next
	}
	return minPositive(next, w.syncContainers(ctx, pod, pod.Spec.Containers, false))
}

// terminal reports a pod whose containers all finished for good: nothing
// more runs (Kubernetes never restarts a Succeeded or Failed pod).
func (w *podWorker) terminal(pod *api.Pod) bool {
	phase := pod.Status.Phase
	if w.written != nil {
		phase = w.written.Phase
	}
	return phase == api.PodSucceeded || phase == api.PodFailed
}

// ensureSandbox makes the pod's infra container run with its IP.
func (w *podWorker) ensureSandbox(ctx context.Context, pod *api.Pod) error {
	if w.sandboxID != "" {
		st, err := w.a.rt.ContainerStatus(ctx, w.sandboxID)
		switch {
		case err == nil && st.State == runtime.StateRunning:
			return nil
		case err != nil && !errors.Is(err, runtime.ErrNotFound):
			// The engine did not answer: that says nothing about the sandbox, and
			// recreating a healthy pod on a hiccup would restart every container.
			return fmt.Errorf("inspect sandbox: %w", err)
		}
		// The sandbox died (engine restart, killed by hand): its network
		// namespace is gone, so every container of the pod must be recreated.
		w.log.Warn("pod sandbox is not running; recreating the pod", "id", w.sandboxID, "state", st.State, "err", err)
		w.a.events.normal(pod, "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.")
		w.removeContainers(ctx, 0)
		_ = w.a.rt.RemoveSandbox(ctx, w.sandboxID)
		w.sandboxID = ""
		w.sandboxAttempt++
	}
	if err := w.a.ensureNetwork(ctx); err != nil {
		return err
	}
	ip, err := w.a.ipam.allocate(w.uid)
	if err != nil {
		return err
	}
	if _, err := w.a.rt.EnsureInfraImage(ctx); err != nil {
		return fmt.Errorf("infra image: %w", err)
	}
	hostname := pod.Spec.Hostname
	if hostname == "" {
		hostname = pod.Name
	}
	dnsCfg, dnsWarn := podDNS(pod, w.a.podDNSSettings())
	if dnsWarn != "" {
		w.a.events.warn(pod, "MissingClusterDNS", "%s", dnsWarn)
	}
	id, err := w.a.rt.CreateSandbox(ctx, runtime.SandboxConfig{
		PodUID: w.uid, Namespace: pod.Namespace, Name: pod.Name, Attempt: w.sandboxAttempt,
		Hostname: truncateHostname(hostname), IP: ip, Network: w.a.cfg.PodNetwork,
		PortMappings: portMappings(pod),
		DNS:          dnsCfg.Servers, DNSSearch: dnsCfg.Searches, DNSOptions: dnsCfg.Options,
	})
	if errors.Is(err, runtime.ErrAlreadyExists) {
		w.sandboxAttempt++
		return fmt.Errorf("sandbox attempt taken, retrying: %w", err)
	}
	if err != nil {
		return err
	}
	w.sandboxID, w.ip = id, ip
	if w.startTime == nil {
		w.startTime = api.NewTime(time.Now())
	}
	return nil
}

// truncateHostname keeps a hostname within the 63 bytes a UTS name allows.
func truncateHostname(h string) string {
	if len(h) > 63 {
		h = h[:63]
	}
	return h
}

func portMappings(pod *api.Pod) []runtime.PortMapping {
	var out []runtime.PortMapping
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			if p.HostPort <= 0 || p.HostPort > 65535 || p.ContainerPort <= 0 || p.ContainerPort > 65535 {
				continue
			}
			m := runtime.PortMapping{HostPort: uint16(p.HostPort), ContainerPort: uint16(p.ContainerPort), Protocol: p.Protocol}
			if ip, err := netip.ParseAddr(p.HostIP); err == nil {
				m.HostIP = ip
			}
			out = append(out, m)
		}
	}
	return out
}

// gracePeriod is how long containers get between SIGTERM and SIGKILL.
func (w *podWorker) gracePeriod(pod *api.Pod) time.Duration {
	switch {
	case pod == nil:
		return 0
	case pod.DeletionGracePeriodSeconds != nil:
		return time.Duration(max(0, *pod.DeletionGracePeriodSeconds)) * time.Second
	case pod.Spec.TerminationGracePeriodSeconds != nil:
		return time.Duration(max(0, *pod.Spec.TerminationGracePeriodSeconds)) * time.Second
	}
	return 30 * time.Second
}

// teardown stops and removes everything of the pod: containers (with grace),
// sandbox, volumes and files, and releases its IP.
func (w *podWorker) teardown(ctx context.Context, grace time.Duration) {
	pod, _ := w.snapshot()
	w.stopProbes()
	if pod != nil {
		for _, c := range pod.Spec.Containers {
			if st := w.ctrs[c.Name]; st != nil && st.id != "" && st.running {
				w.a.events.normal(pod, "Killing", "Stopping container %s", c.Name)
			}
		}
	}
	w.removeContainers(ctx, grace)
	if ctx.Err() != nil {
		return
	}
	for _, st := range w.ctrs {
		w.a.backoff.Reset(w.key(st))
		w.a.pullBackoff.Reset(w.key(st) + "/pull")
	}
	w.a.cleanupPod(ctx, w.uid)
}

// removeContainers stops (with grace) and removes every app container of the
// pod, found through the engine so that none is missed.
func (w *podWorker) removeContainers(ctx context.Context, grace time.Duration) {
	all, err := w.a.rt.ListContainers(ctx)
	if err != nil {
		w.log.Warn("listing containers failed", "err", err)
		return
	}
	var wg sync.WaitGroup
	for _, c := range all {
		if c.PodUID != w.uid || c.Sandbox {
			continue
		}
		wg.Go(func() {
			if c.State == runtime.StateRunning {
				if err := w.a.rt.StopContainer(ctx, c.ID, grace); err != nil {
					w.log.Warn("stopping container failed", "container", c.ContainerName, "err", err)
				}
			}
			if err := w.a.rt.RemoveContainer(ctx, c.ID); err != nil {
				w.log.Warn("removing container failed", "container", c.ContainerName, "err", err)
			}
		})
	}
	wg.Wait()
	for _, st := range w.ctrs {
		st.id, st.running = "", false
	}
}

func minPositive(a, b time.Duration) time.Duration {
	switch {
	case a <= 0:
		return b
	case b <= 0:
		return a
	}
	return min(a, b)
}
