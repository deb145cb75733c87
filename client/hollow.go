package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	"github.com/berth-dev/berth/client/runtime/fake"
)

// Tuning of a Hollow, each with its reason. Tests may shrink them before Run.
const (
	// hollowRegisterConcurrency is how many Node creates are in flight: enough
	// that the server's batching proposer puts dozens in one Raft entry, few
	// enough that a loopback cluster on two cores is not swamped.
	hollowRegisterConcurrency = 32
	// hollowWorkers is how many pods are synced (and their status written) at
	// once; it bounds the process's concurrent API writes for pods.
	hollowWorkers = 32
	// hollowHeartbeatQPS caps Node heartbeats per second across the process:
	// 5,000 nodes then refresh every 25 s instead of every StatusInterval,
	// well inside a 40 s node grace, at 200 writes a second instead of 500.
	hollowHeartbeatQPS = 200
	// hollowHeartbeatsInFlight bounds concurrent heartbeat writes; a slow
	// server slows the round down instead of piling up requests.
	hollowHeartbeatsInFlight = 16
)

// Hollow runs Config.Count simulated ("hollow") nodes in one process, for
// scale tests: each registers its Node, gets its pod CIDR from the leader,
// runs the pods bound to it on its own fake runtime and reports their status,
// as an agent would. What an agent does per node, a Hollow does once for all:
// one list+watch of every bound pod dispatched by spec.nodeName, one pool of
// workers driving pods and writing their status (coalesced per pod), one
// heartbeat loop spreading Node status refreshes over the interval under a
// rate cap, one logs/exec endpoint. No gossip, no events, no probes (a
// container's readiness follows the pod's fake annotations), nothing on disk.
// Build it with NewHollow, then call Run once.
type Hollow struct {
	cfg     Config
	log     *slog.Logger
	apis    *apiPool
	hc      *http.Client // shared by apis; its idle connections close after Run
	nodes   []*hollowNode
	byName  map[string]*hollowNode // fixed after NewHollow
	queue   *workQueue
	backoff *probe.Backoff // container restart back-off, keyed uid/container

	mu   sync.Mutex
	pods map[string]*hollowPod // by UID
	addr string                // the endpoint's host:port once Run listens

	registered atomic.Int64
	running    atomic.Bool

	// Tuning (see the constants); tests shrink them before Run.
	registerConcurrency, workers, heartbeatsInFlight int
	heartbeatQPS                                     float64
	backoffInitial, backoffMax                       time.Duration
}

// hollowNode is one hollow node: its runtime and what it knows of its Node.
type hollowNode struct {
	name string
	rt   *fake.Runtime

	mu     sync.Mutex
	node   *api.Node    // the Node as last written; nil before registration
	cidr   netip.Prefix // the leader-assigned pod CIDR; invalid before registration
	ipam   *ipam        // in memory; nil before registration
	parked []string     // pods seen before registration, to wake after it
}

// park remembers a pod to wake once the node registers; no-op after.
func (n *hollowNode) park(uid string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ipam == nil {
		n.parked = append(n.parked, uid)
	}
}

// registeredCIDR returns the node's pod CIDR and IPAM, ok once registered.
func (n *hollowNode) registeredCIDR() (netip.Prefix, *ipam, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cidr, n.ipam, n.ipam != nil
}

