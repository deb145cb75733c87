package controller

import (
	"context"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// adoption is the per-run state and the informer handlers of a controller whose
// owners adopt orphan dependents: the ReplicaSet and DaemonSet controllers (pods)
// and the Deployment controller (ReplicaSets). Embedded in the controller; a new
// leadership term starts a new one (see newAdoption).
type adoption struct {
	store  Store
	owners *api.Resource // the owners' kind
	// selectorOf is an owner's spec.selector (nil: adopts nothing; selectors are
	// required and non-empty, so only for an object that is not an owner).
	selectorOf func(owner api.Object) *api.LabelSelector

	queue     *Queue
	orphans   *adoptionCandidates // dependents without a controller
	selectors *selectorCache      // owners' selectors
}

func newAdoption(store Store, owners *api.Resource, selectorOf func(api.Object) *api.LabelSelector) adoption {
	return adoption{
		store: store, owners: owners, selectorOf: selectorOf,
		queue: NewQueue(), orphans: newAdoptionCandidates(), selectors: newSelectorCache(),
	}
}

// onOwner queues the owner and forgets the selector of a deleted one.
func (a *adoption) onOwner(typ raftfsm.EventType, rec *raftfsm.Record) {
	if typ == raftfsm.Deleted {
		a.selectors.forget(rec.Object.GetObjectMeta().UID)
	}
	a.queue.Add(KeyOf(rec.Object))
}

// onDependent queues the dependent's controller when it is of the owners' kind, or
// for an orphan every owner of its namespace that could adopt it.
func (a *adoption) onDependent(typ raftfsm.EventType, rec *raftfsm.Record) {
	dep := rec.Object
	m := dep.GetObjectMeta()
	a.orphans.observe(typ, dep)
	if ref := ControllerOf(dep); ref != nil {
		if ref.Kind == a.owners.Kind {
			a.queue.Add(m.Namespace + "/" + ref.Name)
		}
		return
	}
	if typ == raftfsm.Deleted || m.DeletionTimestamp != nil || len(m.Labels) == 0 {
		return
	}
	recs, _ := a.store.List(a.owners, m.Namespace)
	for _, r := range recs {
		om := r.Object.GetObjectMeta()
		sel := a.selectorOf(r.Object)
		if sel != nil && om.DeletionTimestamp == nil && a.selectors.get(om.UID, sel).Matches(m.Labels) {
			a.queue.Add(KeyOf(r.Object))
		}
	}
}

// claimDependents returns the dependents (of kind res, Go type T) that owner
// controls after adopting the orphans sel matches and releasing the owned ones it
// no longer matches; candidates are the orphans' names (see adoptionCandidates.list).
func claimDependents[T api.Object](ctx context.Context, env Env, res *api.Resource, owner api.Object, sel api.Selector, candidates []string) ([]T, error) {
	uid := owner.GetObjectMeta().UID
	owned := controlledBy(env.Store.ListByOwner(res, uid), uid)
	cl := claimer{w: env.Writer, store: env.Store, res: res, owner: owner, sel: sel}
	objs, err := cl.claim(ctx, owned, candidates)
	out := make([]T, 0, len(objs))
	for _, o := range objs {
		if t, ok := o.(T); ok {
			out = append(out, t)
		}
	}
	return out, err
}
