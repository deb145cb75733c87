package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// mustHTTPServer serves the paths the HTTP probe tests need.
func mustHTTPServer(t *testing.T, tls bool) (*httptest.Server, int) {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(r.PathValue("code"))
		w.WriteHeader(code)
	})
	mux.HandleFunc("/headers", func(w http.ResponseWriter, r *http.Request) {
		if r.UserAgent() != userAgent || r.Header.Get("X-Probe") != "yes" || r.URL.Query().Get("q") != "1" {
			w.WriteHeader(http.StatusBadRequest)
		}
	})
	mux.HandleFunc("/custom-agent", func(w http.ResponseWriter, r *http.Request) {
		if r.UserAgent() != "mine" || r.Host != "example.test" {
			w.WriteHeader(http.StatusBadRequest)
		}
	})
	mux.HandleFunc("/block", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(make([]byte, 1<<20))
	})
	mux.HandleFunc("/redirect-same", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ok", http.StatusFound)
	})
	mux.HandleFunc("/redirect-500", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/status/500", http.StatusFound)
	})
	mux.HandleFunc("/redirect-loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/redirect-loop", http.StatusFound)
	})
	mux.HandleFunc("/redirect-other", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://elsewhere.invalid/", http.StatusFound)
	})
	srv := httptest.NewUnstartedServer(mux)
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, srv.Listener.Addr().(*net.TCPAddr).Port
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	return port
}

func httpProbe(path string, port api.IntOrString, headers ...api.HTTPHeader) *api.Probe {
	return &api.Probe{ProbeHandler: api.ProbeHandler{HTTPGet: &api.HTTPGetAction{
		Path: path, Port: port, HTTPHeaders: headers}}}
}

func TestHTTPProbe(t *testing.T) {
	_, port := mustHTTPServer(t, false)
	_, tlsPort := mustHTTPServer(t, true)
	target := Target{PodIP: "127.0.0.1", Ports: []api.ContainerPort{
		{Name: "http", ContainerPort: int32(port)},
	}}
	p := api.FromInt(port)
	https := httpProbe("/ok", api.FromInt(tlsPort))
	https.HTTPGet.Scheme = "HTTPS"
	tests := []struct {
		name    string
		spec    *api.Probe
		target  Target
		timeout time.Duration
		want    Result
		msg     string // a substring of the message; "" means the message is empty
	}{
		{name: "200", spec: httpProbe("/ok", p), want: Success},
		{name: "path without slash", spec: httpProbe("ok", p), want: Success},
		{name: "204", spec: httpProbe("/status/204", p), want: Success},
		{name: "399", spec: httpProbe("/status/399", p), want: Success},
		{name: "400", spec: httpProbe("/status/400", p), want: Failure, msg: "HTTP probe failed with statuscode: 400"},
		{name: "500", spec: httpProbe("/status/500", p), want: Failure, msg: "HTTP probe failed with statuscode: 500"},
		{name: "named port", spec: httpProbe("/ok", api.FromString("http")), want: Success},
		{name: "numeric string port", spec: httpProbe("/ok", api.FromString(strconv.Itoa(port))), want: Success},
		{name: "unknown named port", spec: httpProbe("/ok", api.FromString("metrics")), want: Failure, msg: `unknown named port "metrics"`},
		{name: "port zero", spec: httpProbe("/ok", api.FromInt(0)), want: Failure, msg: "invalid port 0"},
		{name: "port too big", spec: httpProbe("/ok", api.FromInt(70000)), want: Failure, msg: "invalid port 70000"},
		{name: "headers and query", spec: httpProbe("/headers?q=1", p, api.HTTPHeader{Name: "x-probe", Value: "yes"}), want: Success},
		{name: "user agent and host override", spec: httpProbe("/custom-agent", p,
			api.HTTPHeader{Name: "User-Agent", Value: "mine"}, api.HTTPHeader{Name: "Host", Value: "example.test"}), want: Success},
		{name: "timeout", spec: httpProbe("/block", p), timeout: 50 * time.Millisecond, want: Failure, msg: "context deadline exceeded"},
		{name: "big body", spec: httpProbe("/big", p), want: Success},
		{name: "redirect same host followed", spec: httpProbe("/redirect-same", p), want: Success},
		{name: "redirect same host to 500", spec: httpProbe("/redirect-500", p), want: Failure, msg: "statuscode: 500"},
		{name: "redirect loop", spec: httpProbe("/redirect-loop", p), want: Failure, msg: "stopped after 10 redirects"},
		{name: "redirect other host not followed", spec: httpProbe("/redirect-other", p), want: Success, msg: "redirected to another host"},
		{name: "https self-signed", spec: https, want: Success},
		{name: "connection refused", spec: httpProbe("/ok", api.FromInt(closedPort(t))), want: Failure, msg: "connection refused"},
		{name: "no pod IP", spec: httpProbe("/ok", p), target: Target{}, want: Unknown, msg: "has no IP yet"},
		{name: "spec host wins", spec: func() *api.Probe {
			s := httpProbe("/ok", p)
			s.HTTPGet.Host = "127.0.0.1"
			return s
		}(), target: Target{PodIP: "192.0.2.1"}, want: Success},
		{name: "bad scheme", spec: func() *api.Probe {
			s := httpProbe("/ok", p)
			s.HTTPGet.Scheme = "ftp"
			return s
		}(), want: Failure, msg: "unsupported scheme"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tgt, timeout := tt.target, tt.timeout
			if tgt.PodIP == "" && tt.want != Unknown {
				tgt = target
			}
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			got, msg := attempt(context.Background(), tt.spec, tgt, timeout)
			checkAttempt(t, got, msg, tt.want, tt.msg)
		})
	}
}

