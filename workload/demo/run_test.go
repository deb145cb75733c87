package demo

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer that Run may write while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// running is one Run in a goroutine.
type running struct {
	url  string
	sigs chan os.Signal
	out  *syncBuffer
	done chan error
}

// startRun runs the demo on a free loopback-reachable port and waits until it listens.
func startRun(t *testing.T, cfg Config) *running {
	t.Helper()
	r := &running{sigs: make(chan os.Signal, 2), out: &syncBuffer{}, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan net.Addr, 1)
	cfg.Signals = r.sigs
	cfg.Listening = func(h, _ net.Addr) { addrs <- h }
	go func() { r.done <- Run(ctx, cfg, r.out) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
	select {
	case a := <-addrs:
		r.url = "http://127.0.0.1:" + portOf(a)
	case err := <-r.done:
		r.done <- err
		t.Fatalf("Run ended early: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not listen")
	}
	return r
}

func portOf(a net.Addr) string {
	_, p, _ := net.SplitHostPort(a.String())
	return p
}

// wait returns Run's result within limit.
func (r *running) wait(t *testing.T, limit time.Duration) error {
	t.Helper()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(limit):
		t.Fatalf("Run still running after %v; output:\n%s", limit, r.out)
		return nil
	}
}

// waitOutput waits until the output holds want.
func (r *running) waitOutput(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(r.out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("output never had %q:\n%s", want, r.out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func status(t *testing.T, method, url string) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

func TestRunExits(t *testing.T) {
	tests := []struct {
		name     string
		cfg      Config
		act      func(t *testing.T, r *running)
		wantCode int
		wantLog  string
	}{
		{name: "exit-after with a code", cfg: Config{ExitAfter: 50 * time.Millisecond, ExitCode: 3},
			wantCode: 3, wantLog: "exiting with code 3"},
		{name: "exit-after with code 0", cfg: Config{ExitAfter: 50 * time.Millisecond}, wantLog: "exiting with code 0"},
		{name: "POST /exit", act: func(t *testing.T, r *running) {
			if got := status(t, "POST", r.url+"/exit?code=7"); got != 200 {
				t.Fatalf("POST /exit: %d", got)
			}
		}, wantCode: 7},
		{name: "SIGTERM", act: func(_ *testing.T, r *running) { r.sigs <- syscall.SIGTERM },
			wantLog: "received SIGTERM"},
		{name: "SIGINT", act: func(_ *testing.T, r *running) { r.sigs <- syscall.SIGINT },
			wantLog: "received SIGINT"},
		{name: "SIGTERM with a delay drains first", cfg: Config{TermDelay: 300 * time.Millisecond},
			act: func(t *testing.T, r *running) {
				r.sigs <- syscall.SIGTERM
				r.waitOutput(t, "exiting in")
				if got := status(t, "GET", r.url+"/readyz"); got != 503 {
					t.Errorf("readyz while draining: %d, want 503", got)
				}
				if got := status(t, "GET", r.url+"/"); got != 200 {
					t.Errorf("GET / while draining: %d, want 200", got)
				}
			}, wantLog: "after SIGTERM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := startRun(t, tt.cfg)
			if tt.act != nil {
				tt.act(t, r)
			}
			err := r.wait(t, 5*time.Second)
			if got := ExitCode(err); got != tt.wantCode {
				t.Fatalf("exit code %d (%v), want %d", got, err, tt.wantCode)
			}
			if !strings.Contains(r.out.String(), tt.wantLog) {
				t.Fatalf("output lacks %q:\n%s", tt.wantLog, r.out)
			}
		})
	}
}

func TestRunIgnoresSIGTERM(t *testing.T) {
	r := startRun(t, Config{IgnoreSIGTERM: true})
	r.sigs <- syscall.SIGTERM
	r.waitOutput(t, "ignoring SIGTERM")
	if got := status(t, "GET", r.url+"/readyz"); got != 200 {
		t.Fatalf("readyz after an ignored SIGTERM: %d, want 200", got)
	}
	select {
	case err := <-r.done:
		t.Fatalf("Run returned %v after an ignored SIGTERM", err)
	default:
	}
}

func TestRunLogsEvery(t *testing.T) {
	r := startRun(t, Config{LogEvery: 20 * time.Millisecond})
	r.waitOutput(t, "demo: line 1\n")
	r.waitOutput(t, "demo: line 3\n")
}

func TestRunFailsLivenessFromStart(t *testing.T) {
	r := startRun(t, Config{FailLiveness: true})
	if got := status(t, "GET", r.url+"/healthz"); got != 503 {
		t.Fatalf("healthz: %d, want 503", got)
	}
}

func TestRunPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	err = Run(context.Background(), Config{Port: port}, nil)
	if !errors.Is(err, ErrListen) {
		t.Fatalf("Run on a busy port: %v, want ErrListen", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{name: "default", cfg: DefaultConfig(), ok: true},
		{name: "echo on", cfg: Config{Port: 8080, TCPEchoPort: 9000}, ok: true},
		{name: "port too big", cfg: Config{Port: 70000}},
		{name: "negative echo port", cfg: Config{TCPEchoPort: -1}},
		{name: "same ports", cfg: Config{Port: 9000, TCPEchoPort: 9000}},
		{name: "exit code too big", cfg: Config{ExitCode: 256}},
		{name: "negative delay", cfg: Config{TermDelay: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrConfig)) {
				t.Fatalf("Validate: %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{name: "nil", want: 0},
		{name: "exit error", err: &ExitError{Code: 42}, want: 42},
		{name: "wrapped", err: errors.Join(errors.New("x"), &ExitError{Code: 5}), want: 5},
		{name: "other", err: ErrListen, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExitCode(tt.err); got != tt.want {
				t.Fatalf("ExitCode = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestEchoServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := startEcho(ln)
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	for _, msg := range []string{"hello\n", "again\n"} {
		if _, err := io.WriteString(c, msg); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(c, got); err != nil || string(got) != msg {
			t.Fatalf("echo %q: got %q, %v", msg, got, err)
		}
	}
	// close must drop the open connection rather than wait for the client.
	closed := make(chan struct{})
	go func() { e.close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("close hung on an open connection")
	}
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection still open after close")
	}
}
