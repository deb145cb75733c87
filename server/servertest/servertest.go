// Package servertest starts a real one-server Berth cluster in-process, on loopback
// with ports picked by the kernel, for the tests of packages that talk to the API
// (the agent, the CLI). It is not for production use and not for the server's own
// tests, which live inside package server.
package servertest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/server"
)

// Server is a running test server.
type Server struct {
	*server.Server
	// URL is the API's base URL (http://127.0.0.1:PORT).
	URL string
	// Client talks to it with a 10 s timeout and no retries (as the bootstrap admin
	// when the config has Auth on).
	Client *api.Client
	// AdminToken is the bootstrap admin token when the config has Auth on.
	AdminToken string
}

// Start runs a single server (bootstrap-expect 1) in a temporary data dir and waits
// until it accepts namespaced writes: /readyz is 200 and the built-in namespace
// "default" exists. mutate, if not nil, may change the config first. The server stops
// when the test ends.
func Start(t testing.TB, mutate func(*server.Config)) *Server {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.Name, cfg.DataDir, cfg.BindAddr = "s1", t.TempDir(), "127.0.0.1"
	cfg.HTTPPort, cfg.RaftPort, cfg.GossipPort = 0, 0, 0
	cfg.DNSPort = 0 // a free port: tests run servers side by side
	cfg.BootstrapExpect, cfg.RaftLogLevel = 1, "error"
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := server.New(cfg)
	if err != nil {
		t.Fatalf("servertest: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Errorf("servertest: the server did not stop within 15s")
		}
	})
	ts := &Server{Server: s, URL: "http://" + s.HTTPAddr()}
	if cfg.Auth {
		ts.AdminToken = waitAdminToken(t, cfg.DataDir)
	}
	if ts.Client, err = api.NewClient(ts.URL, api.WithRetry(0), api.WithTimeout(10*time.Second), api.WithToken(ts.AdminToken)); err != nil {
		t.Fatal(err)
	}
	nsRes, _ := api.ResourceForKind("Namespace")
	WaitFor(t, 15*time.Second, "the server to take writes", func() error {
		resp, err := http.Get(ts.URL + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/readyz: %s", resp.Status)
		}
		_, err = ts.Client.Get(context.Background(), nsRes, "", "default", api.GetOptions{})
		return err
	})
	return ts
}

// WaitFor polls cond until it returns nil, failing the test after timeout with the
// last error.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s: %v", timeout, what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