// checkAttempt compares a result and a message (want "" means empty).
func checkAttempt(t *testing.T, got Result, msg string, want Result, wantMsg string) {
	t.Helper()
	if got != want {
		t.Errorf("result = %v (%q), want %v", got, msg, want)
	}
	if (wantMsg == "" && msg != "") || !strings.Contains(msg, wantMsg) {
		t.Errorf("message = %q, want %q", msg, wantMsg)
	}
}

func TestTCPProbe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	open, closed := ln.Addr().(*net.TCPAddr).Port, closedPort(t)
	tcp := func(port api.IntOrString) *api.Probe {
		return &api.Probe{ProbeHandler: api.ProbeHandler{TCPSocket: &api.TCPSocketAction{Port: port}}}
	}
	target := Target{PodIP: "127.0.0.1", Ports: []api.ContainerPort{{Name: "echo", ContainerPort: int32(open)}}}
	tests := []struct {
		name   string
		spec   *api.Probe
		target Target
		want   Result
		msg    string
	}{
		{name: "open", spec: tcp(api.FromInt(open)), target: target, want: Success},
		{name: "named", spec: tcp(api.FromString("echo")), target: target, want: Success},
		{name: "closed", spec: tcp(api.FromInt(closed)), target: target, want: Failure,
			msg: fmt.Sprintf("dial tcp 127.0.0.1:%d: connect: connection refused", closed)},
		{name: "unknown name", spec: tcp(api.FromString("nope")), target: target, want: Failure, msg: "unknown named port"},
		{name: "no pod IP", spec: tcp(api.FromInt(open)), want: Unknown, msg: "has no IP yet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, msg := Once(context.Background(), tt.spec, tt.target)
			checkAttempt(t, got, msg, tt.want, tt.msg)
		})
	}
}

func TestExecProbe(t *testing.T) {
	exec := func(code int, out string, err error) func(context.Context, []string, time.Duration) (int, string, error) {
		return func(context.Context, []string, time.Duration) (int, string, error) { return code, out, err }
	}
	blocking := func(ctx context.Context, _ []string, _ time.Duration) (int, string, error) {
		<-ctx.Done()
		return -1, "", ctx.Err()
	}
	tests := []struct {
		name string
		exec func(context.Context, []string, time.Duration) (int, string, error)
		want Result
		msg  string
	}{
		{name: "exit 0", exec: exec(0, "fine", nil), want: Success},
		{name: "exit 1", exec: exec(1, "boom\n", nil), want: Failure, msg: "command exited 1: boom"},
		{name: "exit 2 no output", exec: exec(2, "", nil), want: Failure, msg: "command exited 2"},
		{name: "long output cut", exec: exec(1, strings.Repeat("é", 1000), nil), want: Failure, msg: "…"},
		{name: "timeout by context", exec: blocking, want: Failure, msg: "command timed out after 50ms"},
		{name: "timeout sentinel", exec: exec(-1, "", fmt.Errorf("runtime: %w", ErrExecTimeout)), want: Failure, msg: "timed out"},
		{name: "runtime error", exec: exec(-1, "", errors.New("runtime: container not running")), want: Unknown, msg: "not running"},
		{name: "no exec", want: Unknown, msg: ErrNoExec.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := &api.Probe{ProbeHandler: api.ProbeHandler{Exec: &api.ExecAction{Command: []string{"true"}}}}
			got, msg := attempt(context.Background(), spec, Target{Exec: tt.exec}, 50*time.Millisecond)
			checkAttempt(t, got, msg, tt.want, tt.msg)
			if len(msg) > maxExecMessage+50 {
				t.Errorf("message is %d bytes long", len(msg))
			}
		})
	}
}

