package server

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/hashicorp/raft"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// leadershipLoop starts leader-only work when this server becomes leader and cancels
// it the moment it is not.
func (s *Server) leadershipLoop(ctx context.Context) {
	obsCh := make(chan raft.Observation, 16)
	obs := raft.NewObserver(obsCh, false, func(o *raft.Observation) bool {
		_, ok := o.Data.(raft.LeaderObservation)
		return ok
	})
	s.node.raft.RegisterObserver(obs)
	defer s.node.raft.DeregisterObserver(obs)

	var stopLeader context.CancelFunc
	// terms holds the leader work of this and earlier terms: the loop returns only
	// once it has ended, so nothing writes into the data dir after Run returns.
	var terms sync.WaitGroup
	defer s.waitLeaderWork(&terms)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		leader := s.node.raft.State() == raft.Leader
		switch {
		case leader && stopLeader == nil:
			var lctx context.Context
			lctx, stopLeader = context.WithCancel(ctx)
			s.log.Info("became leader")
			terms.Go(func() { s.leaderWork(lctx) })
		case !leader && stopLeader != nil:
			s.log.Info("lost leadership")
			s.leaderReady.Store(false)
			stopLeader()
			stopLeader = nil
		}
		select {
		case <-ctx.Done():
			if stopLeader != nil {
				stopLeader()
			}
			s.leaderReady.Store(false)
			return
		case o := <-obsCh:
			if lo, ok := o.Data.(raft.LeaderObservation); ok {
				s.metrics.leaderChanges.Inc()
				if lo.LeaderID != "" && !s.bootstrapped.Load() {
					s.markBootstrapped() // joined through another server's AddVoter
				}
			}
		case <-s.node.raft.LeaderCh():
		case <-t.C:
		}
	}
}

// leaderWorkStopWait bounds how long a stopping server waits for its leader work;
// each piece ends on its context, so only a bug reaches it.
const leaderWorkStopWait = 10 * time.Second

// waitLeaderWork waits for the leader work in terms to end, up to
// leaderWorkStopWait.
func (s *Server) waitLeaderWork(terms *sync.WaitGroup) {
	done := make(chan struct{})
	go func() { terms.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(leaderWorkStopWait):
		s.log.Warn("leader work still running after the stop; not waiting for it", "waited", leaderWorkStopWait)
	}
}

// leaderWork runs while this server leads. It first applies a barrier so the store
// holds everything committed in earlier terms and makes sure the built-in namespaces
// exist, then serves writes and consistent reads.
func (s *Server) leaderWork(ctx context.Context) {
	for {
		err := s.node.raft.Barrier(s.cfg.RequestTimeout).Error()
		if err == nil {
			break
		}
		s.log.Warn("leader barrier failed", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
	if ctx.Err() != nil {
		return
	}
	// The framing of this term's entries: binary only once every server reads it.
	s.prop.setBinary(s.everyServerReadsBinary(s.aliveServers()))
	// The built-in namespaces exist before the first request is served, so a write
	// into "default" right after an election never finds it missing.
	s.ensureDefaultNamespaces(ctx)
	s.ensureAuthDefaults(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	s.startKeyring(ctx, &wg)
	s.leaderReady.Store(true)
	wg.Go(func() { s.events.run(ctx) })
	wg.Go(func() { s.runScheduler(ctx) })
	s.addNewVoters(s.aliveServers())
	wg.Go(func() { s.runControllers(ctx) })
	<-ctx.Done()
	s.leaderReady.Store(false)
}

// builtinNamespaces exist in every cluster, as in Kubernetes.
var builtinNamespaces = []string{"default", "berth-system"}

func (s *Server) ensureDefaultNamespaces(ctx context.Context) {
	res, _ := api.ResourceForKind("Namespace")
	for _, name := range builtinNamespaces {
		if _, ok := s.fsm.Get(res, "", name); ok {
			continue
		}
		ns := res.New()
		ns.GetObjectMeta().Name = name
		_, err := s.createObject(ctx, res, ns)
		if err != nil && !errors.Is(err, raftfsm.ErrAlreadyExists) && api.ReasonOf(err) != api.ReasonAlreadyExists {
			s.log.Warn("creating namespace", "name", name, "err", err)
		}
	}
}
