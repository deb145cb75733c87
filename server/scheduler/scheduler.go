package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/berth-dev/berth/api"
)

// Result is the outcome of one pod's scheduling attempt.
type Result struct {
	Pod *api.Pod
	// NodeName is the node the pod was bound to; "" when it was not.
	NodeName string
	// NominatedNode is where the pod will fit once Victims are gone (preemption);
	// the caller records it as status.nominatedNodeName.
	NominatedNode string
	// Victims are the pods evicted to make room for it.
	Victims []*api.Pod
	// Err is nil on success; a *FitError (errors.Is ErrUnschedulable) when the pod
	// fits nowhere, which the caller reports as a FailedScheduling Event; or an
	// ErrBind or ErrPodGone error.
	Err error
}

// Option changes a Scheduler at construction.
type Option func(*Scheduler)

// WithClock replaces time.Now (the assume cache's expiry).
func WithClock(now func() time.Time) Option {
	return func(s *Scheduler) { s.cache.now = now }
}

// Scheduler places pods. Enqueue, Remove and NotifyClusterChange may be called
// from any goroutine; scheduling calls (Schedule, ScheduleOne, ScheduleQueued) are
// serialised internally, one cycle at a time.
type Scheduler struct {
	cfg     Config
	state   func() State
	binder  Binder
	evictor Evictor
	queue   *queue
	cycle   chan struct{} // a one-slot lock that a cancelled context can give up on
	cache   *Cache
	filters []filterPlugin
	scores  []scorePlugin

	nextStart int // where the next pod's node scan starts (spreads the sampling)
}

