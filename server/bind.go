package server

import (
	"context"
	"errors"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
	"github.com/berth-dev/berth/server/scheduler"
)

// errBindStale: the pod a binding names is not the one the scheduler placed any
// more (deleted and re-created, already bound, or being deleted).
var errBindStale = errors.New("server: pod changed before its binding")

// binder commits the scheduler's bindings: every Bind call is one batch of pod
// updates that set spec.nodeName, each with the stored pod's resourceVersion and uid
// as preconditions. The members of a batch apply each on its own, so a pod that
// changed meanwhile fails alone.
type binder struct {
	s *Server
}

var _ scheduler.Binder = binder{}

// Bind implements scheduler.Binder.
func (b binder) Bind(ctx context.Context, bindings []scheduler.Binding) []error {
	podRes, _ := api.ResourceForKind("Pod")
	errs := make([]error, len(bindings))
	failed := false
	members := make([]raftfsm.Command, 0, len(bindings))
	at := make([]int, 0, len(bindings))
	for i, bd := range bindings {
		cmd, err := bindCommand(b.s.fsm, podRes, bd)
		if err != nil {
			errs[i], failed = err, true
			continue
		}
		members = append(members, cmd)
		at = append(at, i)
	}
	results, err := b.s.prop.proposeBatch(ctx, members)
	for j, i := range at {
		switch {
		case err != nil:
			errs[i] = err
		case j >= len(results):
			errs[i] = errors.New("server: no result for a binding")
		default:
			errs[i] = results[j].Err
		}
		failed = failed || errs[i] != nil
	}
	if !failed {
		return nil
	}
	return errs
}

// bindCommand is the update that binds one pod, built from the stored pod.
func bindCommand(fsm *raftfsm.FSM, podRes *api.Resource, bd scheduler.Binding) (raftfsm.Command, error) {
	rec, ok := fsm.Get(podRes, bd.PodNamespace, bd.PodName)
	if !ok {
		return raftfsm.Command{}, notFound(podRes, bd.PodName)
	}
	pod, ok := rec.Object.(*api.Pod)
	switch {
	case !ok:
		return raftfsm.Command{}, errBindStale
	case bd.PodUID != "" && pod.UID != bd.PodUID:
		return raftfsm.Command{}, errors.Join(errBindStale, errors.New("uid differs"))
	case pod.Spec.NodeName != "":
		return raftfsm.Command{}, errors.Join(errBindStale, errors.New("already bound to "+pod.Spec.NodeName))
	case pod.DeletionTimestamp != nil:
		return raftfsm.Command{}, errors.Join(errBindStale, errors.New("being deleted"))
	}
	// A shallow copy is enough: only spec.nodeName changes, and the update keeps the
	// stored status, so the entry need not carry it. Generation stays, as with
	// Kubernetes' binding subresource.
	next := *pod
	next.Spec.NodeName = bd.NodeName
	next.Status = api.PodStatus{}
	body, err := api.Encode(&next)
	if err != nil {
		return raftfsm.Command{}, err
	}
	return raftfsm.Command{
		Type: raftfsm.CmdUpdate, Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name,
		ResourceVersion: rec.RV, UID: pod.UID, Object: body,
	}, nil
}