func TestExecPassesCommandAndTimeout(t *testing.T) {
	var gotCmd []string
	var gotTimeout time.Duration
	spec := &api.Probe{TimeoutSeconds: 3, ProbeHandler: api.ProbeHandler{Exec: &api.ExecAction{Command: []string{"cat", "/tmp/healthy"}}}}
	r, _ := Once(context.Background(), spec, Target{Exec: func(ctx context.Context, cmd []string, timeout time.Duration) (int, string, error) {
		gotCmd, gotTimeout = cmd, timeout
		return 0, "", nil
	}})
	if r != Success || strings.Join(gotCmd, " ") != "cat /tmp/healthy" || gotTimeout != 3*time.Second {
		t.Fatalf("result %v, cmd %q, timeout %v", r, gotCmd, gotTimeout)
	}
}

func TestOnceOtherHandlers(t *testing.T) {
	tests := []struct {
		name string
		spec *api.Probe
		want Result
		msg  string
	}{
		{name: "grpc", spec: &api.Probe{ProbeHandler: api.ProbeHandler{GRPC: &api.GRPCAction{Port: 9000}}}, want: Failure, msg: GRPCUnsupportedMessage},
		{name: "no handler", spec: &api.Probe{}, want: Unknown, msg: ErrNoHandler.Error()},
		{name: "nil spec", want: Unknown, msg: ErrNoHandler.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, msg := Once(context.Background(), tt.spec, Target{PodIP: "127.0.0.1"})
			checkAttempt(t, got, msg, tt.want, tt.msg)
		})
	}
}

func TestCancelledCallerIsUnknown(t *testing.T) {
	_, port := mustHTTPServer(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, msg := Once(ctx, httpProbe("/ok", api.FromInt(port)), Target{PodIP: "127.0.0.1"})
	checkAttempt(t, got, msg, Unknown, "canceled")
}

// TestNoLeaks runs many probes and waits for the goroutine count to return
// to where it was: every probe closes its connection.
func TestNoLeaks(t *testing.T) {
	_, port := mustHTTPServer(t, false)
	target := Target{PodIP: "127.0.0.1"}
	waitGoroutines := func(limit int) int {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= limit || time.Now().After(deadline) {
				return n
			}
			time.Sleep(10 * time.Millisecond) // polling a condition, with a deadline
		}
	}
	Once(context.Background(), httpProbe("/ok", api.FromInt(port)), target) // warm up the server
	base := runtime.NumGoroutine()
	for range 50 {
		Once(context.Background(), httpProbe("/ok", api.FromInt(port)), target)
		Once(context.Background(), httpProbe("/redirect-same", api.FromInt(port)), target)
		Once(context.Background(), &api.Probe{ProbeHandler: api.ProbeHandler{TCPSocket: &api.TCPSocketAction{Port: api.FromInt(port)}}}, target)
	}
	if n := waitGoroutines(base + 2); n > base+2 {
		t.Fatalf("%d goroutines after 150 probes, %d before", n, base)
	}
}

// TestFreshConnections checks that every probe opens its own connection and
// closes it (keep-alives off), so nothing lingers between probes.
func TestFreshConnections(t *testing.T) {
	var opened, closed atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			opened.Add(1)
		case http.StateClosed, http.StateHijacked:
			closed.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	spec := httpProbe("/", api.FromInt(srv.Listener.Addr().(*net.TCPAddr).Port))
	const n = 20
	for range n {
		if r, msg := Once(context.Background(), spec, Target{PodIP: "127.0.0.1"}); r != Success {
			t.Fatalf("probe: %v %q", r, msg)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for closed.Load() < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond) // polling a condition, with a deadline
	}
	if opened.Load() != n || closed.Load() != n {
		t.Fatalf("opened %d, closed %d connections for %d probes", opened.Load(), closed.Load(), n)
	}
}

func TestStrings(t *testing.T) {
	tests := []struct {
		name string
		got  fmt.Stringer
		want string
	}{
		{"liveness", Liveness, "Liveness"}, {"readiness", Readiness, "Readiness"}, {"startup", Startup, "Startup"},
		{"bad kind", Kind(9), "Kind(9)"},
		{"unknown", Unknown, "Unknown"}, {"success", Success, "Success"}, {"failure", Failure, "Failure"},
		{"bad result", Result(-1), "Result(-1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s := tt.got.String(); s != tt.want {
				t.Fatalf("String() = %q, want %q", s, tt.want)
			}
		})
	}
}