// New builds a scheduler. state returns a fresh snapshot at the start of every
// cycle; evictor nil turns preemption off.
func New(cfg Config, state func() State, binder Binder, evictor Evictor, opts ...Option) (*Scheduler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if state == nil || binder == nil {
		return nil, fmt.Errorf("%w: state and binder are required", ErrConfig)
	}
	if cfg.BindBatchSize == 0 {
		cfg.BindBatchSize = defaultBindBatchSize
	}
	s := &Scheduler{
		cfg: cfg, state: state, binder: binder, evictor: evictor, queue: newQueue(),
		cycle: make(chan struct{}, 1), cache: NewCache(),
		filters: buildFilters(cfg), scores: buildScores(cfg),
	}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Enqueue adds unbound pods this scheduler is responsible for; others (bound, or
// naming another schedulerName) are ignored. A pod already queued is replaced.
func (s *Scheduler) Enqueue(pods ...*api.Pod) {
	var classes func(string) (int32, bool)
	for _, p := range pods {
		if p == nil || p.Spec.NodeName != "" || !ours(p) {
			continue
		}
		if p.Spec.Priority == nil && p.Spec.PriorityClassName != "" && classes == nil {
			if st := s.state(); st != nil {
				classes = st.PriorityClass
			}
		}
		s.queue.add(p, podPriority(p, classes))
	}
}

func ours(p *api.Pod) bool {
	return p.Spec.SchedulerName == "" || p.Spec.SchedulerName == api.DefaultSchedulerName
}

// Remove drops a pod (deleted, or bound by someone) from the queue.
func (s *Scheduler) Remove(pod *api.Pod) { s.queue.remove(podKey(pod)) }

// NotifyClusterChange retries every parked pod: a node was added or changed, or a
// pod went away, so a pod that fitted nowhere may fit now.
func (s *Scheduler) NotifyClusterChange() { s.queue.unparkAll() }

// Pending is how many pods wait: active in the queue, and parked as unschedulable.
func (s *Scheduler) Pending() (active, parked int) { return s.queue.lens() }

// ScheduleOne schedules the first pod of the queue; false when the queue is empty.
func (s *Scheduler) ScheduleOne(ctx context.Context) (Result, bool) {
	rs := s.ScheduleQueued(ctx, 1)
	if len(rs) == 0 {
		return Result{}, false
	}
	return rs[0], true
}

// ScheduleQueued schedules up to max pods from the queue, in order, as one cycle.
func (s *Scheduler) ScheduleQueued(ctx context.Context, max int) []Result {
	entries := s.queue.pop(max)
	if len(entries) == 0 {
		return nil
	}
	pods := make([]*api.Pod, len(entries))
	for i, e := range entries {
		pods[i] = e.pod
	}
	return s.Schedule(ctx, pods)
}

// Schedule runs one cycle over pods, in the order given: one snapshot, every pod
// filtered and scored against it plus the pods placed before it (assumed), the
// bindings handed to the Binder in batches. Pods that fit nowhere, or whose
// binding failed, are parked until NotifyClusterChange. Results are in pods' order.
func (s *Scheduler) Schedule(ctx context.Context, pods []*api.Pod) []Result {
	results := make([]Result, len(pods))
	select {
	case s.cycle <- struct{}{}:
		defer func() { <-s.cycle }()
	case <-ctx.Done():
		for i, p := range pods {
			results[i] = Result{Pod: p, Err: ctx.Err()}
		}
		return results
	}
	st := s.state()
	if st == nil {
		st = NewSnapshot(nil, nil)
	}
	s.cache.Refresh(st)
	var batch []int
	for i, p := range pods {
		results[i] = s.scheduleOne(ctx, p)
		if results[i].NodeName != "" {
			batch = append(batch, i)
		}
		if len(batch) >= s.cfg.BindBatchSize {
			s.bind(ctx, results, batch)
			batch = batch[:0]
		}
	}
	s.bind(ctx, results, batch)
	for _, r := range results {
		var fe *FitError
		if r.Pod != nil && (errors.As(r.Err, &fe) || errors.Is(r.Err, ErrBind)) {
			s.queue.park(r.Pod, s.cache.podInfo(r.Pod).priority)
		}
	}
	return results
}

// scheduleOne places one pod in the cache (assumed), or explains why it cannot.
func (s *Scheduler) scheduleOne(ctx context.Context, pod *api.Pod) Result {
	res := Result{Pod: pod}
	switch {
	case pod == nil:
		res.Err = fmt.Errorf("%w: nil pod", ErrPodGone)
		return res
	case ctx.Err() != nil:
		res.Err = ctx.Err()
		return res
	case pod.Spec.NodeName != "" || s.cache.IsAssumed(pod):
		res.Err = fmt.Errorf("%w: %s/%s is already bound", ErrPodGone, pod.Namespace, pod.Name)
		return res
	case len(pod.Spec.SchedulingGates) > 0:
		res.Err = fmt.Errorf("%w: %s/%s has scheduling gates", ErrPodGone, pod.Namespace, pod.Name)
		return res
	}
	pi := s.cache.podInfo(pod)
	cs := s.newCycleState(pi, nil)
	n, diag := s.findNode(cs)
	if n != nil {
		if err := s.cache.assume(pi, n.name); err != nil {
			res.Err = err
			return res
		}
		res.NodeName = n.name
		return res
	}
	fe := diag.fitError(len(s.cache.nodes))
	res.Err = fe
	if s.evictor != nil {
		s.preempt(ctx, cs, diag, &res, fe)
	}
	return res
}

// bind commits the assumed pods at results[batch] through the Binder; a failed
// binding is forgotten, so its room is free again for the rest of the cycle.
func (s *Scheduler) bind(ctx context.Context, results []Result, batch []int) {
	if len(batch) == 0 {
		return
	}
	bindings := make([]Binding, len(batch))
	for j, i := range batch {
		p := results[i].Pod
		bindings[j] = Binding{PodNamespace: p.Namespace, PodName: p.Name, PodUID: p.UID, NodeName: results[i].NodeName}
	}
	errs := s.binder.Bind(ctx, bindings)
	if errs != nil && len(errs) != len(bindings) {
		bad := fmt.Errorf("binder answered %d errors for %d bindings", len(errs), len(bindings))
		errs = make([]error, len(bindings))
		for j := range errs {
			errs[j] = bad
		}
	}
	for j, i := range batch {
		r := &results[i]
		if errs == nil || errs[j] == nil {
			s.cache.Confirm(r.Pod)
			continue
		}
		s.cache.Forget(r.Pod)
		r.Err = fmt.Errorf("%w: %s/%s on %s: %w", ErrBind, r.Pod.Namespace, r.Pod.Name, r.NodeName, errs[j])
		r.NodeName = ""
	}
}
