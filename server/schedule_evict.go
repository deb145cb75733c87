package server

import (
	"context"
	"errors"
	"sync"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
	"github.com/berth-dev/berth/server/scheduler"
)

// evictor deletes preemption victims gracefully, exactly as a user's DELETE does: a
// bound pod is marked with its grace period and keeps its room until its node's agent
// has stopped it and removed the object. The uid precondition spares a pod re-created
// under a victim's name.
type evictor struct {
	s *Server
}

var _ scheduler.Evictor = evictor{}

// Evict implements scheduler.Evictor. The victims are deleted concurrently, so the
// proposer puts their writes into one Raft entry. A victim already gone (or replaced
// by a new pod of its name) counts as evicted.
func (e evictor) Evict(ctx context.Context, pods []*api.Pod) error {
	podRes, _ := api.ResourceForKind("Pod")
	errs := make([]error, len(pods))
	var wg sync.WaitGroup
	for i, p := range pods {
		wg.Go(func() {
			t := target{res: podRes, namespace: p.Namespace, name: p.Name}
			cmd := raftfsm.Command{Type: raftfsm.CmdDelete, Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID}
			_, err := e.s.deletePod(ctx, t, cmd, nil)
			switch {
			case api.ReasonOf(err) == api.ReasonNotFound, errors.Is(err, raftfsm.ErrNotFound):
				err = nil // gone already
			case api.ReasonOf(err) == api.ReasonConflict, errors.Is(err, raftfsm.ErrConflict):
				err = nil // only the uid precondition can conflict: the victim is gone
			}
			errs[i] = err
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
