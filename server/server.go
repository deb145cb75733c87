package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"

	"github.com/berth-dev/berth/gossip"
	"github.com/berth-dev/berth/pki"
	"github.com/berth-dev/berth/raftfsm"
)

// Server is one Berth server: a Raft member that serves the HTTP API.
type Server struct {
	cfg     Config
	log     *slog.Logger
	fsm     *raftfsm.FSM
	node    *raftNode
	gossip  *gossip.Gossip
	prop    *proposer
	barrier *readBarrier
	metrics *metrics
	cidrs   *podCIDRAllocator
	// serviceIPs and nodePorts hand out Services' cluster IPs and node ports (on the
	// leader, from what the store holds plus writes in flight).
	serviceIPs *serviceIPAllocator
	nodePorts  *nodePortAllocator
	// dns answers cluster DNS from the local store; nil when --dns-port is negative.
	dns *serverDNS
	// events records Kubernetes Events for the scheduler and the controllers; its
	// writer runs on the leader.
	events       *eventRecorder
	schedMetrics *schedulerMetrics

	// quotas holds the quota usage of writes admitted and not yet applied.
	quotas quotaLedger

	// tls is this server's certificate (tls.go); nil with --insecure-dev. ca is the
	// cluster CA with its key, which every server holds to sign joins and renewals.
	tls *pki.LiveIdentity
	ca  *pki.CA

	httpLn  net.Listener
	httpSrv *http.Server
	fwd     *forwarder
	// agentRT carries logs and exec to node agents (handle_pod_streams.go).
	agentRT *http.Transport

	raftAddr string // host:port peers reach our Raft transport on
	httpAddr string // host:port of our API

	// leaderReady is true while this server is leader and has applied everything
	// committed before its term (a barrier after the election).
	leaderReady atomic.Bool
	// caughtUp is set the first time /readyz finds, with a leader known, everything
	// committed applied; afterwards a lag of an entry or two is normal, not unready.
	caughtUp atomic.Bool

	bootstrapped atomic.Bool
	stopOnce     sync.Once
	codecWarned  sync.Map // server ids told once that their version is too old to add
	stopped      chan struct{}
	// baseCtx is the parent of every request's context; shutdown cancels it so that
	// long streams (watches) end at once instead of holding the process open.
	baseCtx    context.Context
	cancelBase context.CancelFunc

	// removedMu guards removed: servers an operator removed from Raft, which the
	// leader must not add back while gossip still shows the same incarnation alive.
	removedMu sync.Mutex
	removed   map[string]bool

	// keys encrypt Secrets at rest (keyring.go); keyFetch paces fetching them.
	keys     *keyring
	keyFetch keyFetcher
}

// New opens the data dir, starts Raft, gossip and the HTTP listener. Call Run next.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.logger().With("server", cfg.Name), stopped: make(chan struct{}), removed: map[string]bool{}}
	if cfg.TLS != nil {
		s.cfg.Auth = true // TLS without authentication would be half a lock
		if err := s.setupTLS(); err != nil {
			return nil, err
		}
	}
	s.baseCtx, s.cancelBase = context.WithCancel(context.Background())
	fcfg := raftfsm.DefaultConfig()
	fcfg.WatchWindow = cfg.WatchWindow
	fcfg.Logger = s.log
	s.fsm = raftfsm.New(fcfg)
	keys, err := loadKeyring(filepath.Join(cfg.DataDir, KeyringFile))
	if err != nil {
		return nil, err
	}
	s.keys = keys
	s.metrics = newMetrics(s)
	s.schedMetrics = newSchedulerMetrics(s.metrics.reg)
	s.events = newEventRecorder(s, s.metrics.reg)
	cluster, _ := cfg.clusterPrefix() // checked by Validate
	s.cidrs = newPodCIDRAllocator(cluster)
	svcPrefix, _ := cfg.servicePrefix() // checked by Validate
	s.serviceIPs = newServiceIPAllocator(svcPrefix)
	ports, _ := parsePortRange(cfg.ServiceNodePortRange) // checked by Validate
	s.nodePorts = newNodePortAllocator(ports)

	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.BindAddr, strconv.Itoa(cfg.HTTPPort)))
	if err != nil {
		return nil, fmt.Errorf("server: http listener: %w", err)
	}
	if s.tls != nil {
		ln = tls.NewListener(ln, s.tls.ServerTLS())
	}
	s.httpLn = ln
	s.httpAddr = net.JoinHostPort(cfg.advertise(), strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))

	node, err := openRaft(cfg, s.fsm, s.identity())
	if err != nil {
		ln.Close()
		s.closeDNS()
		return nil, err
	}
	s.node = node
	s.raftAddr = string(node.transport.LocalAddr())
	s.bootstrapped.Store(node.hasState)
	s.prop = newProposer(node.raft, cfg.MaxBatch, cfg.RequestTimeout)
	s.prop.observe = s.metrics.observeApply
	s.barrier = &readBarrier{raft: node.raft, timeout: cfg.RequestTimeout}

	if err := s.startGossip(); err != nil {
		node.close()
		ln.Close()
		s.closeDNS()
		return nil, err
	}
	s.fwd = newForwarder(s)
	s.agentRT = newAgentTransport(s.identity())
	s.httpSrv = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return s.baseCtx },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if err := s.openDNS(); err != nil {
		s.gossip.Shutdown()
		node.close()
		ln.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) localMeta() gossip.Meta {
	return gossip.Meta{
		Role:         "server",
		ID:           s.cfg.Name,
		HTTPAddr:     s.httpAddr,
		RaftAddr:     s.raftAddr,
		Version:      s.cfg.Version,
		Bootstrapped: s.bootstrapped.Load(),
		Expect:       s.cfg.BootstrapExpect,
		Codec:        raftfsm.CodecBinary,
	}
}

