package client

import (
	"context"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/informer"
)

// boundPods selects every pod bound to some node: one watch serves all the
// hollow nodes, and pods waiting for the scheduler never reach this process.
const boundPods = "spec.nodeName!="

// podLoop lists and watches every bound pod until ctx ends, re-listing when
// the watch falls out of the server's window (410).
func (h *Hollow) podLoop(ctx context.Context) {
	in := informer.Informer{
		Source: h.apis, Resource: podRes, FieldSelector: boundPods,
		Replace: func(objs []api.Object) { h.reconcile(typed[*api.Pod](objs)) },
		Event: func(typ string, o api.Object) {
			if pod, ok := o.(*api.Pod); ok {
				h.dispatch(pod, typ == api.WatchDeleted)
			}
		},
		Log:        h.log,
		ListFailed: "list pods failed; retrying",
		WatchBroke: "hollow pod watch broke; resuming",
		Backoff:    informer.Backoff{List: time.Second, Watch: 500 * time.Millisecond},
	}
	in.Run(ctx, "")
}

// dispatch hands a pod event to the pod's hollow node (by spec.nodeName) and
// queues the pod; pods of other nodes are ignored. It never blocks on work.
func (h *Hollow) dispatch(pod *api.Pod, deleted bool) {
	n := h.byName[pod.Spec.NodeName]
	if n == nil || pod.UID == "" {
		return
	}
	h.mu.Lock()
	hp := h.pods[pod.UID]
	if hp == nil {
		if deleted {
			h.mu.Unlock()
			return
		}
		hp = &hollowPod{uid: pod.UID, node: n}
		h.pods[pod.UID] = hp
	}
	h.mu.Unlock()
	hp.observe(pod, deleted)
	n.park(pod.UID)
	h.queue.add(pod.UID)
}

// reconcile applies a fresh list: pods of this process absent from it are gone.
func (h *Hollow) reconcile(pods []*api.Pod) {
	keep := make(map[string]bool, len(pods))
	for _, p := range pods {
		keep[p.UID] = true
		h.dispatch(p, false)
	}
	h.mu.Lock()
	var gone []*hollowPod
	for uid, hp := range h.pods {
		if !keep[uid] {
			gone = append(gone, hp)
		}
	}
	h.mu.Unlock()
	for _, hp := range gone {
		hp.observe(nil, true)
		h.queue.add(hp.uid)
	}
}
