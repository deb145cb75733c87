package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
	"github.com/berth-dev/berth/server/controller"
	"github.com/berth-dev/berth/server/scheduler"
)

const (
	// schedulerComponent is the source of the scheduler's Events, Kubernetes' name.
	schedulerComponent = "default-scheduler"
	// schedCycleMax is the most pods one cycle takes from the queue. A cycle lists the
	// store once, so under a burst larger cycles amortise that; the bindings inside
	// still go out every BindBatchSize pods.
	schedCycleMax = 1000
	// retryDelay paces the retry of a binding that failed for a reason other than the
	// pod changing (Raft busy, no quorum yet), or of an unexpected scheduling error.
	retryDelay = time.Second
)

// runScheduler runs the scheduler while this server leads: it stops when ctx (the
// leadership context) is cancelled. Everything it knows is rebuilt from the store,
// so a new leader simply starts it again.
func (s *Server) runScheduler(ctx context.Context) {
	l, err := newSchedLoop(s)
	if err != nil {
		s.log.Error("scheduler not started", "err", err)
		return
	}
	l.run(ctx)
}

// schedLoop feeds the pure scheduler from the store's watches and runs cycles back
// to back while pods wait; it reports each result as Events, pod status and metrics.
type schedLoop struct {
	s       *Server
	sched   *scheduler.Scheduler
	events  controller.EventRecorder
	status  *podStatusWriter
	metrics *schedulerMetrics
	kick    chan struct{} // one slot: "the queue or the cluster changed"
	changed atomic.Bool   // a node or pod change may let parked pods fit

	mu       sync.Mutex
	pods     map[string]*api.Pod  // unbound pods this scheduler places, by namespace/name
	terminal map[string]bool      // bound pods seen finished, by namespace/name
	seen     map[string]time.Time // first sight of an unbound pod, by uid
	nodes    map[string]*api.Node // by name
}

func newSchedLoop(s *Server) (*schedLoop, error) {
	cfg := s.cfg.SchedulerConfig
	if cfg == (scheduler.Config{}) {
		cfg = scheduler.DefaultConfig()
	}
	state := func() scheduler.State { return newStoreState(s.fsm) }
	sched, err := scheduler.New(cfg, state, binder{s}, evictor{s})
	if err != nil {
		return nil, err
	}
	return &schedLoop{
		s: s, sched: sched, events: s.events.For(schedulerComponent), status: newPodStatusWriter(s),
		metrics: s.schedMetrics, kick: make(chan struct{}, 1),
		pods: map[string]*api.Pod{}, terminal: map[string]bool{}, seen: map[string]time.Time{},
		nodes: map[string]*api.Node{},
	}, nil
}

// run schedules until ctx ends, then waits for its helpers to stop.
func (l *schedLoop) run(ctx context.Context) {
	l.metrics.active.Inc() // Inc/Dec: an old term's loop may still be ending
	defer l.metrics.active.Dec()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { l.inform(ctx, "Pod", l.syncPods, l.podEvents) })
	wg.Go(func() { l.inform(ctx, "Node", l.syncNodes, l.nodeEvents) })
	wg.Go(func() { l.status.run(ctx) })
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.kick:
		}
		l.drain(ctx)
	}
}

func (l *schedLoop) wake() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// drain runs cycles until the queue is empty. Cluster changes that arrive during a
// cycle are folded into one retry of the parked pods before the next.
func (l *schedLoop) drain(ctx context.Context) {
	for ctx.Err() == nil {
		if l.changed.Swap(false) {
			l.sched.NotifyClusterChange()
		}
		rs := l.sched.ScheduleQueued(ctx, schedCycleMax)
		l.report(ctx, rs)
		l.metrics.setPending(l.sched.Pending())
		if len(rs) == 0 {
			return
		}
	}
}

