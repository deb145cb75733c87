package server

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/hashicorp/raft"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	addr, id := s.node.raft.LeaderWithID()
	// Raft's applied index, not the FSM's: barrier and no-op entries (every consistent
	// read commits one) never reach the FSM, whose index would then lag forever.
	// Catching up matters once, after a start: later, on a busy cluster, the applied
	// index trails the commit index by an entry or two at any instant, which is not a
	// reason to leave the load balancer.
	applied, commit := s.node.raft.AppliedIndex(), s.node.raft.CommitIndex()
	if addr != "" && commit > 0 && applied >= commit {
		s.caughtUp.Store(true)
	}
	switch {
	case addr == "" || id == "":
		writeError(w, api.NewError(api.ReasonServiceUnavailable, "no leader known"))
	case !s.caughtUp.Load():
		writeError(w, api.NewError(api.ReasonServiceUnavailable, "catching up: applied %d of %d", applied, commit))
	case s.cfg.ReadyCheck != nil:
		if err := s.cfg.ReadyCheck(); err != nil {
			writeError(w, api.NewError(api.ReasonServiceUnavailable, "not ready: %v", err))
			return
		}
		w.Write([]byte("ok"))
	default:
		w.Write([]byte("ok"))
	}
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	addr, id := s.node.raft.LeaderWithID()
	st := s.node.raft.State()
	clusterCIDR, serviceCIDR, nodePorts := s.serviceNetworks()
	writeJSON(w, http.StatusOK, api.ServerStatus{
		ID: s.cfg.Name, State: st.String(), Leader: st == raft.Leader,
		LeaderID: string(id), LeaderAddr: string(addr),
		AppliedIndex: s.fsm.Index(), CommitIndex: s.node.raft.CommitIndex(),
		Objects: s.fsm.Count(), Version: s.cfg.Version,
		ClusterCIDR: clusterCIDR, ServiceCIDR: serviceCIDR, ServiceNodePortRange: nodePorts,
	})
}

