package server

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// namespaceFinalizer is the finalizer Kubernetes keeps in a terminating namespace's
// spec: the namespace controller's promise to empty it before it goes.
const namespaceFinalizer = "kubernetes"

// deleteNamespace deletes a namespace in two steps, as Kubernetes does. The first
// DELETE only marks it (deletionTimestamp, spec.finalizers "kubernetes",
// status.phase Terminating); from then on nothing new may be created in it, and the
// namespace controller deletes its contents. A later DELETE with a zero grace period
// of a terminating namespace that holds nothing removes it (the controller's last
// step); any other later DELETE answers the terminating namespace unchanged. cmd is
// the removal with the request's preconditions.
func (s *Server) deleteNamespace(ctx context.Context, t target, cmd raftfsm.Command, grace *int64) (*raftfsm.Record, error) {
	if slices.Contains(builtinNamespaces, t.name) {
		return nil, api.NewError(api.ReasonForbidden, "namespaces %q is forbidden: this namespace may not be deleted", t.name)
	}
	for attempt := 0; ; attempt++ {
		cur, ok, err := s.getVerified(ctx, t.res, "", t.name, false)
		if err != nil || !ok {
			return nil, cmp.Or(err, error(notFound(t.res, t.name)))
		}
		ns, ok := cur.Object.(*api.Namespace)
		if !ok {
			return nil, api.NewError(api.ReasonInternalError, "namespaces %q: stored object is a %T", t.name, cur.Object)
		}
		if err := checkDeletePreconditions(t, cmd, cur); err != nil {
			return nil, err
		}
		if ns.DeletionTimestamp != nil {
			if grace != nil && *grace == 0 && s.namespaceEmpty(t.name) {
				return s.apply(ctx, cmd)
			}
			return cur, nil
		}
		rec, err := s.markTerminating(ctx, t, cur, ns)
		if errors.Is(err, raftfsm.ErrConflict) && cmd.ResourceVersion == 0 && attempt < updateRetries {
			continue // another write won the race: mark the newer version
		}
		return rec, err
	}
}

// markTerminating stamps the deletion (an update, conditional on cur's version) and
// then the Terminating phase (a status update: an update keeps the stored status).
// The deletionTimestamp is what makes a namespace terminating; should the second
// write fail, the namespace controller sets the phase.
func (s *Server) markTerminating(ctx context.Context, t target, cur *raftfsm.Record, ns *api.Namespace) (*raftfsm.Record, error) {
	next := api.DeepCopy(ns).(*api.Namespace)
	zero := int64(0)
	next.DeletionTimestamp, next.DeletionGracePeriodSeconds = api.NewTime(time.Now()), &zero
	if !slices.Contains(next.Spec.Finalizers, namespaceFinalizer) {
		next.Spec.Finalizers = append(next.Spec.Finalizers, namespaceFinalizer)
	}
	next.Status.Phase = api.NamespaceTerminating
	next.ResourceVersion = strconv.FormatUint(cur.RV, 10)
	body, err := encodeChecked(next)
	if err != nil {
		return nil, err
	}
	rec, err := s.apply(ctx, raftfsm.Command{
		Type: raftfsm.CmdUpdate, Kind: t.res.Kind, Name: t.name, ResourceVersion: cur.RV, UID: ns.UID, Object: body,
	})
	if err != nil {
		return nil, err
	}
	st, err := s.apply(ctx, raftfsm.Command{
		Type: raftfsm.CmdUpdateStatus, Kind: t.res.Kind, Name: t.name, UID: ns.UID, Object: body,
	})
	if err != nil {
		s.log.Warn("namespace marked for deletion, but its phase was not set", "namespace", t.name, "err", err)
		return rec, nil
	}
	return st, nil
}

// namespaceEmpty reports whether no namespaced object of any kind is left in ns.
func (s *Server) namespaceEmpty(ns string) bool {
	for _, res := range api.Resources() {
		if !res.Namespaced {
			continue
		}
		if recs, _ := s.fsm.List(res, ns); len(recs) > 0 {
			return false
		}
	}
	return true
}

// refuseTerminating refuses a create into a namespace being deleted, as Kubernetes'
// NamespaceLifecycle admission does: nothing new may start where everything is
// being removed. nsRec is the namespace's stored record.
func refuseTerminating(res *api.Resource, name string, nsRec *raftfsm.Record) error {
	m := nsRec.Object.GetObjectMeta()
	if m.DeletionTimestamp == nil {
		return nil
	}
	return api.NewError(api.ReasonForbidden,
		"%s %q is forbidden: unable to create new content in namespace %s because it is being terminated", res.Plural, name, m.Name)
}
