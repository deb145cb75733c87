package ingress

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/berth-dev/berth/api"
)

// shutdownGrace is how long in-flight requests get when the ingress stops.
const shutdownGrace = 5 * time.Second

// Ingress serves the cluster's Ingresses on its listeners. Build it with New (which
// opens the ports), then call Run once.
type Ingress struct {
	cfg     Config
	log     *slog.Logger
	src     Source
	cache   *cache
	proxy   *proxy
	builder *builder

	httpLn, httpsLn net.Listener
	runOnce         sync.Once
}

// New checks cfg and opens its ports, so the addresses are known (and a port in
// use is reported) before Run.
func New(cfg Config, src Source) (*Ingress, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if src == nil {
		return nil, fmt.Errorf("%w: no Source", ErrConfig)
	}
	def, err := defaultCertificate()
	if err != nil {
		return nil, err
	}
	log := cfg.logger()
	ig := &Ingress{
		cfg: cfg, log: log, src: src,
		cache:   newCache(),
		proxy:   newProxy(cfg.dialTimeout(), log),
		builder: newBuilder(newCertCache(log, def)),
	}
	ig.proxy.table.Store(&table{certs: &certs{def: def}})
	if ig.httpLn, err = listen(cfg.HTTPAddr); err == nil {
		ig.httpsLn, err = listen(cfg.HTTPSAddr)
	}
	if err != nil {
		ig.Close()
		return nil, err
	}
	return ig, nil
}

// listen opens addr, or nothing for "".
func listen(addr string) (net.Listener, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrListen, err)
	}
	return ln, nil
}

// HTTPAddr is the host:port HTTP is served on, "" when off.
func (ig *Ingress) HTTPAddr() string { return addrOf(ig.httpLn) }

// HTTPSAddr is the host:port HTTPS is served on, "" when off.
func (ig *Ingress) HTTPSAddr() string { return addrOf(ig.httpsLn) }

func addrOf(ln net.Listener) string {
	if ln == nil {
		return ""
	}
	return ln.Addr().String()
}

// Synced says every watched kind has been listed once, so the routes reflect the
// cluster (until then requests may get 404s).
func (ig *Ingress) Synced() bool { return ig.cache.isSynced() }

// Close releases the ports of an Ingress that will not Run.
func (ig *Ingress) Close() {
	for _, ln := range []net.Listener{ig.httpLn, ig.httpsLn} {
		if ln != nil {
			_ = ln.Close()
		}
	}
}

// Run follows the cluster and serves until ctx ends, then lets in-flight requests
// finish for a few seconds and closes the ports. A second call returns at once.
func (ig *Ingress) Run(ctx context.Context) error {
	err := errors.New("ingress: Run called twice")
	ig.runOnce.Do(func() { err = ig.run(ctx) })
	return err
}

func (ig *Ingress) run(ctx context.Context) error {
	var wg sync.WaitGroup
	var servers []*http.Server
	errc := make(chan error, 2)
	if ig.httpLn != nil {
		srv := ig.server(nil)
		servers = append(servers, srv)
		wg.Go(func() { errc <- serveErr(srv.Serve(ig.httpLn)) })
	}
	if ig.httpsLn != nil {
		srv := ig.server(&tls.Config{
			MinVersion: tls.VersionTLS12,
			GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
				return ig.proxy.table.Load().certs.get(hello), nil
			},
		})
		servers = append(servers, srv)
		wg.Go(func() { errc <- serveErr(srv.ServeTLS(ig.httpsLn, "", "")) })
	}
	ig.log.Info("ingress: serving", "http", ig.HTTPAddr(), "https", ig.HTTPSAddr())

	followCtx, stopFollowing := context.WithCancel(ctx)
	for _, w := range watchedKinds {
		res, _ := api.ResourceForKind(w.kind)
		in := newInformer(ig.src, res, w.fieldSelector, ig.cache, ig.log)
		wg.Go(func() { in.Run(followCtx, "") })
	}
	var err error
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case err = <-errc:
			done = true // a listener failed: stop the rest
		case <-ig.cache.dirty:
			ig.proxy.table.Store(ig.builder.build(ig.cache.snapshot()))
		}
	}
	stopFollowing()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	for _, srv := range servers {
		if serr := srv.Shutdown(sctx); serr != nil {
			_ = srv.Close()
		}
	}
	wg.Wait()
	return err
}

func (ig *Ingress) server(tlsCfg *tls.Config) *http.Server {
	return &http.Server{
		Handler:           ig.proxy,
		TLSConfig:         tlsCfg,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(ig.log.Handler(), slog.LevelDebug),
	}
}

// serveErr is nil for the end Shutdown causes.
func serveErr(err error) error {
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("ingress: serve: %w", err)
}
