package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"syscall"
	"time"

	"github.com/hashicorp/raft"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/gossip"
)

// forwardedHeader marks a request a follower passed to the leader; a server that gets
// one while not leader answers 503 instead of forwarding again (no loops).
const forwardedHeader = "X-Berth-Forwarded-By"

// leaderWait bounds how long a request waits for an election to finish before it is
// answered 503: long enough to ride out a normal failover (about a second), so clients
// rarely see the election at all.
const leaderWait = 3 * time.Second

// forwarder passes writes and consistent reads from a follower to the leader.
type forwarder struct {
	s     *Server
	proxy *httputil.ReverseProxy
}

func newForwarder(s *Server) *forwarder {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     90 * time.Second,
		TLSClientConfig:     s.peerTLS(),
	}
	f := &forwarder{s: s}
	f.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			addr, _ := pr.In.Context().Value(leaderAddrKey{}).(string)
			pr.Out.URL.Scheme = s.apiScheme()
			pr.Out.URL.Host = addr
			pr.Out.Host = addr
			pr.Out.Header.Set(forwardedHeader, s.cfg.Name)
			setForwardedUser(pr.In.Context(), pr.Out.Header)
		},
		Transport:     tr,
		FlushInterval: -1, // stream as it comes (watches, snapshots)
		ErrorHandler:  f.proxyError,
		ErrorLog:      nil,
	}
	return f
}

type leaderAddrKey struct{}

// proxyError answers when the leader could not be reached. A refused connection means
// the request never left: safe to retry (503). Anything else on a write may have
// reached the leader: the outcome is unknown (504).
func (f *forwarder) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Method == http.MethodGet || errors.Is(err, syscall.ECONNREFUSED) {
		writeError(w, noLeader())
		return
	}
	writeError(w, api.NewError(api.ReasonTimeout,
		"the leader did not answer; the request may or may not have been applied: %v", err))
}

// forward sends the request to the leader at addr.
func (f *forwarder) forward(w http.ResponseWriter, r *http.Request, addr string) {
	ctx := context.WithValue(r.Context(), leaderAddrKey{}, addr)
	f.proxy.ServeHTTP(w, r.WithContext(ctx))
}

// leaderRoute says where a request that needs the leader should go: handled here
// (self) or forwarded to addr. It waits out an election for up to leaderWait.
func (s *Server) leaderRoute(ctx context.Context, r *http.Request) (self bool, addr string, err error) {
	ctx, cancel := context.WithTimeout(ctx, leaderWait)
	defer cancel()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if s.node.raft.State() == raft.Leader {
			if s.leaderReady.Load() {
				return true, "", nil
			}
		} else if r.Header.Get(forwardedHeader) == "" {
			if addr, ok := s.leaderHTTPAddr(); ok {
				return false, addr, nil
			}
		}
		select {
		case <-ctx.Done():
			return false, "", noLeader()
		case <-t.C:
		}
	}
}

// onLeader routes a request that needs the leader: it reports true when this server
// is the leader and should handle the request itself; otherwise it has forwarded the
// request or answered it (503 when no leader appeared within leaderWait).
func (s *Server) onLeader(w http.ResponseWriter, r *http.Request) bool {
	self, addr, err := s.leaderRoute(r.Context(), r)
	switch {
	case err != nil:
		writeError(w, err)
		return false
	case !self:
		s.fwd.forward(w, r, addr)
		return false
	}
	return true
}

// leaderHTTPAddr finds the leader's API address through gossip metadata.
func (s *Server) leaderHTTPAddr() (string, bool) {
	_, id := s.node.raft.LeaderWithID()
	if id == "" {
		return "", false
	}
	for _, m := range s.gossip.Members() {
		if m.Meta.ID == string(id) && m.State == gossip.StateAlive && m.Meta.HTTPAddr != "" {
			return m.Meta.HTTPAddr, true
		}
	}
	return "", false
}
