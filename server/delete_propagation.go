package server

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
	"github.com/berth-dev/berth/server/controller"
)

// orphanRounds bounds how often an Orphan delete looks for dependents again before
// it deletes the owner: a controller may create one while the first are released.
const orphanRounds = 3

// orphanParallel is how many dependents an Orphan delete releases at once (their
// updates share Raft entries).
const orphanParallel = 8

// propagationOf reads a DELETE's propagation policy: the query's propagationPolicy
// wins over the body's, and the legacy orphanDependents (body or query) means Orphan
// when true and Background when false. "" is the default, Background.
func propagationOf(r *http.Request, opts *deleteOptions) (string, error) {
	q := r.URL.Query()
	policy, orphan := opts.PropagationPolicy, opts.OrphanDependents
	if v := q.Get("propagationPolicy"); v != "" {
		policy = v
	}
	if v := q.Get("orphanDependents"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return "", api.NewError(api.ReasonBadRequest, "orphanDependents: invalid value %q: must be true or false", v)
		}
		orphan = &b
	}
	if orphan != nil {
		if policy != "" {
			return "", api.NewError(api.ReasonBadRequest, "orphanDependents and propagationPolicy cannot both be set; use propagationPolicy")
		}
		if *orphan {
			return controller.PropagationOrphan, nil
		}
		return controller.PropagationBackground, nil
	}
	return policy, checkPropagation(policy)
}

// checkPropagation refuses a policy Kubernetes does not have.
func checkPropagation(policy string) error {
	switch policy {
	case "", controller.PropagationBackground, controller.PropagationOrphan, controller.PropagationForeground:
		return nil
	}
	return api.NewError(api.ReasonBadRequest, "propagationPolicy: Unsupported value: %q: supported values: %q, %q, %q",
		policy, controller.PropagationOrphan, controller.PropagationBackground, controller.PropagationForeground)
}

// deleteWithPolicy is the delete of the HTTP API and the controllers' Writer: the
// object goes as deleteObject deletes it, and policy decides the fate of its
// dependents (the objects whose ownerReferences name its uid):
//   - Background ("" too): the owner goes now; the garbage collector deletes them.
//   - Orphan: each dependent first loses its references to the owner, then the
//     owner goes.
//   - Foreground: an owner with dependents is only marked (deletionTimestamp and the
//     foregroundDeletion finalizer); the garbage collector deletes the dependents and
//     then the owner. Without dependents it goes at once.
//
// A namespace ignores the policy (everything in it goes), and a pod takes
// Foreground as Background: its deletionTimestamp already means "stopping". A marked
// owner is answered unchanged, unless grace is 0, the collector's "remove it now".
func (s *Server) deleteWithPolicy(ctx context.Context, t target, cmd raftfsm.Command, grace *int64, policy string) (*raftfsm.Record, error) {
	if err := checkPropagation(policy); err != nil {
		return nil, err
	}
	if t.res.Kind == "Namespace" || (t.res.Kind == "Pod" && policy != controller.PropagationOrphan) {
		return s.deleteObject(ctx, t, cmd, grace)
	}
	cur, ok, err := s.getVerified(ctx, t.res, t.namespace, t.name, false)
	if err != nil || !ok {
		return nil, cmp.Or(err, error(notFound(t.res, t.name)))
	}
	if err := checkDeletePreconditions(t, cmd, cur); err != nil {
		return nil, err
	}
	if t.res.Kind != "Pod" && controller.OrphanPending(cur.Object) {
		policy = controller.PropagationOrphan // finish what began
	}
	if t.res.Kind != "Pod" && controller.ForegroundPending(cur.Object) {
		if grace != nil && *grace == 0 {
			return s.deleteObject(ctx, t, cmd, grace)
		}
		return cur, nil
	}
	uid := cur.Object.GetObjectMeta().UID
	switch policy {
	case controller.PropagationOrphan:
		if t.res.Kind != "Pod" && s.hasDependents(uid) {
			// Mark the owner first, as Kubernetes' orphan finalizer does: its
			// controller then stops adopting what is being released (a Deployment
			// would take its ReplicaSet straight back), and the collector finishes
			// the release if this server dies half-way.
			if _, err := s.markDeleting(ctx, t, cmd, controller.FinalizerOrphan); err != nil {
				return nil, err
			}
			cmd.ResourceVersion = 0 // checked above; the mark changed it
		}
		if err := s.orphanDependents(ctx, uid); err != nil {
			return nil, err
		}
	case controller.PropagationForeground:
		if s.hasDependents(uid) {
			return s.markDeleting(ctx, t, cmd, controller.FinalizerForeground)
		}
	}
	rec, err := s.deleteObject(ctx, t, cmd, grace)
	if policy == controller.PropagationOrphan && api.ReasonOf(err) == api.ReasonNotFound {
		return cur, nil // the collector finished this orphaning first
	}
	return rec, err
}

