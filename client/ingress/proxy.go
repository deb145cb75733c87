package ingress

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"sync"
	"sync/atomic"
	"time"
)

// proxy is the http.Handler of both listeners: route by the current table, then
// reverse-proxy to an endpoint.
type proxy struct {
	table atomic.Pointer[table]
	rp    *httputil.ReverseProxy
	log   *slog.Logger
}

var _ http.Handler = (*proxy)(nil)

// pickKey carries a request's chosen endpoints from ServeHTTP to the transport.
type pickKey struct{}

// pick is the endpoints of the request's backend and where its rotation starts.
type pick struct {
	backend *backend
	start   int
}

func (p *pick) addr(i int) string { return p.backend.addrs[(p.start+i)%len(p.backend.addrs)] }

func newProxy(dialTimeout time.Duration, log *slog.Logger) *proxy {
	dialer := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		DialContext: dialer.DialContext,
		// Many clients share few backends: keep enough idle connections per pod that
		// a steady load never redials.
		MaxIdleConns:          4096,
		MaxIdleConnsPerHost:   512,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		// Bodies pass as the backend encoded them.
		DisableCompression: true,
	}
	p := &proxy{log: log}
	p.table.Store(&table{certs: &certs{}})
	p.rp = &httputil.ReverseProxy{
		Rewrite:      rewrite,
		Transport:    &failover{base: tr, log: log},
		BufferPool:   bufferPool{},
		ErrorHandler: p.proxyError,
		ErrorLog:     slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	return p
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b := p.table.Load().lookup(r.Host, r.URL.Path)
	if b == nil {
		http.Error(w, fmt.Sprintf("berth ingress: no rule for host %q and path %q", r.Host, r.URL.Path), http.StatusNotFound)
		return
	}
	if len(b.addrs) == 0 {
		http.Error(w, fmt.Sprintf("berth ingress: service %s has no ready endpoints", b), http.StatusServiceUnavailable)
		return
	}
	n := uint64(len(b.addrs))
	pk := &pick{backend: b, start: int((b.next.Add(1) - 1) % n)}
	p.rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), pickKey{}, pk)))
}

// rewrite sends the request to the picked endpoint, keeping the client's Host
// header, appending the client to X-Forwarded-For and setting X-Forwarded-Proto
// and X-Forwarded-Host (ReverseProxy removed any the client sent).
func rewrite(pr *httputil.ProxyRequest) {
	pk := pr.In.Context().Value(pickKey{}).(*pick)
	pr.Out.URL.Scheme = "http"
	pr.Out.URL.Host = pk.addr(0)
	pr.Out.Host = pr.In.Host
	pr.Out.Header["X-Forwarded-For"] = pr.In.Header["X-Forwarded-For"]
	pr.SetXForwarded()
}

// proxyError answers 502 when no endpoint could be reached or the backend broke
// off; a client that went away gets nothing.
func (p *proxy) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return
	}
	b := "?"
	if pk, ok := r.Context().Value(pickKey{}).(*pick); ok {
		b = pk.backend.String()
	}
	p.log.Debug("ingress: backend failed", "backend", b, "host", r.Host, "path", r.URL.Path, "err", err)
	http.Error(w, fmt.Sprintf("berth ingress: service %s: %v", b, err), http.StatusBadGateway)
}

// failover tries the request on the backend's endpoints in turn while they refuse
// the connection. Only a dial error moves on: the request has not left, so a retry
// cannot run it twice.
type failover struct {
	base http.RoundTripper
	log  *slog.Logger
}

func (f *failover) RoundTrip(req *http.Request) (*http.Response, error) {
	pk, ok := req.Context().Value(pickKey{}).(*pick)
	if !ok || len(pk.backend.addrs) < 2 {
		return f.base.RoundTrip(req)
	}
	var body *retryBody
	if req.Body != nil && req.Body != http.NoBody {
		body = &retryBody{rc: req.Body}
	}
	var err error
	for i := range len(pk.backend.addrs) {
		out := attempt(req, pk.addr(i), body)
		var resp *http.Response
		resp, err = f.base.RoundTrip(out)
		if err == nil || !isDialError(err) || (body != nil && body.touched.Load()) {
			return resp, err
		}
		f.log.Debug("ingress: endpoint refused the connection; trying the next", "backend", pk.backend.String(), "endpoint", out.URL.Host, "err", err)
	}
	return nil, err
}

// attempt is a shallow copy of req aimed at addr, with body (if any) in place of
// req's: the transport may not modify req, and the headers are only read.
func attempt(req *http.Request, addr string, body *retryBody) *http.Request {
	out := new(http.Request)
	*out = *req
	u := *req.URL
	u.Host = addr
	out.URL = &u
	if body != nil {
		out.Body = body
	}
	return out
}

// isDialError says the connection was never made (refused, unreachable, timed out).
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// retryBody lets one request body serve several attempts: the transport closes a
// body when an attempt fails, and the server closes the real one at the end.
type retryBody struct {
	rc      io.ReadCloser
	touched atomic.Bool
}

func (b *retryBody) Read(p []byte) (int, error) {
	b.touched.Store(true)
	return b.rc.Read(p)
}

func (b *retryBody) Close() error { return nil }

// bufferPool recycles the copy buffers of proxied bodies.
type bufferPool struct{}

var buffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (bufferPool) Get() []byte  { return *buffers.Get().(*[]byte) }
func (bufferPool) Put(b []byte) { buffers.Put(&b) }
