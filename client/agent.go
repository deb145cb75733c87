package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/probe"
	"github.com/berth-dev/berth/client/runtime"
	"github.com/berth-dev/berth/client/runtime/docker"
	"github.com/berth-dev/berth/client/runtime/fake"
	"github.com/berth-dev/berth/gossip"
	"github.com/berth-dev/berth/pki"
)

// Sentinel errors of the agent.
var (
	// ErrConfig: the configuration cannot be used (Validate's errors wrap it).
	ErrConfig = errors.New("client: invalid config")
	// ErrNoPodCIDR: the agent stopped before the leader assigned the Node a pod CIDR.
	ErrNoPodCIDR = errors.New("client: node has no pod CIDR")
	// ErrAlreadyRunning: Run was called twice.
	ErrAlreadyRunning = errors.New("client: agent already running")
	// ErrPodGone: the pod is no longer bound to this node.
	ErrPodGone = errors.New("client: pod not on this node")
)

// Agent is the node agent: it registers the Node, runs the pods bound to it
// through a runtime and reports their status. Build it with New or
// NewWithRuntime, then call Run once.
type Agent struct {
	// startSlots bounds the pods being started (sandbox and first containers) at once.
	startSlots chan struct{}

	cfg     Config
	log     *slog.Logger
	rt      runtime.Runtime
	closeRT func() error // nil when the runtime was given by the caller
	apis    *apiPool
	ln      net.Listener
	httpSrv *http.Server
	ready   atomic.Bool
	running atomic.Bool
	events  *recorder

	// Restart and image pull back-off (10 s doubling to 5 min); tests shrink
	// backoffInitial before Run.
	backoffInitial, backoffMax time.Duration
	backoff, pullBackoff       *probe.Backoff
	listRV                     string // the initial pod list's resourceVersion

	netMu    sync.Mutex
	netReady bool

	mu      sync.Mutex
	node    nodeState
	workers map[string]*podWorker // by pod UID
	ipam    *ipam
	wg      sync.WaitGroup // pod workers
	gossip  *gossip.Gossip
	// tls is the node's certificate (tls.go); nil with --insecure-dev.
	tls *pki.LiveIdentity

	runCancel context.CancelFunc
	dns       agentDNS // the node-local DNS and the host's resolv.conf (dns.go)
	runDone   chan struct{}

	// Service networking (servicenet.go).
	clusterCIDR netip.Prefix // guarded by mu; learned from the servers when needed
	proxyRan    atomic.Bool  // the service proxy started: Shutdown cleans its rules
	netpolRan   atomic.Bool  // the network policy enforcer started (netpol_start.go)
}

// New builds an agent with the runtime named by cfg.Runtime and binds the
// client endpoint, so ClientAddr is known before Run.
func New(cfg Config) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	var rt runtime.Runtime
	var closeRT func() error
	switch cfg.Runtime {
	case RuntimeFake:
		rt = fake.New(fake.Config{Hostname: cfg.Name})
	default:
		d, err := docker.New(docker.Config{Host: cfg.DockerHost, InfraImage: cfg.InfraImage})
		if err != nil {
			return nil, fmt.Errorf("client: docker runtime: %w", err)
		}
		rt, closeRT = d, d.Close
	}
	a, err := newAgent(cfg, rt)
	if err != nil && closeRT != nil {
		_ = closeRT()
	}
	if a != nil {
		a.closeRT = closeRT
	}
	return a, err
}

// NewWithRuntime builds an agent on rt (tests, hollow nodes); cfg.Runtime is
// ignored. The caller keeps ownership of rt.
func NewWithRuntime(cfg Config, rt runtime.Runtime) (*Agent, error) {
	if cfg.Runtime == "" {
		cfg.Runtime = RuntimeFake
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if rt == nil {
		return nil, fmt.Errorf("%w: nil runtime", ErrConfig)
	}
	return newAgent(cfg, rt)
}

func newAgent(cfg Config, rt runtime.Runtime) (*Agent, error) {
	if cfg.Count > 1 {
		return nil, fmt.Errorf("%w: --count %d runs hollow nodes (NewHollow), not one agent", ErrConfig, cfg.Count)
	}
	a0 := &Agent{cfg: cfg, log: cfg.logger().With("node", cfg.Name)}
	if cfg.TLS != nil {
		if err := a0.setupTLS(); err != nil {
			return nil, err
		}
	}
	apis, err := newAPIPool(cfg.Servers, cfg.Token, a0.apiTLS())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.BindAddr, strconv.Itoa(cfg.ClientPort)))
	if err != nil {
		return nil, fmt.Errorf("client: listen on the client port: %w", err)
	}
	a := &Agent{
		cfg:     cfg,
		log:     cfg.logger().With("node", cfg.Name),
		rt:      rt,
		apis:    apis,
		ln:      ln,
		workers: map[string]*podWorker{},
		runDone: make(chan struct{}),
		tls:     a0.tls,

		startSlots: make(chan struct{}, maxConcurrentStarts),

		backoffInitial: probe.DefaultBackoffInitial,
		backoffMax:     probe.DefaultBackoffMax,
	}
	a.events = newRecorder(a)
	return a, nil
}

