package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client"
	"github.com/berth-dev/berth/server"
)

// devStartTimeout bounds how long `berth dev` waits for its server to elect itself.
const devStartTimeout = time.Minute

// The ingress ports of `berth dev`: the usual unprivileged stand-ins for 80 and 443.
const (
	defaultDevIngressHTTPPort  = 8080
	defaultDevIngressHTTPSPort = 8443
)

// Errors of `berth dev`.
var (
	// errNodeNotReady is what /readyz says until the node is registered and Ready.
	errNodeNotReady = errors.New("berth dev: the node is not registered and Ready yet")
	// errUnexpectedStop: the server or the agent ended while nobody asked it to.
	errUnexpectedStop = errors.New("berth dev: stopped unexpectedly")
)

// devOptions are the flags of `berth dev`.
type devOptions struct {
	dataDir  string // "": a fresh temporary dir, removed on exit
	httpPort int
	runtime  string
	logLevel string
	// ingressHTTPPort and ingressHTTPSPort serve Ingresses on loopback; 0 is off.
	ingressHTTPPort, ingressHTTPSPort int
	dnsPort                           int // the server's DNS on loopback; 0 picks a free one
}

// newDevCommand is `berth dev`: a one-machine cluster (a server and a node agent on
// the local Docker engine) in one process.
func newDevCommand() *cobra.Command {
	opts := devOptions{httpPort: server.DefaultHTTPPort, runtime: client.RuntimeDocker,
		ingressHTTPPort: defaultDevIngressHTTPPort, ingressHTTPSPort: defaultDevIngressHTTPSPort,
		dnsPort: server.DefaultDNSPort}
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run a one-machine cluster: a server and a node agent on the local Docker engine",
		Long: `Run a whole Berth cluster in one process: a server (its own single-member Raft
cluster) and a node agent that runs pods on this machine's Docker engine. Pods that
name no node are bound to this one. GET /readyz on the API answers 200 once the node
is registered and Ready. Ctrl-C stops it and removes its containers; with --data-dir
the objects survive for the next start.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			go exitOnSecondSignal(ctx, cmd.ErrOrStderr())
			return runDev(ctx, opts, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.dataDir, "data-dir", "", "where the cluster's state lives (default: a fresh temporary dir, removed on exit)")
	f.IntVar(&opts.httpPort, "http-port", opts.httpPort, "HTTP API port (0 picks a free one)")
	f.StringVar(&opts.runtime, "runtime", opts.runtime, "container runtime: docker, or fake (no containers)")
	f.StringVar(&opts.logLevel, "log-level", "warn", "debug, info, warn or error")
	f.IntVar(&opts.ingressHTTPPort, "ingress-http-port", opts.ingressHTTPPort, "port of the HTTP ingress on 127.0.0.1 (0: off)")
	f.IntVar(&opts.ingressHTTPSPort, "ingress-https-port", opts.ingressHTTPSPort, "port of the HTTPS ingress on 127.0.0.1 (0: off)")
	f.IntVar(&opts.dnsPort, "dns-port", opts.dnsPort, "DNS port (UDP and TCP) for cluster.local on 127.0.0.1 (0 picks a free one; pods use a node-local copy)")
	_ = f.MarkHidden("runtime") // for tests on machines without Docker
	return cmd
}

// exitOnSecondSignal lets an impatient user leave at once while containers are being
// removed after the first Ctrl-C.
func exitOnSecondSignal(ctx context.Context, stderr io.Writer) {
	<-ctx.Done()
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	<-ch
	fmt.Fprintln(stderr, "berth dev: second signal, exiting without cleaning up")
	os.Exit(130)
}

// runDev starts the server (whose scheduler binds pods to the one node), then the
// agent, and stops them in the reverse order when ctx ends.
func runDev(ctx context.Context, opts devOptions, out io.Writer) error {
	logger, err := newLogger(opts.logLevel)
	if err != nil {
		return err
	}
	dir, removeDir, err := devDataDir(opts.dataDir)
	if err != nil {
		return err
	}
	defer removeDir()
	fmt.Fprintln(out, "WARNING: berth dev runs with --insecure-dev: plain HTTP, no certificates, no authentication. Development only.")

	var agent atomic.Pointer[client.Agent]
	// Raft's own warnings (an election at every start) are noise to a dev user.
	raftLevel := opts.logLevel
	if raftLevel == "warn" {
		raftLevel = "error"
	}
	srv, err := startDevServer(dir, opts.httpPort, opts.dnsPort, raftLevel, logger, func() error {
		if a := agent.Load(); a == nil || !a.Ready() {
			return errNodeNotReady
		}
		return nil
	})
	if err != nil {
		return err
	}
	base := "http://" + srv.s.HTTPAddr()
	apic, err := api.NewClient(base, api.WithRetry(5*time.Second))
	if err == nil {
		err = waitDevServer(ctx, apic, srv.done)
	}
	if err != nil {
		if ctx.Err() != nil {
			err = nil // stopped by the user while starting
		}
		return errors.Join(err, srv.stop())
	}
	name := nodeName("dev-node")
	a, err := newDevAgent(dir, name, base, opts, logger)
	if err != nil {
		return errors.Join(err, srv.stop())
	}
	agent.Store(a)
	fmt.Fprintf(out, "berth dev: API on %s, node %q, data in %s\n", base, name, dir)
	fmt.Fprintf(out, "  export BERTH_ADDR=%s\n", base)
	if dnsAddr := srv.s.DNSAddr(); dnsAddr != "" {
		host, port, _ := net.SplitHostPort(dnsAddr)
		fmt.Fprintf(out, "  DNS on %s (dig @%s -p %s SERVICE.NAMESPACE.svc.cluster.local)\n", dnsAddr, host, port)
	}
	if urls := devIngressURLs(opts); urls != "" {
		fmt.Fprintf(out, "  ingress on %s\n", urls)
	}
	return errors.Join(runDevNode(ctx, a, name, out, srv.done), srv.stop())
}

// runDevNode runs the agent until ctx ends (or the agent or the server stops on its
// own), then stops the agent and removes its containers.
func runDevNode(ctx context.Context, a *client.Agent, name string, out io.Writer, srvDone <-chan struct{}) error {
	nodeCtx, stopNode := context.WithCancel(ctx)
	defer stopNode()
	var wg sync.WaitGroup
	agentDone := make(chan error, 1)
	wg.Go(func() { agentDone <- a.Run(nodeCtx) })
	wg.Go(func() { announceReady(nodeCtx, a, name, out) })

	var err error
	select {
	case <-ctx.Done():
	case err = <-agentDone:
		err = fmt.Errorf("berth dev: the node agent stopped: %w", cmp.Or(err, errUnexpectedStop))
	case <-srvDone:
		err = fmt.Errorf("berth dev: the server stopped: %w", errUnexpectedStop)
	}
	fmt.Fprintln(out, "berth dev: stopping; removing the containers (Ctrl-C again to exit at once)")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if serr := a.Shutdown(sctx, true); serr != nil {
		err = errors.Join(err, fmt.Errorf("berth dev: stopping the node agent: %w", serr))
	}
	stopNode()
	wg.Wait()
	return err
}

// announceReady prints one line once the node is Ready, so that a user knows when
// pods can run.
func announceReady(ctx context.Context, a *client.Agent, name string, out io.Writer) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for !a.Ready() {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
	fmt.Fprintf(out, "berth dev: node %q is Ready\n", name)
}

// devDataDir returns the data dir and a cleanup that removes it when it was made here.
func devDataDir(dir string) (string, func(), error) {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", nil, fmt.Errorf("berth dev: --data-dir: %w", err)
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return "", nil, fmt.Errorf("berth dev: --data-dir: %w", err)
		}
		return abs, func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "berth-dev-")
	if err != nil {
		return "", nil, fmt.Errorf("berth dev: temporary data dir: %w", err)
	}
	return tmp, func() { os.RemoveAll(tmp) }, nil
}

// devPorts are the Raft and gossip ports of the dev server, kept in the data dir: the
// first start lets the kernel pick them, later starts reuse them so that the server's
// Raft and gossip addresses stay what its stored state remembers.
type devPorts struct {
	Raft   int `json:"raft"`
	Gossip int `json:"gossip"`
}

const devPortsFile = "dev-ports.json"

func loadDevPorts(dir string) devPorts {
	var p devPorts
	if b, err := os.ReadFile(filepath.Join(dir, devPortsFile)); err == nil {
		_ = json.Unmarshal(b, &p) // unreadable: pick new ports
	}
	return p
}

func saveDevPorts(dir string, s *server.Server) error {
	p := devPorts{Raft: portOf(s.RaftAddr()), Gossip: portOf(s.GossipAddr())}
	b, _ := json.Marshal(p)
	return os.WriteFile(filepath.Join(dir, devPortsFile), b, 0o600)
}

func portOf(hostport string) int {
	_, p, _ := net.SplitHostPort(hostport)
	n, _ := strconv.Atoi(p)
	return n
}

// devServer is the running server of `berth dev`.
type devServer struct {
	s      *server.Server
	cancel context.CancelFunc
	done   chan struct{} // closed when Run returned
	err    error         // Run's result, set before done closes
}

// stop ends the server and returns Run's result.
func (d *devServer) stop() error {
	d.cancel()
	<-d.done
	return d.err
}

// startDevServer starts the dev server: name "dev", one voter, loopback only.
func startDevServer(dir string, httpPort, dnsPort int, raftLevel string, logger *slog.Logger, ready func() error) (*devServer, error) {
	cfg := server.DefaultConfig()
	cfg.Name = "dev"
	cfg.DataDir = filepath.Join(dir, "server")
	cfg.BindAddr = "127.0.0.1"
	cfg.HTTPPort = httpPort
	cfg.DNSPort = dnsPort
	cfg.BootstrapExpect = 1
	cfg.ReadyCheck = ready
	cfg.Logger = logger.With("component", "server")
	cfg.RaftLogLevel = raftLevel
	cfg.Version = version
	saved := loadDevPorts(dir)
	cfg.RaftPort, cfg.GossipPort = saved.Raft, saved.Gossip
	s, err := server.New(cfg)
	if err != nil && (saved.Raft != 0 || saved.Gossip != 0) {
		// A remembered port is taken now: take free ones rather than refuse to start.
		logger.Warn("berth dev: remembered raft/gossip ports are unavailable; picking new ones", "err", err)
		cfg.RaftPort, cfg.GossipPort = 0, 0
		s, err = server.New(cfg)
	}
	if err != nil {
		return nil, err
	}
	if err := saveDevPorts(dir, s); err != nil {
		logger.Warn("berth dev: cannot remember the server's ports", "err", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &devServer{s: s, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(d.done)
		d.err = s.Run(ctx)
	}()
	return d, nil
}

// waitDevServer waits until the server has elected itself and created the default
// namespace, so that the agent's first writes succeed.
func waitDevServer(ctx context.Context, c *api.Client, srvDone <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, devStartTimeout)
	defer cancel()
	nsRes, _ := api.ResourceForKind("Namespace")
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		_, err := c.Get(ctx, nsRes, "", "default", api.GetOptions{Consistent: true})
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("berth dev: the server did not become ready: %w", errors.Join(ctx.Err(), err))
		case <-srvDone:
			return fmt.Errorf("berth dev: the server stopped while starting: %w", errUnexpectedStop)
		case <-t.C:
		}
	}
}

// devIngressURLs names where the ingress of `berth dev` listens, "" when it is off.
func devIngressURLs(opts devOptions) string {
	var urls []string
	if opts.ingressHTTPPort != 0 {
		urls = append(urls, fmt.Sprintf("http://127.0.0.1:%d", opts.ingressHTTPPort))
	}
	if opts.ingressHTTPSPort != 0 {
		urls = append(urls, fmt.Sprintf("https://127.0.0.1:%d", opts.ingressHTTPSPort))
	}
	return strings.Join(urls, " and ")
}

// newDevAgent builds the node agent of `berth dev` on the local engine.
func newDevAgent(dir, name, apiBase string, opts devOptions, logger *slog.Logger) (*client.Agent, error) {
	cfg := client.DefaultConfig()
	cfg.Name = name
	cfg.DataDir = filepath.Join(dir, "client")
	cfg.Servers = []string{apiBase}
	cfg.BindAddr = "127.0.0.1"
	cfg.ClientPort = 0 // a second `berth dev` or a real client may hold 6450
	cfg.Runtime = opts.runtime
	cfg.IngressHTTPPort, cfg.IngressHTTPSPort = opts.ingressHTTPPort, opts.ingressHTTPSPort
	// Pods resolve through a node-local copy on the pod network (the server's DNS on
	// loopback is out of their reach); the host keeps using the server's.
	cfg.DNS, cfg.DNSPort = opts.runtime == client.RuntimeDocker, -1
	cfg.Logger = logger.With("component", "client")
	cfg.Version = version
	return client.New(cfg)
}