func (s *Server) handleMembers(w http.ResponseWriter, r *http.Request) {
	members := s.gossip.Members()
	out := make([]api.Member, 0, len(members))
	for _, m := range members {
		out = append(out, api.Member{
			Name: m.Name, Addr: m.Addr, State: string(m.State), Role: m.Meta.Role, ID: m.Meta.ID,
			HTTPAddr: m.Meta.HTTPAddr, RaftAddr: m.Meta.RaftAddr, Version: m.Meta.Version,
		})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handlePeers(w http.ResponseWriter, r *http.Request) {
	f := s.node.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		writeError(w, fmt.Errorf("reading raft configuration: %w", err))
		return
	}
	_, leader := s.node.raft.LeaderWithID()
	out := []api.RaftPeer{}
	for _, srv := range f.Configuration().Servers {
		out = append(out, api.RaftPeer{
			ID: string(srv.ID), Address: string(srv.Address),
			Leader: srv.ID == leader, Voter: srv.Suffrage == raft.Voter,
		})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleRemovePeer(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !s.onLeader(w, r) {
		return
	}
	f := s.node.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		writeError(w, err)
		return
	}
	found := false
	for _, srv := range f.Configuration().Servers {
		found = found || string(srv.ID) == id
	}
	if !found {
		writeError(w, api.NewError(api.ReasonNotFound, "raft peer %q not found", id))
		return
	}
	s.noteRemoval(id)
	if err := s.node.raft.RemoveServer(raft.ServerID(id), 0, s.cfg.RequestTimeout).Error(); err != nil {
		s.forgetRemoval(id)
		writeError(w, classifyRaftError(err))
		return
	}
	s.log.Info("raft peer removed", "id", id)
	writeJSON(w, http.StatusOK, map[string]string{"removed": id})
}

// snapshotMagic starts every snapshot file, followed by one line of JSON metadata and
// then the FSM's own stream.
const snapshotMagic = "BERTH-SNAPSHOT-1\n"

// handleSnapshotSave streams a snapshot. It is taken on the leader behind a read
// barrier, so it holds every write acknowledged before the request; ?stale=true takes
// it from this server's store as it is.
func (s *Server) handleSnapshotSave(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("stale") != "true" {
		if !s.onLeader(w, r) {
			return
		}
		if err := s.barrier.wait(r.Context()); err != nil {
			writeError(w, err)
			return
		}
	}
	meta, rc, err := s.openSnapshot()
	if err != nil {
		writeError(w, err)
		return
	}
	defer rc.Close()
	hdr, _ := json.Marshal(meta)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("X-Berth-Snapshot-Index", fmt.Sprint(meta.Index))
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, snapshotMagic)
	w.Write(append(hdr, '\n'))
	io.Copy(w, rc)
}

// openSnapshot takes a fresh snapshot, or opens the latest one when nothing changed.
func (s *Server) openSnapshot() (*raft.SnapshotMeta, io.ReadCloser, error) {
	f := s.node.raft.Snapshot()
	if err := f.Error(); err == nil {
		return f.Open()
	} else if !errors.Is(err, raft.ErrNothingNewToSnapshot) {
		return nil, nil, fmt.Errorf("taking a snapshot: %w", err)
	}
	list, err := s.node.snaps.List()
	if err != nil || len(list) == 0 {
		return nil, nil, fmt.Errorf("no snapshot available: %v", err)
	}
	return s.node.snaps.Open(list[0].ID)
}

func (s *Server) handleSnapshotRestore(w http.ResponseWriter, r *http.Request) {
	if !s.onLeader(w, r) {
		return
	}
	// Spool the upload and check it restores into a scratch store first: raft.Restore
	// persists the snapshot before the FSM reads it, so a corrupt file must never
	// reach it.
	spool, err := os.CreateTemp(s.cfg.DataDir, "restore-*.snap")
	if err != nil {
		writeError(w, err)
		return
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	if _, err := io.Copy(spool, http.MaxBytesReader(w, r.Body, maxSnapshotBytes)); err != nil {
		writeError(w, api.NewError(api.ReasonBadRequest, "reading the snapshot: %v", err))
		return
	}
	meta, err := readSnapshotHeader(spool)
	if err != nil {
		writeError(w, err)
		return
	}
	offset, _ := spool.Seek(0, io.SeekCurrent)
	if err := raftfsm.New(raftfsm.DefaultConfig()).Restore(io.NopCloser(spool)); err != nil {
		writeError(w, api.NewError(api.ReasonBadRequest, "the snapshot is damaged: %v", err))
		return
	}
	if _, err := spool.Seek(offset, io.SeekStart); err != nil {
		writeError(w, err)
		return
	}
	start := time.Now()
	if err := s.node.raft.Restore(meta, spool, 0); err != nil {
		writeError(w, api.NewError(api.ReasonInternalError, "restore failed: %v", err))
		return
	}
	s.log.Info("snapshot restored", "index", meta.Index, "took", time.Since(start))
	writeJSON(w, http.StatusOK, map[string]any{"restored": true, "index": s.fsm.Index()})
}

// maxSnapshotBytes bounds an uploaded snapshot (a million 1 KiB objects fit well).
const maxSnapshotBytes = 4 << 30

// readSnapshotHeader checks the magic line and reads the metadata line, leaving f at
// the start of the FSM's stream.
func readSnapshotHeader(f *os.File) (*raft.SnapshotMeta, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	br := bufio.NewReader(io.LimitReader(f, 1<<20))
	magic := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != snapshotMagic {
		return nil, api.NewError(api.ReasonBadRequest, "not a Berth snapshot (bad header)")
	}
	line, err := br.ReadBytes('\n')
	var meta raft.SnapshotMeta
	if err == nil {
		err = json.Unmarshal(line, &meta)
	}
	if err != nil {
		return nil, api.NewError(api.ReasonBadRequest, "snapshot metadata: %v", err)
	}
	if _, err := f.Seek(int64(len(snapshotMagic)+len(line)), io.SeekStart); err != nil {
		return nil, err
	}
	return &meta, nil
}
