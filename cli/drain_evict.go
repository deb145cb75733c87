package cli

import (
	"context"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/berth-dev/berth/api"
)

// drainPod is one pod drain evicts.
type drainPod struct {
	u        fields
	owner    *paceGroup // the Deployment whose budget paces it; nil: not paced
	evicting bool       // the DELETE was sent (or the pod was already gone)
	gone     bool       // no pod with its uid is on the node any more
}

func (p *drainPod) id() string { return p.u.namespace() + "/" + p.u.name() }

// paceGroup is one Deployment whose pods drain evicts, at most maxUnavailable down
// at a time.
type paceGroup struct {
	ns, name, uid string
	said          string // the last waiting line printed, so it is not repeated
}

// evictor deletes a node's pods (Berth has no eviction subresource; a DELETE with a
// uid precondition is the same for a pod without a disruption budget) and waits for
// them to leave the node.
type evictor struct {
	c      *api.Client
	podRes *api.Resource
	node   string
	w      io.Writer
	poll   time.Duration
	grace  *int64 // nil: each pod's own terminationGracePeriodSeconds
}

// pace puts every pod whose controller is a ReplicaSet controlled by a Deployment
// into that Deployment's group.
func (e *evictor) pace(ctx context.Context, victims []*drainPod) error {
	rsRes, err := resolveKind("replicasets")
	if err != nil {
		return err
	}
	setsByNS := map[string]map[string]fields{} // namespace -> ReplicaSet uid -> ReplicaSet
	groups := map[string]*paceGroup{}
	for _, p := range victims {
		ctrl := controllerOf(p.u)
		if ctrl == nil || ctrl.str("kind") != "ReplicaSet" {
			continue
		}
		ns := p.u.namespace()
		sets, ok := setsByNS[ns]
		if !ok {
			l, err := e.c.List(ctx, rsRes, ns, api.ListOptions{Consistent: true})
			if err != nil {
				return err
			}
			items, err := itemsOf(rsRes, l)
			if err != nil {
				return err
			}
			sets = map[string]fields{}
			for _, it := range items {
				sets[it.u.str("metadata", "uid")] = it.u
			}
			setsByNS[ns] = sets
		}
		rs := sets[ctrl.str("uid")]
		dep := controllerOf(rs)
		if dep == nil || dep.str("kind") != "Deployment" {
			continue
		}
		key := ns + "/" + dep.str("name")
		if groups[key] == nil {
			groups[key] = &paceGroup{ns: ns, name: dep.str("name"), uid: dep.str("uid")}
		}
		p.owner = groups[key]
	}
	return nil
}