// NewHollow builds the hollow nodes cfg describes (cfg.Count of them; one
// when Count is 0 or 1, named Name). cfg.Runtime must be "fake".
func NewHollow(cfg Config) (*Hollow, error) {
	if cfg.Runtime == "" {
		cfg.Runtime = RuntimeFake
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if cfg.Runtime != RuntimeFake {
		return nil, fmt.Errorf("%w: hollow nodes need --runtime fake, not %q", ErrConfig, cfg.Runtime)
	}
	hc := &http.Client{Transport: hollowTransport()}
	apis := &apiPool{}
	for _, s := range cfg.Servers {
		c, err := api.NewClient(s, api.WithRetry(5*time.Second), api.WithTimeout(15*time.Second), api.WithHTTPClient(hc), api.WithToken(cfg.Token))
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
		apis.clients = append(apis.clients, c)
	}
	h := &Hollow{
		cfg:    cfg,
		log:    cfg.logger().With("hollow", cfg.prefix()),
		apis:   apis,
		hc:     hc,
		byName: map[string]*hollowNode{},
		queue:  newWorkQueue(),
		pods:   map[string]*hollowPod{},

		registerConcurrency: hollowRegisterConcurrency,
		workers:             hollowWorkers,
		heartbeatsInFlight:  hollowHeartbeatsInFlight,
		heartbeatQPS:        hollowHeartbeatQPS,
		backoffInitial:      probe.DefaultBackoffInitial,
		backoffMax:          probe.DefaultBackoffMax,
	}
	for _, name := range cfg.NodeNames() {
		n := &hollowNode{name: name}
		n.rt = fake.New(fake.Config{Hostname: name, Notify: h.containerEvent})
		h.nodes = append(h.nodes, n)
		h.byName[name] = n
	}
	return h, nil
}

// Nodes is how many hollow nodes this process runs.
func (h *Hollow) Nodes() int { return len(h.nodes) }

// Registered is how many of them have registered and got their pod CIDR.
func (h *Hollow) Registered() int { return int(h.registered.Load()) }

// Ready reports whether every hollow node is registered.
func (h *Hollow) Ready() bool { return h.Registered() == len(h.nodes) }

// ClientAddr is the host:port of the shared logs/exec endpoint, "" before Run
// listens.
func (h *Hollow) ClientAddr() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.addr
}

// Run registers the nodes and runs their pods until ctx ends. On return no
// goroutine, timer or listener of the Hollow is left and every fake container
// is gone; the Nodes and pods stay in the API, as when a real client stops
// (the servers then see the nodes' heartbeats stop).
func (h *Hollow) Run(ctx context.Context) error {
	if !h.running.CompareAndSwap(false, true) {
		return ErrAlreadyRunning
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(h.cfg.BindAddr, strconv.Itoa(h.cfg.ClientPort)))
	if err != nil {
		return fmt.Errorf("client: listen on the client port: %w", err)
	}
	h.mu.Lock()
	h.addr = ln.Addr().String()
	h.mu.Unlock()
	srv := &http.Server{Handler: h.streamHandler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if srv.Shutdown(sctx) != nil {
			_ = srv.Close()
		}
	}()
	h.backoff = probe.NewBackoff(h.backoffInitial, h.backoffMax, 0)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range h.workers {
		wg.Go(func() { h.work(ctx) })
	}
	wg.Go(func() {
		<-ctx.Done()
		h.queue.shutDown()
	})
	wg.Go(func() { h.podLoop(ctx) })
	wg.Go(func() { h.heartbeatLoop(ctx) })
	regErr := h.registerAll(ctx)
	if regErr != nil && ctx.Err() == nil {
		cancel()
	}
	<-ctx.Done()
	wg.Wait()
	h.removeAllContainers()
	h.hc.CloseIdleConnections()
	if regErr != nil && !errors.Is(regErr, context.Canceled) {
		return regErr
	}
	return nil
}

// hollowTransport keeps enough idle connections for every request a Hollow
// has in flight at once (registrations, workers, heartbeats, the watch).
func hollowTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 256, 256
	return t
}

// work is one worker: it syncs the pods the queue hands it until shutdown.
func (h *Hollow) work(ctx context.Context) {
	for {
		uid, ok := h.queue.get()
		if !ok {
			return
		}
		h.syncPod(ctx, uid)
		h.queue.done(uid)
	}
}

// containerEvent is every fake runtime's Notify: a container that died (a
// scripted exit) wakes its pod. It runs under that runtime's lock, so it only
// queues.
func (h *Hollow) containerEvent(ev runtime.ContainerEvent) {
	if ev.Action == runtime.EventDie && ev.PodUID != "" {
		h.queue.add(ev.PodUID)
	}
}

// removeAllContainers drops every fake container after Run (they cannot be
// adopted: the runtimes live in this process), which also stops the timers of
// scripted exits.
func (h *Hollow) removeAllContainers() {
	ctx := context.Background()
	for _, n := range h.nodes {
		all, err := n.rt.ListContainers(ctx)
		if err != nil {
			continue
		}
		for _, c := range all {
			if !c.Sandbox {
				_ = n.rt.RemoveContainer(ctx, c.ID)
			}
		}
		for _, c := range all {
			if c.Sandbox {
				_ = n.rt.RemoveSandbox(ctx, c.ID)
			}
		}
	}
	h.mu.Lock()
	h.pods = map[string]*hollowPod{}
	h.mu.Unlock()
}
