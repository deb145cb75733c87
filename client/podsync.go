package client

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/informer"
	"github.com/berth-dev/berth/client/probe"
	"github.com/berth-dev/berth/client/runtime"
)

// startPods prepares IPAM and back-off, subscribes to engine events, adopts
// what runs, starts a worker per pod bound here and removes orphans. It
// returns the resourceVersion to watch from (kept in a.listRV).
func (a *Agent) startPods(ctx context.Context) error {
	m, err := newIPAM(filepath.Join(a.cfg.DataDir, "ipam"), a.podCIDR())
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.ipam = m
	a.mu.Unlock()
	a.backoff = probe.NewBackoff(a.backoffInitial, a.backoffMax, 0)
	a.pullBackoff = probe.NewBackoff(a.backoffInitial, a.backoffMax, 0)
	a.wg.Go(func() { a.events.run(ctx) })

	// Subscribe before listing so no death between the two is missed.
	evs, errs := a.rt.Events(ctx)
	a.wg.Go(func() { a.routeEvents(ctx, evs, errs) })
	var found []runtime.ContainerStatus
	err = retryUntil(ctx, time.Second, func() error {
		var err error
		found, err = a.rt.ListContainers(ctx)
		return err
	}, a.log, "list containers")
	if err != nil {
		return err
	}
	adopted := groupByPod(found)
	pods, rv, err := a.listPods(ctx)
	if err != nil {
		return err
	}
	a.listRV = rv
	keep := map[string]bool{}
	for _, pod := range pods {
		keep[pod.UID] = true
		a.dispatch(ctx, pod, adopted[pod.UID])
	}
	for uid, ap := range adopted {
		// Only pods this agent gave an IP to are its orphans: other agents may
		// share the engine, and their pods are not bound here either.
		if _, mine := m.lookup(uid); mine && !keep[uid] {
			a.log.Info("removing the containers of a pod no longer bound here", "uid", uid, "pod", ap.namespace+"/"+ap.name)
			a.wg.Go(func() { a.removeOrphan(ctx, uid) })
		}
	}
	m.retain(keep)
	return nil
}

// listPods lists the pods bound to this node, retrying until it works.
func (a *Agent) listPods(ctx context.Context) ([]*api.Pod, string, error) {
	var pods []*api.Pod
	var rv string
	err := retryUntil(ctx, time.Second, func() error {
		return a.apis.do(ctx, func(c *api.Client) error {
			l, err := c.List(ctx, podRes, "", api.ListOptions{FieldSelector: a.fieldSelector()})
			if err != nil {
				return err
			}
			objs, err := l.Objects()
			if err != nil {
				return err
			}
			pods, rv = a.ownPods(objs), l.ResourceVersion
			return nil
		})
	}, a.log, "list pods")
	return pods, rv, err
}

// ownPods keeps the pods of a list that are bound to this node.
func (a *Agent) ownPods(objs []api.Object) []*api.Pod {
	var pods []*api.Pod
	for _, o := range objs {
		if p, ok := o.(*api.Pod); ok && p.Spec.NodeName == a.cfg.Name {
			pods = append(pods, p)
		}
	}
	return pods
}

func (a *Agent) fieldSelector() string { return "spec.nodeName=" + a.cfg.Name }

// syncLoop watches this node's pods from the list's resourceVersion,
// re-listing when the watch is too old (410) (contract 2).
func (a *Agent) syncLoop(ctx context.Context) {
	in := informer.Informer{
		Source: a.apis, Resource: podRes, FieldSelector: a.fieldSelector(),
		Replace: func(objs []api.Object) { a.reconcile(ctx, a.ownPods(objs)) },
		Event: func(typ string, o api.Object) {
			pod, ok := o.(*api.Pod)
			switch {
			case !ok:
			case typ == api.WatchDeleted:
				a.forget(pod.UID)
			default:
				a.dispatch(ctx, pod, nil)
			}
		},
		Log:        a.log,
		ListFailed: "list pods failed; retrying",
		WatchBroke: "pod watch broke; resuming",
		Backoff:    informer.Backoff{List: time.Second, Watch: 500 * time.Millisecond},
	}
	in.Run(ctx, a.listRV)
}

