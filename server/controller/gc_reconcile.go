package controller

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// owners sorts an object's ownerReferences by what became of each owner.
type owners struct {
	// solid owners exist and are not being deleted (or cannot be checked: a kind
	// the server does not serve).
	solid []api.OwnerReference
	// dangling owners are gone.
	dangling []api.OwnerReference
	// waiting owners exist and wait for their dependents (ForegroundPending).
	waiting []api.OwnerReference
}

// orphanTakeover is how long an Orphan deletion may stay unfinished before the
// collector finishes it: far longer than the deleting request itself takes.
const orphanTakeover = 30 * time.Second

// reconcile judges the object the key names (kind/uid).
func (gc *GarbageCollector) reconcile(ctx context.Context, key string) error {
	kind, uid := splitGCKey(key)
	res, ok := api.ResourceForKind(kind)
	if !ok {
		return nil
	}
	rec, ok := gc.env.Store.GetByUID(res, uid)
	if !ok {
		return nil
	}
	if res.Kind != "Pod" && ForegroundPending(rec.Object) {
		return gc.finishForeground(ctx, res, rec)
	}
	if res.Kind != "Pod" && OrphanPending(rec.Object) {
		// An Orphan delete that its server did not finish (it died half-way):
		// after a while the server's delete path releases the dependents and
		// removes the owner. Before that, the deleting request is still at work.
		m := rec.Object.GetObjectMeta()
		if wait := orphanTakeover - time.Since(m.DeletionTimestamp.Time); wait > 0 {
			gc.queue.AddAfter(key, wait)
			return nil
		}
		err := gc.env.Writer.Delete(ctx, res, m.Namespace, m.Name, DeleteOptions{UID: m.UID, PropagationPolicy: PropagationOrphan})
		if api.ReasonOf(err) == api.ReasonNotFound {
			return nil
		}
		return err
	}
	m := rec.Object.GetObjectMeta()
	if len(m.OwnerReferences) == 0 || m.DeletionTimestamp != nil {
		return nil // nothing to judge, or already on its way out
	}
	o := gc.classify(m.OwnerReferences)
	policy := PropagationBackground
	switch {
	case len(o.solid) > 0:
		if len(o.dangling) == 0 && len(o.waiting) == 0 {
			return nil
		}
		return gc.dropRefs(ctx, key, res, rec, append(o.dangling, o.waiting...))
	case len(o.waiting) > 0:
		policy = PropagationForeground // an owner waits: its dependents go first, in turn
	}
	// The verdict holds for the object as it was read (a gone owner stays gone), but
	// its references may have changed since: an Orphan delete removes them before it
	// deletes the owner. Judge again if the object changed.
	if again, ok := gc.env.Store.GetByUID(res, uid); !ok || again.RV != rec.RV {
		if ok {
			gc.queue.Add(key)
		}
		return nil
	}
	gc.env.Log.Debug("garbagecollector: deleting an object whose owners are gone",
		"kind", res.Kind, "namespace", m.Namespace, "name", m.Name, "policy", policy)
	err := gc.env.Writer.Delete(ctx, res, m.Namespace, m.Name, DeleteOptions{UID: uid, PropagationPolicy: policy})
	return ignoreGone(err)
}

// classify looks each owner up by uid in the store.
func (gc *GarbageCollector) classify(refs []api.OwnerReference) owners {
	var o owners
	for _, ref := range refs {
		res, ok := ownerResource(ref)
		if !ok {
			o.solid = append(o.solid, ref)
			continue
		}
		owner, ok := gc.env.Store.GetByUID(res, ref.UID)
		switch {
		case !ok:
			o.dangling = append(o.dangling, ref)
		case res.Kind != "Pod" && ForegroundPending(owner.Object):
			o.waiting = append(o.waiting, ref)
		default:
			o.solid = append(o.solid, ref)
		}
	}
	return o
}

// ownerResource resolves a reference's kind; false when the server does not serve
// it (kind unknown, or the apiVersion's group is not the kind's) or the reference
// names no uid, so the owner cannot be checked.
func ownerResource(ref api.OwnerReference) (*api.Resource, bool) {
	res, ok := api.ResourceForKind(ref.Kind)
	if !ok || ref.UID == "" {
		return nil, false
	}
	if ref.APIVersion != "" {
		group, _, versioned := strings.Cut(ref.APIVersion, "/")
		if !versioned {
			group = "" // "v1": the core group
		}
		if group != res.Group {
			return nil, false
		}
	}
	return res, true
}

// dropRefs removes the references to gone or waiting owners from an object another
// owner keeps, with the read version as precondition; waiting owners are queued,
// since this dependent no longer holds them.
func (gc *GarbageCollector) dropRefs(ctx context.Context, key string, res *api.Resource, rec *raftfsm.Record, drop []api.OwnerReference) error {
	obj := api.DeepCopy(rec.Object)
	m := obj.GetObjectMeta()
	m.OwnerReferences = slices.DeleteFunc(m.OwnerReferences, func(r api.OwnerReference) bool {
		return slices.ContainsFunc(drop, func(d api.OwnerReference) bool { return d.UID == r.UID })
	})
	m.ResourceVersion = strconv.FormatUint(rec.RV, 10)
	_, err := gc.env.Writer.Update(ctx, obj)
	switch api.ReasonOf(err) {
	case api.ReasonConflict:
		gc.queue.Add(key) // changed meanwhile: judge the new version
		return nil
	case api.ReasonNotFound:
		return nil
	}
	if err != nil {
		return err
	}
	for _, ref := range drop {
		gc.queue.Add(gcKey(ref.Kind, ref.UID))
	}
	return nil
}

// finishForeground queues the dependents of an owner waiting for them (their own
// judgement deletes them, or drops the reference when another owner keeps them) and
// removes the owner once no dependent with blockOwnerDeletion is left. A zero grace
// period is the Writer's "remove the marked object now".
func (gc *GarbageCollector) finishForeground(ctx context.Context, res *api.Resource, rec *raftfsm.Record) error {
	m := rec.Object.GetObjectMeta()
	blocking := 0
	for _, dres := range gc.kinds {
		for _, dep := range gc.env.Store.ListByOwner(dres, m.UID) {
			dm := dep.Object.GetObjectMeta()
			if blocksOwner(dm, m.UID) {
				blocking++
			}
			if dm.DeletionTimestamp == nil {
				gc.queue.Add(gcKey(dres.Kind, dm.UID))
			}
		}
	}
	if blocking > 0 {
		return nil // each dependent's deletion queues this owner again
	}
	zero := int64(0)
	err := gc.env.Writer.Delete(ctx, res, m.Namespace, m.Name, DeleteOptions{UID: m.UID, GracePeriodSeconds: &zero})
	return ignoreGone(err)
}

// blocksOwner reports whether m's reference to ownerUID has blockOwnerDeletion.
func blocksOwner(m *api.ObjectMeta, ownerUID string) bool {
	for _, ref := range m.OwnerReferences {
		if ref.UID == ownerUID && ref.BlockOwnerDeletion != nil && *ref.BlockOwnerDeletion {
			return true
		}
	}
	return false
}

// ignoreGone treats a delete that found the object gone, or replaced by another of
// the same name (the uid precondition failed), as done.
func ignoreGone(err error) error {
	switch api.ReasonOf(err) {
	case api.ReasonNotFound, api.ReasonConflict:
		return nil
	}
	return err
}
