package client

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/runtime"
)

// orphanGrace is how long an orphan's containers get to stop: the pod object
// (and its grace period) is gone, so the kubelet's minimum is used.
const orphanGrace = 2 * time.Second

// adoptedPod is what the engine holds of one pod when the agent starts.
type adoptedPod struct {
	namespace, name string
	sandboxes       []runtime.ContainerStatus
	ctrs            map[string][]runtime.ContainerStatus // by container name, oldest attempt first
}

// groupByPod sorts the managed containers into pods by their labels.
func groupByPod(all []runtime.ContainerStatus) map[string]*adoptedPod {
	out := map[string]*adoptedPod{}
	for _, c := range all {
		if c.PodUID == "" {
			continue
		}
		ap := out[c.PodUID]
		if ap == nil {
			ap = &adoptedPod{namespace: c.Namespace, name: c.PodName, ctrs: map[string][]runtime.ContainerStatus{}}
			out[c.PodUID] = ap
		}
		if c.Sandbox {
			ap.sandboxes = append(ap.sandboxes, c)
		} else {
			ap.ctrs[c.ContainerName] = append(ap.ctrs[c.ContainerName], c)
		}
	}
	for _, ap := range out {
		byAttempt := func(x, y runtime.ContainerStatus) int { return x.Attempt - y.Attempt }
		slices.SortFunc(ap.sandboxes, byAttempt)
		for _, list := range ap.ctrs {
			slices.SortFunc(list, byAttempt)
		}
	}
	return out
}

// adopt takes over what a previous agent left running: the newest sandbox,
// the newest instance of each container (its attempt is the restart count)
// and the one before it (for lastState). Nothing is restarted here; the first
// sync restarts per policy only what has exited. Called before run.
func (w *podWorker) adopt(ap *adoptedPod) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if n := len(ap.sandboxes); n > 0 {
		sb := ap.sandboxes[n-1]
		for _, s := range ap.sandboxes {
			if s.State == runtime.StateRunning && s.Attempt >= sb.Attempt {
				sb = s
			}
		}
		w.sandboxID, w.sandboxAttempt = sb.ID, ap.sandboxes[n-1].Attempt
		if sb.IP.IsValid() {
			w.ip = sb.IP
			w.a.ipam.reserve(w.uid, sb.IP)
		}
		for _, s := range ap.sandboxes {
			if s.ID != sb.ID {
				_ = w.a.rt.RemoveSandbox(ctx, s.ID)
			}
		}
		if !sb.CreatedAt.IsZero() {
			w.startTime = api.NewTime(sb.CreatedAt)
		}
	}
	if w.pod.Status.StartTime != nil {
		w.startTime = w.pod.Status.StartTime
	}
	for name, list := range ap.ctrs {
		st := w.state(name)
		cur := list[len(list)-1]
		st.id, st.attempt, st.created, st.cur = cur.ID, cur.Attempt, true, cur
		st.running = cur.State == runtime.StateRunning
		if len(list) > 1 {
			prev := list[len(list)-2]
			st.prevID = prev.ID
			t := terminatedOf(prev)
			t.ContainerID = "docker://" + prev.ID
			st.lastTerm = &t
		}
		for _, old := range list[:max(0, len(list)-2)] {
			_ = w.a.rt.RemoveContainer(ctx, old.ID)
		}
	}
	// Volumes exist and secret files are written; rewriting them is harmless
	// but the containers are already using them.
	w.volumesReady = len(ap.ctrs) > 0
}

// removeOrphan removes every trace of a pod that is no longer bound here.
func (a *Agent) removeOrphan(ctx context.Context, uid string) {
	all, err := a.rt.ListContainers(ctx)
	if err != nil {
		a.log.Warn("orphan cleanup: listing containers failed", "err", err)
		return
	}
	for _, c := range all {
		if c.PodUID == uid && !c.Sandbox {
			if c.State == runtime.StateRunning {
				_ = a.rt.StopContainer(ctx, c.ID, orphanGrace)
			}
			_ = a.rt.RemoveContainer(ctx, c.ID)
		}
	}
	a.cleanupPod(ctx, uid)
}

// removeAllManaged removes the containers, sandboxes and volumes of this
// agent's pods and its pod files (Shutdown with removePods). Pods of other
// agents sharing the engine are left alone: only UIDs this agent runs or holds
// an IP for are touched.
func (a *Agent) removeAllManaged(ctx context.Context) error {
	mine := a.knownUIDs()
	all, err := a.rt.ListContainers(ctx)
	if err != nil {
		return err
	}
	for _, c := range all {
		if !c.Sandbox && mine[c.PodUID] {
			err = errors.Join(err, a.rt.RemoveContainer(ctx, c.ID))
		}
	}
	for _, c := range all {
		if c.Sandbox && mine[c.PodUID] {
			err = errors.Join(err, a.rt.RemoveSandbox(ctx, c.ID))
		}
	}
	vols, verr := a.rt.ListVolumes(ctx)
	err = errors.Join(err, verr)
	for _, v := range vols {
		if mine[v.PodUID] {
			err = errors.Join(err, a.rt.RemoveVolume(ctx, v.Name))
		}
	}
	err = errors.Join(err, os.RemoveAll(filepath.Join(a.cfg.DataDir, "pods")))
	return errors.Join(err, os.RemoveAll(filepath.Join(a.cfg.DataDir, "ipam")))
}

// knownUIDs are the pods this agent runs or has allocated an IP to.
func (a *Agent) knownUIDs() map[string]bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[string]bool{}
	for uid := range a.workers {
		out[uid] = true
	}
	if a.ipam != nil {
		a.ipam.mu.Lock()
		for uid := range a.ipam.byUID {
			out[uid] = true
		}
		a.ipam.mu.Unlock()
	}
	return out
}
