package server

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/hashicorp/raft"

	"github.com/berth-dev/berth/gossip"
	"github.com/berth-dev/berth/raftfsm"
)

// reconcileInterval is how often membership is re-checked without a gossip event; events
// trigger a check at once, the tick only catches what an event could not (a failed
// AddVoter, a lost event).
const reconcileInterval = 2 * time.Second

// peersFile keeps the gossip addresses of the servers last seen, so a restarted server
// finds its cluster from its data dir alone, even without --join.
const peersFile = "peers.json"

// membershipLoop joins gossip, bootstraps Raft when --bootstrap-expect servers are seen,
// and on the leader adds newly seen servers as voters.
func (s *Server) membershipLoop(ctx context.Context) {
	events, cancel := s.gossip.Subscribe()
	defer cancel()
	s.joinKnown(ctx)
	t := time.NewTicker(reconcileInterval)
	defer t.Stop()
	for {
		s.reconcileMembers()
		select {
		case <-ctx.Done():
			return
		case ev := <-events:
			if ev.Type == gossip.EventJoin {
				s.forgetRemoval(ev.Member.Meta.ID) // a new incarnation may be added again
			}
		case <-t.C:
		}
	}
}

// joinKnown joins the --join addresses and the peers remembered in the data dir,
// retrying until one answers: at a cluster's first start the others may not be up yet.
func (s *Server) joinKnown(ctx context.Context) {
	addrs := append(append([]string(nil), s.cfg.Join...), s.loadPeers()...)
	if len(addrs) == 0 {
		return
	}
	backoff := 200 * time.Millisecond
	for {
		n, err := s.gossip.Join(addrs)
		if n > 0 {
			s.log.Info("joined gossip", "contacted", n)
			return
		}
		s.log.Warn("gossip join failed, retrying", "addrs", addrs, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// aliveServers lists the servers gossip sees alive, sorted by name.
func (s *Server) aliveServers() []gossip.Member {
	var out []gossip.Member
	for _, m := range s.gossip.Members() {
		if m.State == gossip.StateAlive && m.Meta.Role == "server" {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (s *Server) reconcileMembers() {
	servers := s.aliveServers()
	s.savePeers(servers)
	if !s.bootstrapped.Load() {
		s.maybeBootstrap(servers)
		return
	}
	if s.node.raft.State() == raft.Leader {
		s.prop.setBinary(s.everyServerReadsBinary(servers))
		s.addNewVoters(servers)
	}
}

// everyServerReadsBinary reports whether every server of the Raft configuration is
// alive in servers and reads binary log entries. Until then the leader proposes JSON
// entries, which every version reads: a server that cannot decode an entry skips it.
func (s *Server) everyServerReadsBinary(servers []gossip.Member) bool {
	f := s.node.raft.GetConfiguration()
	if f.Error() != nil {
		return false
	}
	codec := map[string]int{}
	for _, m := range servers {
		codec[m.Meta.ID] = m.Meta.Codec
	}
	for _, srv := range f.Configuration().Servers {
		if codec[string(srv.ID)] < raftfsm.CodecBinary {
			return false
		}
	}
	return true
}

// maybeBootstrap bootstraps Raft once BootstrapExpect servers, none of them already part
// of a cluster, are alive. Every one of them computes the same configuration (the first
// BootstrapExpect by name), so they may all bootstrap: identical configurations agree.
func (s *Server) maybeBootstrap(servers []gossip.Member) {
	if s.cfg.BootstrapExpect == 0 {
		return // joining an existing cluster: the leader adds us
	}
	for _, m := range servers {
		if m.Meta.Bootstrapped {
			return // a cluster exists: wait for its leader to add us
		}
		if m.Meta.Expect != 0 && m.Meta.Expect != s.cfg.BootstrapExpect {
			s.log.Error("servers disagree on --bootstrap-expect; not bootstrapping",
				"peer", m.Name, "peer_expect", m.Meta.Expect, "ours", s.cfg.BootstrapExpect)
			return
		}
	}
	if len(servers) < s.cfg.BootstrapExpect {
		return
	}
	chosen := servers[:s.cfg.BootstrapExpect]
	var conf raft.Configuration
	self := false
	for _, m := range chosen {
		self = self || m.Meta.ID == s.cfg.Name
		conf.Servers = append(conf.Servers, raft.Server{
			ID: raft.ServerID(m.Meta.ID), Address: raft.ServerAddress(m.Meta.RaftAddr), Suffrage: raft.Voter,
		})
	}
	if !self {
		return // we are an extra server; the leader adds us
	}
	err := s.node.raft.BootstrapCluster(conf).Error()
	if err != nil && err != raft.ErrCantBootstrap {
		s.log.Error("raft bootstrap failed", "err", err)
		return
	}
	s.log.Info("raft bootstrapped", "servers", len(conf.Servers))
	s.markBootstrapped()
}

func (s *Server) markBootstrapped() {
	s.bootstrapped.Store(true)
	if err := s.gossip.UpdateMeta(s.localMeta()); err != nil {
		s.log.Warn("gossip meta update", "err", err)
	}
}

// addNewVoters adds alive servers that are not in the Raft configuration. Servers that
// left or died are never removed automatically: a rolling restart must not shrink the
// cluster; `berth operator raft remove-peer` removes a dead one for good.
func (s *Server) addNewVoters(servers []gossip.Member) {
	f := s.node.raft.GetConfiguration()
	if f.Error() != nil {
		return
	}
	known := map[raft.ServerID]raft.ServerAddress{}
	for _, srv := range f.Configuration().Servers {
		known[srv.ID] = srv.Address
	}
	for _, m := range servers {
		id, addr := raft.ServerID(m.Meta.ID), raft.ServerAddress(m.Meta.RaftAddr)
		if id == "" || addr == "" {
			continue
		}
		if cur, ok := known[id]; ok && cur == addr {
			continue
		}
		if s.wasRemoved(m.Meta.ID) {
			continue
		}
		if m.Meta.Codec < raftfsm.CodecBinary {
			// It could not read the binary entries already in the log.
			if _, warned := s.codecWarned.LoadOrStore(m.Meta.ID, true); !warned {
				s.log.Warn("not adding a server of an older Berth version: it cannot read this cluster's log; upgrade it",
					"id", id, "version", m.Meta.Version)
			}
			continue
		}
		if err := s.node.raft.AddVoter(id, addr, 0, s.cfg.RequestTimeout).Error(); err != nil {
			s.log.Warn("adding server to raft failed", "id", id, "addr", addr, "err", err)
			continue
		}
		s.log.Info("server added to raft", "id", id, "addr", addr)
	}
}

func (s *Server) loadPeers() []string {
	b, err := os.ReadFile(filepath.Join(s.cfg.DataDir, peersFile))
	if err != nil {
		return nil
	}
	var addrs []string
	if json.Unmarshal(b, &addrs) != nil {
		return nil
	}
	return addrs
}

// savePeers remembers the gossip addresses of the other servers (only when they changed).
func (s *Server) savePeers(servers []gossip.Member) {
	var addrs []string
	for _, m := range servers {
		if m.Name != s.cfg.Name {
			addrs = append(addrs, m.Addr)
		}
	}
	if len(addrs) == 0 {
		return
	}
	b, _ := json.Marshal(addrs)
	path := filepath.Join(s.cfg.DataDir, peersFile)
	if old, err := os.ReadFile(path); err == nil && string(old) == string(b) {
		return
	}
	tmp := path + ".tmp"
	if os.WriteFile(tmp, b, 0o600) == nil {
		os.Rename(tmp, path)
	}
}

// noteRemoval remembers that an operator removed id from Raft.
func (s *Server) noteRemoval(id string) {
	s.removedMu.Lock()
	defer s.removedMu.Unlock()
	s.removed[id] = true
}

func (s *Server) forgetRemoval(id string) {
	s.removedMu.Lock()
	defer s.removedMu.Unlock()
	delete(s.removed, id)
}

func (s *Server) wasRemoved(id string) bool {
	s.removedMu.Lock()
	defer s.removedMu.Unlock()
	return s.removed[id]
}
