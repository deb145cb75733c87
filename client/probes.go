package client

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/probe"
)

// probeSet runs the probes of one container instance. The flags are written
// by the probe goroutines and read by the pod worker.
type probeSet struct {
	cancel    context.CancelFunc
	started   atomic.Bool // startup probe passed (true at once without one)
	ready     atomic.Bool // readiness probe passes (true at once without one)
	unhealthy atomic.Bool // liveness or startup probe failed: kill the instance
	launched  bool        // liveness and readiness run (after startup); worker-owned
	id        string      // the instance probed
}

// ensureProbes starts the probes of a running instance: the startup probe
// first, liveness and readiness once it passed (the kubelet's gating).
func (w *podWorker) ensureProbes(ctx context.Context, pod *api.Pod, c *api.Container, st *ctrState) {
	if st.probes != nil && st.probes.id != st.id {
		w.stopContainerProbes(st)
	}
	if st.probes == nil {
		pctx, cancel := context.WithCancel(ctx)
		ps := &probeSet{cancel: cancel, id: st.id}
		st.probes = ps
		if c.StartupProbe == nil {
			ps.started.Store(true)
		} else {
			sw := probe.NewWorker(probe.Startup, c.StartupProbe, w.probeTarget(c, st.id), func(r probe.Result, msg string) {
				switch r {
				case probe.Success:
					ps.started.Store(true)
				case probe.Failure:
					w.a.events.warn(pod, "Unhealthy", "Startup probe failed: %s", msg)
					ps.unhealthy.Store(true)
				}
				w.wake()
			})
			go sw.Run(pctx)
		}
	}
	ps := st.probes
	if ps.launched || !ps.started.Load() {
		return
	}
	ps.launched = true
	pctx, cancel := context.WithCancel(ctx)
	prev := ps.cancel
	ps.cancel = func() { prev(); cancel() }
	if c.ReadinessProbe == nil {
		ps.ready.Store(true)
	} else {
		rw := probe.NewWorker(probe.Readiness, c.ReadinessProbe, w.probeTarget(c, st.id), func(r probe.Result, msg string) {
			if r == probe.Failure && msg != "" {
				w.a.events.warn(pod, "Unhealthy", "Readiness probe failed: %s", msg)
			}
			ps.ready.Store(r == probe.Success)
			w.wake()
		})
		go rw.Run(pctx)
	}
	if c.LivenessProbe != nil {
		lw := probe.NewWorker(probe.Liveness, c.LivenessProbe, w.probeTarget(c, st.id), func(r probe.Result, msg string) {
			if r == probe.Failure {
				w.a.events.warn(pod, "Unhealthy", "Liveness probe failed: %s", msg)
				ps.unhealthy.Store(true)
				w.wake()
			}
		})
		go lw.Run(pctx)
	}
}

func (w *podWorker) probeTarget(c *api.Container, id string) probe.Target {
	rt := w.a.rt
	return probe.Target{
		PodIP: w.ip.String(),
		Ports: c.Ports,
		Exec: func(ctx context.Context, cmd []string, timeout time.Duration) (int, string, error) {
			return rt.ExecProbe(ctx, id, cmd, timeout)
		},
	}
}

// stopContainerProbes ends an instance's probes (it stopped or is replaced).
func (w *podWorker) stopContainerProbes(st *ctrState) {
	if st.probes != nil {
		st.probes.cancel()
		st.probes = nil
	}
}

// stopProbes ends every probe of the pod.
func (w *podWorker) stopProbes() {
	for _, st := range w.ctrs {
		w.stopContainerProbes(st)
	}
}

// readyStarted reports a running instance's ready and started flags.
func (st *ctrState) readyStarted() (ready, started bool) {
	if !st.running || st.probes == nil {
		return false, st.running && st.probes == nil
	}
	started = st.probes.started.Load()
	return started && st.probes.launched && st.probes.ready.Load(), started
}
