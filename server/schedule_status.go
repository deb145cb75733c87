package server

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

const (
	// statusBatch is the most pod status writes in one Raft entry.
	statusBatch = 500
	// statusAttempts bounds the retries of a status write that keeps losing races.
	statusAttempts = 5
	// reasonUnschedulable is Kubernetes' PodScheduled=False reason.
	reasonUnschedulable = "Unschedulable"
)

// podStatusWriter writes the scheduler's verdicts into pod status (the PodScheduled
// condition and status.nominatedNodeName) off the scheduling loop, in batches. A
// change is a function applied to the pod as stored at write time, so it never
// overwrites a newer status, and a later change of a pod replaces an earlier one that
// is still waiting. Safe for concurrent use.
type podStatusWriter struct {
	s       *Server
	mu      sync.Mutex
	pending map[string]*statusChange // by namespace/name
	kick    chan struct{}
}

// statusChange is one pending write. mutate changes the pod (a copy whose
// conditions slice is its own) and reports whether anything changed.
type statusChange struct {
	namespace, name, uid string
	mutate               func(*api.Pod) bool
	attempts             int
}

func newPodStatusWriter(s *Server) *podStatusWriter {
	return &podStatusWriter{s: s, pending: map[string]*statusChange{}, kick: make(chan struct{}, 1)}
}

// set queues a change of pod's status.
func (w *podStatusWriter) set(pod *api.Pod, mutate func(*api.Pod) bool) {
	c := &statusChange{namespace: pod.Namespace, name: pod.Name, uid: pod.UID, mutate: mutate}
	w.mu.Lock()
	w.pending[pod.Namespace+"/"+pod.Name] = c
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// run writes queued changes until ctx ends.
func (w *podStatusWriter) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.kick:
		}
		for ctx.Err() == nil && w.flush(ctx) {
		}
	}
}

// flush writes up to statusBatch queued changes as one batch; false when none waited.
func (w *podStatusWriter) flush(ctx context.Context) bool {
	w.mu.Lock()
	var changes []*statusChange
	for key, c := range w.pending {
		if len(changes) == statusBatch {
			break
		}
		changes = append(changes, c)
		delete(w.pending, key)
	}
	w.mu.Unlock()
	if len(changes) == 0 {
		return false
	}
	podRes, _ := api.ResourceForKind("Pod")
	members := make([]raftfsm.Command, 0, len(changes))
	sent := make([]*statusChange, 0, len(changes))
	for _, c := range changes {
		if cmd, ok := statusCommand(w.s.fsm, podRes, c); ok {
			members = append(members, cmd)
			sent = append(sent, c)
		}
	}
	results, err := w.s.prop.proposeBatch(ctx, members)
	for i, c := range sent {
		if err == nil && i < len(results) && results[i].Err == nil {
			continue
		}
		if c.attempts++; c.attempts < statusAttempts && ctx.Err() == nil {
			w.mu.Lock()
			key := c.namespace + "/" + c.name
			if _, newer := w.pending[key]; !newer {
				w.pending[key] = c // lost a race with another writer: recompute and retry
			}
			w.mu.Unlock()
		}
	}
	return true
}

// statusCommand is the status write of c over the stored pod; false when the pod is
// gone, replaced, or already as c wants it.
func statusCommand(fsm *raftfsm.FSM, podRes *api.Resource, c *statusChange) (raftfsm.Command, bool) {
	rec, ok := fsm.Get(podRes, c.namespace, c.name)
	if !ok {
		return raftfsm.Command{}, false
	}
	pod, ok := rec.Object.(*api.Pod)
	if !ok || pod.UID != c.uid {
		return raftfsm.Command{}, false
	}
	next := *pod
	next.Status.Conditions = slices.Clone(pod.Status.Conditions)
	if !c.mutate(&next) {
		return raftfsm.Command{}, false
	}
	body, err := api.Encode(&next)
	if err != nil {
		return raftfsm.Command{}, false
	}
	return raftfsm.Command{
		Type: raftfsm.CmdUpdateStatus, Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name,
		ResourceVersion: rec.RV, UID: pod.UID, Object: body,
	}, true
}

// markUnschedulable sets PodScheduled=False (Unschedulable, msg) and, when the pod was
// nominated by preemption, status.nominatedNodeName — unless the pod got bound
// meanwhile.
func markUnschedulable(msg, nominated string) func(*api.Pod) bool {
	return func(p *api.Pod) bool {
		if p.Spec.NodeName != "" {
			return false
		}
		changed := setPodCondition(p, api.ConditionFalse, reasonUnschedulable, msg)
		if nominated != "" && p.Status.NominatedNodeName != nominated {
			p.Status.NominatedNodeName = nominated
			changed = true
		}
		return changed
	}
}

// markScheduled clears what markUnschedulable left on a pod that is bound now:
// PodScheduled turns True and the nomination goes. A pod never reported unschedulable
// is left alone (its agent reports PodScheduled with the rest of its status).
func markScheduled(p *api.Pod) bool {
	i := podConditionIndex(p, api.PodScheduled)
	wasUnschedulable := i >= 0 && p.Status.Conditions[i].Status == api.ConditionFalse
	if !wasUnschedulable && p.Status.NominatedNodeName == "" {
		return false
	}
	p.Status.NominatedNodeName = ""
	if wasUnschedulable {
		setPodCondition(p, api.ConditionTrue, "", "")
	}
	return true
}

// setPodCondition sets the PodScheduled condition; the transition time moves only when
// the status does. It reports whether anything changed.
func setPodCondition(p *api.Pod, status, reason, msg string) bool {
	c := api.PodCondition{Type: api.PodScheduled, Status: status, Reason: reason, Message: msg,
		LastTransitionTime: api.NewTime(time.Now())}
	i := podConditionIndex(p, api.PodScheduled)
	if i < 0 {
		p.Status.Conditions = append(p.Status.Conditions, c)
		return true
	}
	old := p.Status.Conditions[i]
	if old.Status == status && old.Reason == reason && old.Message == msg {
		return false
	}
	if old.Status == status {
		c.LastTransitionTime = old.LastTransitionTime
	}
	p.Status.Conditions[i] = c
	return true
}

func podConditionIndex(p *api.Pod, typ string) int {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == typ {
			return i
		}
	}
	return -1
}
