package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/berth-dev/berth/api"
)

// unboundPods selects the pods no node runs yet.
const unboundPods = "spec.nodeName="

// devBinder binds every unbound pod to the one node of `berth dev`, standing in for
// the scheduler that a later issue brings. It writes through the API like any
// client: an update that sets spec.nodeName, which validation allows only from empty.
type devBinder struct {
	api  *api.Client
	node string
	log  *slog.Logger
	pods *api.Resource
}

func newDevBinder(c *api.Client, node string, log *slog.Logger) *devBinder {
	pods, _ := api.ResourceForKind("Pod")
	return &devBinder{api: c, node: node, log: log, pods: pods}
}

// run lists and watches unbound pods until ctx ends, re-listing after a broken or
// expired watch.
func (b *devBinder) run(ctx context.Context) {
	for {
		err := b.listAndWatch(ctx)
		if ctx.Err() != nil {
			return
		}
		b.log.Debug("binder: watch ended; listing again", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func (b *devBinder) listAndWatch(ctx context.Context) error {
	list, err := b.api.List(ctx, b.pods, "", api.ListOptions{FieldSelector: unboundPods})
	if err != nil {
		return err
	}
	objs, err := list.Objects()
	if err != nil {
		return err
	}
	for _, o := range objs {
		if err := b.bind(ctx, o); err != nil {
			return err
		}
	}
	w, err := b.api.Watch(ctx, b.pods, "", api.WatchOptions{ResourceVersion: list.ResourceVersion, FieldSelector: unboundPods})
	if err != nil {
		return err
	}
	defer w.Close()
	for {
		ev, err := w.Next()
		if err != nil {
			return err
		}
		if ev.Type == api.WatchAdded || ev.Type == api.WatchModified {
			if err := b.bind(ctx, ev.Object); err != nil {
				return err
			}
		}
	}
}

// bind sets the pod's node. The update carries the pod's resourceVersion: a conflict
// means it changed meanwhile, and the watch brings the newer version to bind. Any
// other failure is returned, so that run lists again and retries.
func (b *devBinder) bind(ctx context.Context, o api.Object) error {
	p, ok := o.(*api.Pod)
	if !ok || p.Spec.NodeName != "" || p.DeletionTimestamp != nil {
		return nil
	}
	next := api.DeepCopy(p).(*api.Pod)
	next.Spec.NodeName = b.node
	_, err := b.api.Update(ctx, next)
	switch {
	case err == nil:
		b.log.Debug("binder: bound pod", "namespace", p.Namespace, "pod", p.Name, "node", b.node)
	case api.ReasonOf(err) == api.ReasonConflict, api.ReasonOf(err) == api.ReasonNotFound:
		// changed or deleted meanwhile: the watch has the rest
	default:
		if ctx.Err() == nil {
			b.log.Warn("binder: cannot bind pod; retrying", "namespace", p.Namespace, "pod", p.Name, "err", err)
		}
		return err
	}
	return nil
}