// ClientAddr is the host:port the logs/exec endpoint listens on.
func (a *Agent) ClientAddr() string { return a.ln.Addr().String() }

// Ready reports whether the Node is registered, has a pod CIDR and its last
// heartbeat was written.
func (a *Agent) Ready() bool { return a.ready.Load() }

// Run registers the node and runs its pods until ctx ends. Containers keep
// running when Run returns: a restarted agent adopts them. Use Shutdown to
// remove them.
func (a *Agent) Run(ctx context.Context) error {
	if !a.running.CompareAndSwap(false, true) {
		return ErrAlreadyRunning
	}
	defer close(a.runDone)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a.mu.Lock()
	a.runCancel = cancel
	a.mu.Unlock()

	a.httpSrv = &http.Server{Handler: a.handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = a.httpSrv.Serve(a.endpointListener()) }()
	defer a.stopHTTP()
	go a.certRenewLoop(ctx)

	if len(a.cfg.Join) > 0 {
		if err := a.joinGossip(); err != nil {
			a.log.Warn("gossip join failed", "err", err)
		}
	}
	defer a.leaveGossip()
	if len(a.apis.clients) == 0 {
		if err := a.discoverServers(ctx); err != nil {
			return a.quiet(ctx, err)
		}
	}
	stopIngress, err := a.startIngress(ctx)
	if err != nil {
		return err
	}
	defer stopIngress()
	stopDNS, err := a.startDNS(ctx)
	if err != nil {
		return err
	}
	defer stopDNS()

	if err := a.register(ctx); err != nil {
		return a.quiet(ctx, err)
	}
	if err := a.waitPodCIDR(ctx); err != nil {
		return a.quiet(ctx, err)
	}
	if err := a.learnClusterCIDR(ctx); err != nil {
		return a.quiet(ctx, err)
	}
	if err := a.startPods(ctx); err != nil {
		return a.quiet(ctx, err)
	}
	var loops sync.WaitGroup
	loops.Go(func() { a.heartbeatLoop(ctx) })
	loops.Go(func() { a.syncLoop(ctx) })
	if a.cfg.Proxy {
		loops.Go(func() { a.runProxy(ctx) })
	}
	if a.cfg.NetworkPolicy {
		loops.Go(func() { a.runNetworkPolicy(ctx) })
	}
	<-ctx.Done()
	loops.Wait()
	a.wg.Wait()
	a.ready.Store(false)
	return nil
}

// quiet turns an error caused by ctx ending into a clean stop.
func (a *Agent) quiet(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// Shutdown stops Run (waiting for it within ctx) and, with removePods, removes
// every container, sandbox and volume Berth made on this runtime and the
// agent's pod files — what `berth dev` does on Ctrl-C.
func (a *Agent) Shutdown(ctx context.Context, removePods bool) error {
	a.mu.Lock()
	cancel := a.runCancel
	a.mu.Unlock()
	if cancel != nil {
		cancel()
		select {
		case <-a.runDone:
		case <-ctx.Done():
			return ctx.Err()
		}
	} else {
		_ = a.ln.Close()
	}
	var err error
	if removePods {
		err = a.removeAllManaged(ctx)
		// The pod network goes too when nothing uses it any more (the runtime leaves
		// networks Berth did not create, and one still in use, alone).
		if rerr := a.rt.RemoveNetwork(ctx, a.cfg.PodNetwork); rerr != nil && !errors.Is(rerr, runtime.ErrConflict) {
			a.log.Info("pod network kept", "network", a.cfg.PodNetwork, "err", rerr)
		}
		err = errors.Join(err, a.cleanupProxy(ctx), a.cleanupNetworkPolicy(ctx))
	}
	if a.closeRT != nil {
		err = errors.Join(err, a.closeRT())
	}
	return err
}

func (a *Agent) stopHTTP() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := a.httpSrv.Shutdown(ctx); err != nil {
		_ = a.httpSrv.Close()
	}
}

