package server

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/hashicorp/raft"
)

// Fast failover after a leader's process dies.
//
// hashicorp/raft notices a dead leader only when its heartbeat timeout passes, and a
// follower refuses to vote while it still believes in the old leader, so an election
// waits for the slower of two random timeouts: 1-2 s with LAN timings. But when a
// process dies (crash, OOM kill, kill -9) its machine closes its sockets at once. Each
// follower holds a stream open to the leader's API; when that stream breaks and the
// leader's port then refuses connections, the process is certainly gone, and the
// follower shortens its Raft timeouts to the lease timeout until a new leader is
// known. A machine that vanishes without closing sockets (power loss, cable) still
// takes the normal timeouts: nothing here can elect a leader early on a guess.

const (
	leaderAlivePath = "/v1/internal/leader-alive"
	// leaderAliveTick keeps the stream visibly alive through proxies and lets the leader
	// notice a follower that went away.
	leaderAliveTick = time.Second
)

// handleLeaderAlive holds a stream open while this server leads.
func (s *Server) handleLeaderAlive(w http.ResponseWriter, r *http.Request) {
	if s.node.raft.State() != raft.Leader {
		writeError(w, noLeader())
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	f, _ := w.(http.Flusher)
	t := time.NewTicker(leaderAliveTick)
	defer t.Stop()
	for {
		if _, err := w.Write([]byte{'.'}); err != nil {
			return
		}
		if f != nil {
			f.Flush()
		}
		select {
		case <-r.Context().Done():
			return
		case <-s.stopped:
			return
		case <-t.C:
		}
		if s.node.raft.State() != raft.Leader {
			return
		}
	}
}

// leaderProbeLoop runs on every server; while a follower, it watches the leader's
// process through the stream above.
func (s *Server) leaderProbeLoop(ctx context.Context) {
	hc := &http.Client{Transport: &http.Transport{
		DialContext:       (&net.Dialer{Timeout: time.Second}).DialContext,
		DisableKeepAlives: true,
		TLSClientConfig:   s.peerTLS(),
	}}
	for ctx.Err() == nil {
		addr, id := s.node.raft.LeaderWithID()
		httpAddr, ok := s.leaderHTTPAddr()
		if addr == "" || string(id) == s.cfg.Name || !ok {
			sleepCtx(ctx, 100*time.Millisecond)
			continue
		}
		s.watchLeader(ctx, hc, id, httpAddr)
	}
}

// watchLeader blocks while the leader's stream is open, then decides whether the
// leader's process died.
func (s *Server) watchLeader(ctx context.Context, hc *http.Client, id raft.ServerID, httpAddr string) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.apiScheme()+"://"+httpAddr+leaderAlivePath, nil)
	resp, err := hc.Do(req)
	if err == nil {
		if resp.StatusCode == http.StatusOK {
			io.Copy(io.Discard, resp.Body) // returns when the stream ends
		}
		resp.Body.Close()
	}
	if ctx.Err() != nil {
		return
	}
	if _, cur := s.node.raft.LeaderWithID(); cur != id {
		return // leadership moved on its own
	}
	conn, err := net.DialTimeout("tcp", httpAddr, 200*time.Millisecond)
	if err == nil {
		conn.Close()
		sleepCtx(ctx, 200*time.Millisecond) // alive (e.g. stepping down): look again soon
		return
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		s.fastElection(ctx, id)
		return
	}
	sleepCtx(ctx, 200*time.Millisecond)
}

// fastElection shortens this follower's Raft timeouts until a leader other than dead
// is known (or a few seconds pass), then restores them.
func (s *Server) fastElection(ctx context.Context, dead raft.ServerID) {
	orig := s.node.raft.ReloadableConfig()
	fast := orig
	fast.HeartbeatTimeout = s.cfg.LeaderLeaseTimeout
	fast.ElectionTimeout = s.cfg.LeaderLeaseTimeout
	if err := s.node.raft.ReloadConfig(fast); err != nil {
		s.log.Warn("fast election: reload raft config", "err", err)
		return
	}
	s.log.Info("leader process is gone; electing with short timeouts", "dead_leader", dead)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if _, id := s.node.raft.LeaderWithID(); id != "" && id != dead {
			break
		}
		sleepCtx(ctx, 20*time.Millisecond)
	}
	if err := s.node.raft.ReloadConfig(orig); err != nil {
		s.log.Warn("fast election: restore raft config", "err", err)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