// report turns a cycle's results into metrics, Events and pod status.
func (l *schedLoop) report(ctx context.Context, rs []scheduler.Result) {
	podRes, _ := api.ResourceForKind("Pod")
	for _, r := range rs {
		p := r.Pod
		if p == nil {
			continue
		}
		var fe *scheduler.FitError
		switch {
		case r.NodeName != "":
			l.metrics.observeBound(l.takeSeen(p.UID))
			l.events.Record(p, api.EventTypeNormal, "Scheduled",
				fmt.Sprintf("Successfully assigned %s/%s to %s", p.Namespace, p.Name, r.NodeName))
			if rec, ok := l.s.fsm.Get(podRes, p.Namespace, p.Name); ok {
				if cur, ok := rec.Object.(*api.Pod); ok && cur.UID == p.UID && markScheduled(copyPodStatus(cur)) {
					l.status.set(p, markScheduled)
				}
			}
		case errors.As(r.Err, &fe):
			l.metrics.attempts.WithLabelValues(attemptUnschedulable).Inc()
			if !l.tracked(p) {
				l.sched.Remove(p) // deleted or bound while it was tried: do not keep it parked
				continue
			}
			msg := fitMessage(fe)
			l.events.Record(p, api.EventTypeWarning, "FailedScheduling", msg)
			l.status.set(p, markUnschedulable(msg, r.NominatedNode))
			for _, v := range r.Victims {
				l.events.Record(v, api.EventTypeNormal, "Preempted",
					fmt.Sprintf("Preempted by %s/%s on node %s", p.Namespace, p.Name, r.NominatedNode))
			}
		case errors.Is(r.Err, scheduler.ErrBind):
			l.metrics.attempts.WithLabelValues(attemptError).Inc()
			l.retryBind(ctx, p, r.Err)
		case errors.Is(r.Err, scheduler.ErrPodGone), ctx.Err() != nil:
		default:
			l.metrics.attempts.WithLabelValues(attemptError).Inc()
			l.s.log.Warn("scheduling a pod; retrying", "namespace", p.Namespace, "pod", p.Name, "err", r.Err)
			l.retryLater(ctx, p)
		}
	}
}

// fitMessage is Kubernetes' FailedScheduling text, with why preemption did not help
// when it did not.
func fitMessage(fe *scheduler.FitError) string {
	msg := fe.Error()
	if fe.Preemption != "" {
		msg += " " + fe.Preemption + "."
	}
	return msg
}

// copyPodStatus is a pod whose status may be changed without touching p.
func copyPodStatus(p *api.Pod) *api.Pod {
	c := *p
	c.Status.Conditions = append([]api.PodCondition(nil), p.Status.Conditions...)
	return &c
}

// retryBind decides what a failed binding's pod needs. The scheduler has parked it:
// gone or bound meanwhile, it leaves the queue; changed under the binding, it is tried
// again at once from its stored version; otherwise (Raft busy, no quorum) after a
// pause.
func (l *schedLoop) retryBind(ctx context.Context, p *api.Pod, err error) {
	cur := l.storedUnbound(p)
	if cur == nil {
		l.sched.Remove(p)
		return
	}
	if errors.Is(err, raftfsm.ErrConflict) || errors.Is(err, errBindStale) {
		l.sched.Enqueue(cur)
		l.wake()
		return
	}
	l.s.log.Debug("binding failed; retrying", "namespace", p.Namespace, "pod", p.Name, "err", err)
	l.retryLater(ctx, p)
}

// retryLater queues p again after a pause, if it still waits for a node then.
func (l *schedLoop) retryLater(ctx context.Context, p *api.Pod) {
	time.AfterFunc(retryDelay, func() {
		if ctx.Err() != nil {
			return
		}
		if cur := l.storedUnbound(p); cur != nil {
			l.sched.Enqueue(cur)
			l.wake()
		}
	})
}

// storedUnbound is the stored version of p while it still waits for a node.
func (l *schedLoop) storedUnbound(p *api.Pod) *api.Pod {
	podRes, _ := api.ResourceForKind("Pod")
	rec, ok := l.s.fsm.Get(podRes, p.Namespace, p.Name)
	if !ok {
		return nil
	}
	cur, ok := rec.Object.(*api.Pod)
	if !ok || cur.UID != p.UID || !wantsScheduling(cur) {
		return nil
	}
	return cur
}