// reconcile applies a fresh list: pods absent from it are gone.
func (a *Agent) reconcile(ctx context.Context, pods []*api.Pod) {
	keep := map[string]bool{}
	for _, p := range pods {
		keep[p.UID] = true
		a.dispatch(ctx, p, nil)
	}
	a.mu.Lock()
	var gone []*podWorker
	for uid, w := range a.workers {
		if !keep[uid] {
			gone = append(gone, w)
		}
	}
	a.mu.Unlock()
	for _, w := range gone {
		w.markGone()
	}
}

// dispatch hands a pod to its worker, starting one if needed.
func (a *Agent) dispatch(ctx context.Context, pod *api.Pod, ap *adoptedPod) {
	if pod.UID == "" {
		return
	}
	if pod.Spec.NodeName != a.cfg.Name {
		a.forget(pod.UID)
		return
	}
	a.mu.Lock()
	w, ok := a.workers[pod.UID]
	if !ok {
		w = newPodWorker(a, pod)
		if ap != nil {
			w.adopt(ap)
		}
		a.workers[pod.UID] = w
		a.wg.Go(func() { w.run(ctx) })
	}
	a.mu.Unlock()
	if ok {
		w.update(pod)
	}
}

// forget tells a pod's worker that the pod left the API.
func (a *Agent) forget(uid string) {
	a.mu.Lock()
	w := a.workers[uid]
	a.mu.Unlock()
	if w != nil {
		w.markGone()
	}
}

func (a *Agent) removeWorker(w *podWorker) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.workers[w.uid] == w {
		delete(a.workers, w.uid)
	}
}

// routeEvents wakes the worker of the pod an engine event is about, so a
// crash is acted on at once rather than at the next resync.
func (a *Agent) routeEvents(ctx context.Context, evs <-chan runtime.ContainerEvent, errs <-chan error) {
	for {
		select {
		case <-ctx.Done():
			return
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			a.log.Warn("engine event stream", "err", err)
		case ev, ok := <-evs:
			if !ok {
				return
			}
			a.mu.Lock()
			w := a.workers[ev.PodUID]
			a.mu.Unlock()
			if w != nil {
				w.wake()
			}
		}
	}
}

// confirmDelete removes the pod object once its containers are gone
// (contract 3: DELETE with gracePeriodSeconds=0, preconditioned on the UID so
// a new pod of the same name is never removed). 404 means done.
func (a *Agent) confirmDelete(ctx context.Context, pod *api.Pod) error {
	return a.apis.confirmPodDelete(ctx, pod)
}

// confirmPodDelete is confirmDelete for any node of this process.
func (p *apiPool) confirmPodDelete(ctx context.Context, pod *api.Pod) error {
	body := []byte(`{"kind":"DeleteOptions","apiVersion":"v1","gracePeriodSeconds":0,"preconditions":{"uid":` +
		strconv.Quote(pod.UID) + `}}`)
	err := p.do(ctx, func(c *api.Client) error {
		resp, err := c.Raw(ctx, http.MethodDelete, podRes.ObjectPath(pod.Namespace, pod.Name), bytes.NewReader(body))
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body) // drained, the connection is reused
			_ = resp.Body.Close()
		}
		return err
	})
	if r := api.ReasonOf(err); r == api.ReasonNotFound || r == api.ReasonConflict {
		return nil // gone, or replaced by a new pod of the same name
	}
	return err
}

// ensureNetwork makes the pod network exist, once per agent run.
func (a *Agent) ensureNetwork(ctx context.Context) error {
	a.netMu.Lock()
	defer a.netMu.Unlock()
	if a.netReady {
		return nil
	}
	if err := a.rt.EnsureNetwork(ctx, a.cfg.PodNetwork, a.networkSubnet()); err != nil {
		return err
	}
	a.netReady = true
	return nil
}

// retryUntil calls fn until it succeeds or ctx ends, waiting every in between.
func retryUntil(ctx context.Context, every time.Duration, fn func() error, log *slog.Logger, what string) error {
	for {
		err := fn()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		log.Warn(what+" failed; retrying", "err", err)
		if !sleepCtx(ctx, every) {
			return ctx.Err()
		}
	}
}

// sleepCtx waits d or until ctx ends; it reports whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	return host, port, err
}