func (s *Server) startGossip() error {
	gc := gossip.DefaultConfig()
	gc.Name = s.cfg.Name
	gc.BindAddr = s.cfg.BindAddr
	gc.BindPort = s.cfg.GossipPort
	gc.AdvertiseAddr = s.cfg.AdvertiseAddr
	gc.Meta = s.localMeta()
	gc.Logger = s.log.With("component", "gossip")
	if s.cfg.GossipProbeInterval > 0 {
		gc.ProbeInterval = s.cfg.GossipProbeInterval
	}
	if err := s.setGossipKeys(&gc); err != nil {
		return err
	}
	g, err := gossip.New(gc)
	if err != nil {
		return fmt.Errorf("server: gossip: %w", err)
	}
	s.gossip = g
	return nil
}

// HTTPAddr is the host:port the API listens on.
func (s *Server) HTTPAddr() string { return s.httpAddr }

// RaftAddr is the host:port of the Raft transport.
func (s *Server) RaftAddr() string { return s.raftAddr }

// GossipAddr is the host:port of the gossip listener.
func (s *Server) GossipAddr() string { return s.gossip.Addr() }

// Run serves until ctx is cancelled, then shuts down gracefully: a leader hands its
// leadership over first, then the server leaves gossip and stops Raft.
func (s *Server) Run(ctx context.Context) error {
	loops, stopLoops := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	start := func(f func(context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); f(loops) }()
	}
	start(s.prop.run)
	start(s.leadershipLoop)
	start(s.membershipLoop)
	start(s.metrics.loop)
	start(s.leaderProbeLoop)
	start(s.dnsLoop)
	start(s.keyringFollowLoop)
	start(s.certRenewLoop)

	serveErr := make(chan error, 1)
	go func() { serveErr <- s.httpSrv.Serve(s.httpLn) }()
	s.log.Info("server started", "http", s.httpAddr, "raft", s.raftAddr, "gossip", s.gossip.Addr(), "dns", s.DNSAddr(),
		"bootstrap_expect", s.cfg.BootstrapExpect, "existing_state", s.node.hasState)

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
		err = fmt.Errorf("server: http: %w", err)
	}
	s.shutdown()
	stopLoops()
	wg.Wait()
	return err
}

// shutdown hands leadership over, leaves gossip and stops everything.
func (s *Server) shutdown() {
	s.stopOnce.Do(func() {
		defer close(s.stopped)
		if s.node.raft.State() == raft.Leader && s.otherVoters() > 0 {
			if err := s.node.raft.LeadershipTransfer().Error(); err != nil {
				s.log.Warn("leadership transfer before shutdown failed", "err", err)
			} else {
				s.log.Info("leadership handed over before shutdown")
			}
		}
		s.cancelBase()
		if err := s.gossip.Leave(2 * time.Second); err != nil {
			s.log.Warn("gossip leave", "err", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := s.httpSrv.Shutdown(ctx); err != nil {
			// Watches are long-lived: close them rather than wait.
			s.httpSrv.Close()
		}
		cancel()
		if err := s.node.close(); err != nil && !errors.Is(err, raft.ErrRaftShutdown) {
			s.log.Warn("raft shutdown", "err", err)
		}
		s.gossip.Shutdown()
		s.closeDNS()
		s.log.Info("server stopped")
	})
}

// otherVoters counts the voters besides this server: a single server has no one to hand
// leadership to.
func (s *Server) otherVoters() int {
	f := s.node.raft.GetConfiguration()
	if f.Error() != nil {
		return 0
	}
	n := 0
	for _, srv := range f.Configuration().Servers {
		if srv.Suffrage == raft.Voter && string(srv.ID) != s.cfg.Name {
			n++
		}
	}
	return n
}

// closeDNS closes the DNS listener, if any (Serve also closes it when its context
// ends; closing twice is harmless).
func (s *Server) closeDNS() {
	if s.dns != nil {
		s.dns.ln.Close()
	}
}