// checkDeletePreconditions checks a delete's uid and resourceVersion against cur
// before any dependent is touched.
func checkDeletePreconditions(t target, cmd raftfsm.Command, cur *raftfsm.Record) error {
	if cmd.UID != "" && cmd.UID != cur.Object.GetObjectMeta().UID {
		return api.NewError(api.ReasonConflict, "%s %q: precondition failed: uid %s does not match the stored object's", t.res.Plural, t.name, cmd.UID)
	}
	if cmd.ResourceVersion != 0 && cmd.ResourceVersion != cur.RV {
		return conflict(t.res, t.name)
	}
	return nil
}

// dependent is one object that names an owner.
type dependent struct {
	res *api.Resource
	uid string
}

// dependentsOf lists the objects of every kind whose ownerReferences name uid.
func (s *Server) dependentsOf(uid string) []dependent {
	var out []dependent
	for _, res := range api.Resources() {
		for _, rec := range s.fsm.ListByOwner(res, uid) {
			out = append(out, dependent{res, rec.Object.GetObjectMeta().UID})
		}
	}
	return out
}

func (s *Server) hasDependents(uid string) bool {
	for _, res := range api.Resources() {
		if len(s.fsm.ListByOwner(res, uid)) > 0 {
			return true
		}
	}
	return false
}

// orphanDependents removes the references to ownerUID from every dependent, a few
// at a time, and looks again in case a controller made one meanwhile.
func (s *Server) orphanDependents(ctx context.Context, ownerUID string) error {
	for range orphanRounds {
		deps := s.dependentsOf(ownerUID)
		if len(deps) == 0 {
			return nil
		}
		work := make(chan dependent)
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			firstErr error
		)
		for range min(orphanParallel, len(deps)) {
			wg.Go(func() {
				for d := range work {
					if err := s.releaseDependent(ctx, d, ownerUID); err != nil {
						mu.Lock()
						firstErr = cmp.Or(firstErr, err)
						mu.Unlock()
					}
				}
			})
		}
		for _, d := range deps {
			work <- d
		}
		close(work)
		wg.Wait()
		if firstErr != nil {
			return firstErr
		}
	}
	return nil
}

// releaseDependent removes d's references to ownerUID, with d's resourceVersion as
// precondition, re-reading it after losing a race with another writer.
func (s *Server) releaseDependent(ctx context.Context, d dependent, ownerUID string) error {
	for attempt := 0; ; attempt++ {
		rec, ok := s.fsm.GetByUID(d.res, d.uid)
		if !ok {
			return nil
		}
		obj := api.DeepCopy(rec.Object)
		m := obj.GetObjectMeta()
		kept := slices.DeleteFunc(slices.Clone(m.OwnerReferences), func(r api.OwnerReference) bool { return r.UID == ownerUID })
		if len(kept) == len(m.OwnerReferences) {
			return nil
		}
		if len(kept) == 0 {
			kept = nil
		}
		m.OwnerReferences = kept
		m.ResourceVersion = strconv.FormatUint(rec.RV, 10)
		tm := obj.GetTypeMeta()
		tm.APIVersion, tm.Kind = d.res.APIVersion(), d.res.Kind
		_, err := s.updateObject(ctx, target{res: d.res, namespace: m.Namespace, name: m.Name}, obj)
		switch {
		case err == nil, api.ReasonOf(err) == api.ReasonNotFound, errors.Is(err, raftfsm.ErrNotFound):
			return nil
		case (api.ReasonOf(err) == api.ReasonConflict || errors.Is(err, raftfsm.ErrConflict)) && attempt < updateRetries:
			continue
		}
		return err
	}
}

// markDeleting marks an owner whose deletion waits on its dependents:
// deletionTimestamp, a zero deletionGracePeriodSeconds and the finalizer
// (foregroundDeletion or orphan), as one update. The status is kept; watchers see
// MODIFIED.
func (s *Server) markDeleting(ctx context.Context, t target, cmd raftfsm.Command, finalizer string) (*raftfsm.Record, error) {
	for attempt := 0; ; attempt++ {
		cur, ok, err := s.getVerified(ctx, t.res, t.namespace, t.name, false)
		if err != nil || !ok {
			return nil, cmp.Or(err, error(notFound(t.res, t.name)))
		}
		if err := checkDeletePreconditions(t, cmd, cur); err != nil {
			return nil, err
		}
		if m := cur.Object.GetObjectMeta(); m.DeletionTimestamp != nil && slices.Contains(m.Finalizers, finalizer) {
			return cur, nil
		}
		next := api.DeepCopy(cur.Object)
		m := next.GetObjectMeta()
		zero := int64(0)
		m.DeletionTimestamp, m.DeletionGracePeriodSeconds = api.NewTime(time.Now()), &zero
		if !slices.Contains(m.Finalizers, finalizer) {
			m.Finalizers = append(m.Finalizers, finalizer)
		}
		m.ResourceVersion = strconv.FormatUint(cur.RV, 10)
		body, err := encodeChecked(next)
		if err != nil {
			return nil, err
		}
		rec, err := s.apply(ctx, raftfsm.Command{
			Type: raftfsm.CmdUpdate, Kind: t.res.Kind, Namespace: t.namespace, Name: t.name,
			ResourceVersion: cur.RV, UID: m.UID, Object: body,
		})
		if errors.Is(err, raftfsm.ErrConflict) && cmd.ResourceVersion == 0 && attempt < updateRetries {
			continue
		}
		return rec, err
	}
}
