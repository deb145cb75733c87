package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxFileBody bounds POST /file, so a stray upload cannot fill the container's disk.
const maxFileBody = 16 << 20

// state is what the HTTP handlers share with Run's event loop.
type state struct {
	hostname  string
	readyFile string
	log       *logger

	liveFail    atomic.Bool
	readyFail   atomic.Bool
	terminating atomic.Bool

	// exit carries a POST /exit code to the event loop; one pending request is enough.
	exit chan int

	// fileMu orders ReadyFile creation and removal between concurrent toggles.
	fileMu sync.Mutex
}

func newState(cfg Config, hostname string, log *logger) *state {
	s := &state{hostname: hostname, readyFile: cfg.ReadyFile, log: log, exit: make(chan int, 1)}
	s.liveFail.Store(cfg.FailLiveness)
	s.readyFail.Store(cfg.FailReadiness)
	return s
}

func (s *state) ready() bool { return !s.readyFail.Load() && !s.terminating.Load() }

// syncReadyFile makes ReadyFile's existence match readiness. Failures are logged,
// not returned: the file is a convenience beside the HTTP probe.
func (s *state) syncReadyFile() {
	if s.readyFile == "" {
		return
	}
	s.fileMu.Lock()
	defer s.fileMu.Unlock()
	var err error
	if s.ready() {
		err = os.WriteFile(s.readyFile, []byte("ready\n"), 0o644)
	} else if err = os.Remove(s.readyFile); errors.Is(err, os.ErrNotExist) {
		err = nil
	}
	if err != nil {
		s.log.printf("ready file: %v", err)
	}
}

func (s *state) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", s.echo)
	mux.HandleFunc("GET /healthz", probe(func() bool { return !s.liveFail.Load() }))
	mux.HandleFunc("GET /readyz", probe(s.ready))
	mux.HandleFunc("POST /fail/liveness", s.toggle("liveness failing", func() { s.liveFail.Store(true) }))
	mux.HandleFunc("POST /fail/readiness", s.toggle("readiness failing", func() { s.readyFail.Store(true) }))
	mux.HandleFunc("POST /recover", s.toggle("recovered", func() {
		s.liveFail.Store(false)
		s.readyFail.Store(false)
	}))
	mux.HandleFunc("GET /env", s.env)
	mux.HandleFunc("GET /file", s.readFile)
	mux.HandleFunc("POST /file", s.writeFile)
	mux.HandleFunc("POST /exit", s.exitRequest)
	mux.HandleFunc("GET /fetch", s.fetch)
	mux.HandleFunc("GET /resolve", resolve)
	return mux
}

// echoReply is the body of GET /: who answered and what it was asked.
type echoReply struct {
	Hostname   string      `json:"hostname"`
	PodIP      string      `json:"podIP"`
	RemoteAddr string      `json:"remoteAddr"`
	Method     string      `json:"method"`
	Host       string      `json:"host"`
	Path       string      `json:"path"`
	Query      string      `json:"query,omitempty"`
	Headers    http.Header `json:"headers"`
	Time       string      `json:"time"`
}

func (s *state) echo(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, echoReply{
		Hostname:   s.hostname,
		PodIP:      podIP(),
		RemoteAddr: r.RemoteAddr,
		Method:     r.Method,
		Host:       r.Host,
		Path:       r.URL.Path,
		Query:      r.URL.RawQuery,
		Headers:    r.Header,
		Time:       time.Now().UTC().Format(time.RFC3339Nano),
	})
}

func probe(ok func() bool) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if !ok() {
			http.Error(w, "failing", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	}
}

func (s *state) toggle(what string, change func()) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		change()
		s.syncReadyFile()
		s.log.printf("%s", what)
		_, _ = io.WriteString(w, what+"\n")
	}
}

func (s *state) env(w http.ResponseWriter, _ *http.Request) {
	env := make(map[string]string)
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	writeJSON(w, http.StatusOK, env)
}

func (s *state) readFile(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Query().Get("path")
	if path == "" {
		http.Error(w, "path is required", http.StatusBadRequest)
		return
	}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		http.Error(w, err.Error(), http.StatusNotFound)
	case err != nil:
		http.Error(w, err.Error(), http.StatusInternalServerError)
	default:
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(b)
	}
}

func (s *state) writeFile(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Query().Get("path")
	if path == "" {
		http.Error(w, "path is required", http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFileBody))
	if err != nil {
		http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	if err := os.WriteFile(path, body, 0o644); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"path": path, "bytes": len(body)})
}

// fetchClient opens a new connection per fetch, so a test counting the
// backends behind a Service sees every request balanced anew.
var fetchClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// fetch GETs the URL in ?url= from inside the pod and answers with its status and
// body, so tests can check what a pod reaches (localhost, other pods, services).
func (s *state) fetch(w http.ResponseWriter, r *http.Request) {
	target := r.URL.Query().Get("url")
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		http.Error(w, fmt.Sprintf("url %q: want an absolute http(s) URL", target), http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	resp, err := fetchClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxFileBody))
	writeJSON(w, http.StatusOK, map[string]any{"status": resp.StatusCode, "body": string(body)})
}

func (s *state) exitRequest(w http.ResponseWriter, r *http.Request) {
	code := 0
	if q := r.URL.Query().Get("code"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 0 || n > 255 {
			http.Error(w, fmt.Sprintf("code %q: want 0-255", q), http.StatusBadRequest)
			return
		}
		code = n
	}
	select {
	case s.exit <- code:
		_, _ = fmt.Fprintf(w, "exiting with code %d\n", code)
	default:
		http.Error(w, "already exiting", http.StatusConflict)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// podIP is POD_IP if the runtime set it, else the first non-loopback IPv4 address of
// the container's interfaces (read from the kernel, so no /etc/hosts is needed).
func podIP() string {
	if ip := os.Getenv("POD_IP"); ip != "" {
		return ip
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	return ""
}

// logger serializes lines from the handlers and the event loop onto one writer.
type logger struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *logger) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = fmt.Fprintf(l.w, "demo: "+format+"\n", args...)
}