// evict deletes the pods as their groups allow and waits until all are gone.
func (e *evictor) evict(ctx context.Context, victims []*drainPod) error {
	t := time.NewTicker(e.poll)
	defer t.Stop()
	for {
		if err := e.start(ctx, victims); err != nil {
			return err
		}
		done, err := e.reap(ctx, victims)
		if err != nil || done {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// start sends the DELETE of every pod not yet evicted whose group has room now.
func (e *evictor) start(ctx context.Context, victims []*drainPod) error {
	room := map[*paceGroup]int{}
	for _, p := range victims {
		if p.evicting {
			continue
		}
		if g := p.owner; g != nil {
			n, ok := room[g]
			if !ok {
				var msg string
				var err error
				if n, msg, err = e.room(ctx, g); err != nil {
					return err
				}
				if n <= 0 && msg != g.said {
					fmt.Fprint(e.w, msg)
					g.said = msg
				}
			}
			if n <= 0 {
				room[g] = 0
				continue
			}
			room[g], g.said = n-1, ""
		}
		if err := e.delete(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

func (e *evictor) delete(ctx context.Context, p *drainPod) error {
	fmt.Fprintf(e.w, "evicting pod %s\n", p.id())
	_, err := e.c.Delete(ctx, e.podRes, p.u.namespace(), p.u.name(), api.DeleteOptions{
		GracePeriodSeconds: e.grace,
		Preconditions:      &api.Preconditions{UID: p.u.str("metadata", "uid")},
	})
	// A conflict means the uid is gone, replaced by a pod of the same name.
	if r := api.ReasonOf(err); err == nil || r == api.ReasonNotFound || r == api.ReasonConflict {
		p.evicting = true
		return nil
	}
	return fmt.Errorf("evicting pod %s: %w", p.id(), err)
}

// reap lists the node's pods and reports the evicted ones that left; done says all did.
func (e *evictor) reap(ctx context.Context, victims []*drainPod) (bool, error) {
	l, err := e.c.List(ctx, e.podRes, "", api.ListOptions{FieldSelector: "spec.nodeName=" + e.node, Consistent: true})
	if err != nil {
		return false, err
	}
	pods, err := itemsOf(e.podRes, l)
	if err != nil {
		return false, err
	}
	present := map[string]bool{}
	for _, p := range pods {
		present[p.u.str("metadata", "uid")] = true
	}
	done := true
	for _, p := range victims {
		switch {
		case p.gone:
		case p.evicting && !present[p.u.str("metadata", "uid")]:
			fmt.Fprintf(e.w, "pod/%s evicted\n", p.u.name())
			p.gone = true
		default:
			done = false
		}
	}
	return done, nil
}

// left names the pods still on the node, for a timeout's message.
func (e *evictor) left(victims []*drainPod) []string {
	var out []string
	for _, p := range victims {
		if !p.gone {
			out = append(out, p.id())
		}
	}
	return out
}

// room is how many more of a Deployment's pods may go down now: its maxUnavailable
// less the pods already down. Down is counted two ways and the larger wins: from the
// pods themselves (selected, Ready, not terminating), which see an eviction at once,
// and from status.availableReplicas, which also honours minReadySeconds but lags
// the controller. A Deployment that is gone or replaced no longer paces (room is
// unbounded). msg says why the group waits.
func (e *evictor) room(ctx context.Context, g *paceGroup) (int, string, error) {
	depRes, err := resolveKind("deployments")
	if err != nil {
		return 0, "", err
	}
	obj, err := e.c.Get(ctx, depRes, g.ns, g.name, api.GetOptions{Consistent: true})
	if api.ReasonOf(err) == api.ReasonNotFound {
		return math.MaxInt, "", nil
	}
	if err != nil {
		return 0, "", err
	}
	d, ok := obj.(*api.Deployment)
	if !ok || d.UID != g.uid || d.Spec.Selector == nil {
		return math.MaxInt, "", nil
	}
	sel, err := d.Spec.Selector.AsSelector()
	if err != nil {
		return 0, "", fmt.Errorf("cli: deployment %s/%s: spec.selector: %w", g.ns, g.name, err)
	}
	l, err := e.c.List(ctx, e.podRes, g.ns, api.ListOptions{LabelSelector: sel.String(), Consistent: true})
	if err != nil {
		return 0, "", err
	}
	pods, err := itemsOf(e.podRes, l)
	if err != nil {
		return 0, "", err
	}
	ready := 0
	for _, p := range pods {
		if podReady(p.u) {
			ready++
		}
	}
	replicas := 1
	if d.Spec.Replicas != nil {
		replicas = int(*d.Spec.Replicas)
	}
	maxUnavailable := deploymentMaxUnavailable(d, replicas)
	down := max(replicas-ready, replicas-int(d.Status.AvailableReplicas))
	msg := fmt.Sprintf("waiting for deployment %s/%s: %d of %d pods ready, %d available, at most %d may be unavailable\n",
		g.ns, g.name, ready, replicas, d.Status.AvailableReplicas, maxUnavailable)
	return maxUnavailable - down, msg, nil
}

// deploymentMaxUnavailable resolves spec.strategy.rollingUpdate.maxUnavailable
// (default 25%, a percentage of replicas rounded down) and keeps it at least 1, so a
// drain always makes progress once the Deployment is whole.
func deploymentMaxUnavailable(d *api.Deployment, replicas int) int {
	v := api.FromString("25%")
	if ru := d.Spec.Strategy.RollingUpdate; ru != nil && ru.MaxUnavailable != nil {
		v = *ru.MaxUnavailable
	}
	n, err := v.ScaledValue(replicas, false)
	if err != nil {
		n = 0
	}
	return max(1, n)
}
