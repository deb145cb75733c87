package client

import (
	"time"

	"github.com/berth-dev/berth/api"
)

// The parts of a pod's status that an agent's pod worker and a hollow pod
// derive alike, by the kubelet's rules, each from its own container states.

// ctrPhase is what a pod's phase needs to know of one container; the zero
// value is a container never created.
type ctrPhase struct {
	created  bool // an instance was created at least once
	running  bool
	done     bool // exited for good under the restart policy
	exitCode int  // the current instance's
}

// podPhase follows the kubelet's rules; of describes a container by name.
func podPhase(pod *api.Pod, initDone bool, of func(name string) ctrPhase) string {
	if !initDone {
		for _, c := range pod.Spec.InitContainers {
			if s := of(c.Name); s.done && s.exitCode != 0 {
				return api.PodFailed
			}
		}
		return api.PodPending
	}
	running, waiting, succeeded, failed := 0, 0, 0, 0
	for _, c := range pod.Spec.Containers {
		s := of(c.Name)
		switch {
		case !s.created:
			waiting++
		case s.running:
			running++
		case s.done && s.exitCode == 0:
			succeeded++
		case s.done:
			failed++
		default:
			running++ // exited and about to restart: the pod still runs
		}
	}
	switch {
	case waiting > 0:
		return api.PodPending
	case running > 0:
		return api.PodRunning
	case failed > 0:
		return api.PodFailed
	case succeeded > 0:
		return api.PodSucceeded
	}
	return api.PodPending
}

// podConditions are the four conditions a node writes: Initialized, Ready
// (podReady, else notReady), ContainersReady (ctrsReady, else notReady) and
// PodScheduled. A condition whose status is unchanged from prev keeps its
// lastTransitionTime.
func podConditions(prev []api.PodCondition, initDone, podReady, ctrsReady bool, notReady string) []api.PodCondition {
	now := api.NewTime(time.Now())
	cond := func(typ string, ok bool, reason string) api.PodCondition {
		c := api.PodCondition{Type: typ, Status: api.ConditionFalse, LastTransitionTime: now}
		if ok {
			c.Status = api.ConditionTrue
		} else {
			c.Reason = reason
		}
		for _, p := range prev {
			if p.Type == typ && p.Status == c.Status && p.LastTransitionTime != nil {
				c.LastTransitionTime = p.LastTransitionTime
			}
		}
		return c
	}
	return []api.PodCondition{
		cond(api.PodInitialized, initDone, "ContainersNotInitialized"),
		cond(api.PodReady, podReady, notReady),
		cond(api.ContainersReady, ctrsReady, notReady),
		cond(api.PodScheduled, true, ""),
	}
}