// handler serves the client endpoint: /healthz, logs and exec (see backend.go).
func (a *Agent) handler() http.Handler {
	return a.streamHandler()
}

func (a *Agent) joinGossip() error {
	cfg := gossip.DefaultConfig()
	cfg.Name = a.cfg.Name
	cfg.BindAddr = a.cfg.BindAddr
	cfg.BindPort = a.cfg.GossipPort
	cfg.AdvertiseAddr = a.cfg.AdvertiseAddr
	cfg.Meta = gossip.Meta{Role: gossip.RoleClient, ID: a.cfg.Name, Version: a.cfg.Version}
	cfg.Logger = a.log
	if err := a.setGossipKeys(&cfg); err != nil {
		return err
	}
	g, err := gossip.New(cfg)
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.gossip = g
	a.mu.Unlock()
	_, err = g.Join(a.cfg.Join)
	return err
}

func (a *Agent) leaveGossip() {
	a.mu.Lock()
	g := a.gossip
	a.gossip = nil
	a.mu.Unlock()
	if g == nil {
		return
	}
	_ = g.Leave(time.Second)
	_ = g.Shutdown()
}

// discoverServers waits until gossip shows at least one alive server and talks to the
// API of every server it shows (--join without --servers).
func (a *Agent) discoverServers(ctx context.Context) error {
	for attempt := 1; ; attempt++ {
		a.mu.Lock()
		g := a.gossip
		a.mu.Unlock()
		var urls []string
		switch {
		case g == nil:
			if err := a.joinGossip(); err != nil {
				a.log.Warn("gossip join failed, retrying", "err", err)
			}
		default:
			for _, m := range g.Members() {
				if m.State == gossip.StateAlive && m.Meta.Role == gossip.RoleServer && m.Meta.HTTPAddr != "" {
					urls = append(urls, a.apiScheme()+"://"+m.Meta.HTTPAddr)
				}
			}
			if len(urls) == 0 && attempt%5 == 0 {
				_, _ = g.Join(a.cfg.Join) // the servers may not have been up at the first try
			}
		}
		if len(urls) > 0 {
			pool, err := newAPIPool(urls, a.cfg.Token, a.apiTLS())
			if err != nil {
				return err
			}
			a.apis.clients = pool.clients
			a.log.Info("found the servers by gossip", "servers", urls)
			return nil
		}
		if !sleepCtx(ctx, 200*time.Millisecond) {
			return ctx.Err()
		}
	}
}

// apiPool rotates across the servers: a call that cannot reach one server
// (not an API answer) moves on to the next. Each pool starts at a random server,
// so clients given the same --servers list spread their watches and reads over
// every server instead of all loading the first.
type apiPool struct {
	clients []*api.Client
	cur     atomic.Uint32
}

func newAPIPool(servers []string, token string, tlsCfg *tls.Config) (*apiPool, error) {
	p := &apiPool{}
	for _, s := range servers {
		c, err := api.NewClient(s, api.WithRetry(5*time.Second), api.WithTimeout(15*time.Second), api.WithToken(token), api.WithTLSConfig(tlsCfg))
		if err != nil {
			return nil, err
		}
		p.clients = append(p.clients, c)
	}
	if len(p.clients) > 1 {
		p.cur.Store(uint32(rand.IntN(len(p.clients))))
	}
	return p, nil
}

// do calls fn on the current server, then on each other one while the error
// is a transport error (an API answer is final: the server was reached).
func (p *apiPool) do(ctx context.Context, fn func(c *api.Client) error) error {
	var err error
	for range p.clients {
		i := p.cur.Load()
		err = fn(p.clients[int(i)%len(p.clients)])
		var apiErr *api.Error
		if err == nil || errors.As(err, &apiErr) || ctx.Err() != nil {
			return err
		}
		p.cur.CompareAndSwap(i, i+1)
	}
	return err
}
