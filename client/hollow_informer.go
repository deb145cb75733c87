package client

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/berth-dev/berth/api"
)

// boundPods selects every pod bound to some node: one watch serves all the
// hollow nodes, and pods waiting for the scheduler never reach this process.
const boundPods = "spec.nodeName!="

// podLoop lists and watches every bound pod until ctx ends, re-listing when
// the watch falls out of the server's window (410).
func (h *Hollow) podLoop(ctx context.Context) {
	rv := ""
	for ctx.Err() == nil {
		if rv == "" {
			pods, lrv, err := h.listPods(ctx)
			if err != nil {
				return // ctx ended
			}
			h.reconcile(pods)
			rv = lrv
		}
		next, err := h.watchPods(ctx, rv)
		if ctx.Err() != nil {
			return
		}
		rv = next
		switch {
		case api.ReasonOf(err) == api.ReasonGone:
			rv = ""
		case err != nil:
			h.log.Warn("hollow pod watch broke; resuming", "err", err)
			sleepCtx(ctx, 500*time.Millisecond)
		}
	}
}

// listPods lists the bound pods, retrying until it works or ctx ends.
func (h *Hollow) listPods(ctx context.Context) ([]*api.Pod, string, error) {
	var pods []*api.Pod
	var rv string
	err := retryUntil(ctx, time.Second, func() error {
		return h.apis.do(ctx, func(c *api.Client) error {
			l, err := c.List(ctx, podRes, "", api.ListOptions{FieldSelector: boundPods})
			if err != nil {
				return err
			}
			objs, err := l.Objects()
			if err != nil {
				return err
			}
			pods = pods[:0]
			for _, o := range objs {
				if p, ok := o.(*api.Pod); ok {
					pods = append(pods, p)
				}
			}
			rv = l.ResourceVersion
			return nil
		})
	}, h.log, "list pods")
	return pods, rv, err
}

// watchPods follows one watch stream; it returns the last resourceVersion seen.
func (h *Hollow) watchPods(ctx context.Context, rv string) (string, error) {
	var w *api.Watcher
	err := h.apis.do(ctx, func(c *api.Client) error {
		var err error
		w, err = c.Watch(ctx, podRes, "", api.WatchOptions{ResourceVersion: rv, FieldSelector: boundPods, AllowBookmarks: true})
		return err
	})
	if err != nil {
		return rv, err
	}
	defer w.Close()
	for {
		ev, err := w.Next()
		if errors.Is(err, io.EOF) {
			return rv, nil
		}
		if err != nil {
			return rv, err
		}
		if ev.Object == nil {
			continue
		}
		if v := ev.Object.GetObjectMeta().ResourceVersion; v != "" {
			rv = v
		}
		if pod, ok := ev.Object.(*api.Pod); ok && ev.Type != api.WatchBookmark {
			h.dispatch(pod, ev.Type == api.WatchDeleted)
		}
	}
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
