package gossip

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// testLogger shows warnings and errors on stderr under -v, and nothing
// otherwise. It never uses t.Log: memberlist goroutines may still log for a
// moment after a test ends.
func testLogger(t *testing.T) *slog.Logger {
	t.Helper()
	if !testing.Verbose() {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// testConfig is DefaultConfig on loopback with a picked port.
func testConfig(t *testing.T, name string) Config {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Name = name
	cfg.BindAddr = "127.0.0.1"
	cfg.BindPort = 0
	cfg.Meta = Meta{Role: RoleServer, ID: name, HTTPAddr: "127.0.0.1:6440", RaftAddr: "127.0.0.1:6441", Version: "test"}
	cfg.TCPTimeout = time.Second
	cfg.Logger = testLogger(t)
	return cfg
}

// mustNew starts a member that is shut down when the test ends.
func mustNew(t *testing.T, cfg Config) *Gossip {
	t.Helper()
	g, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%s): %v", cfg.Name, err)
	}
	t.Cleanup(func() { _ = g.Shutdown() })
	return g
}

// mustCluster starts n members named m0…m(n-1), joins each to m0 and waits
// until every member sees all n alive. edit, if not nil, adjusts each config.
func mustCluster(t *testing.T, n int, edit func(*Config)) []*Gossip {
	t.Helper()
	gs := make([]*Gossip, n)
	for i := range gs {
		cfg := testConfig(t, fmt.Sprintf("m%d", i))
		if edit != nil {
			edit(&cfg)
		}
		gs[i] = mustNew(t, cfg)
		if i > 0 {
			if _, err := gs[i].Join([]string{gs[0].Addr()}); err != nil {
				t.Fatalf("join m%d: %v", i, err)
			}
		}
	}
	for _, g := range gs {
		waitFor(t, 5*time.Second, g.cfg.Name+" sees everyone alive", func() bool {
			return countState(g.Members(), StateAlive) == n
		})
	}
	return gs
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out after %v waiting until %s", timeout, what)
		case <-tick.C:
		}
	}
}

// waitEvent reads ch until an event of type typ about member name arrives.
func waitEvent(t *testing.T, ch <-chan Event, typ EventType, name string, timeout time.Duration) Event {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("event channel closed while waiting for %v of %s", typ, name)
			}
			if ev.Type == typ && ev.Member.Name == name {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %v event for %s within %v", typ, name, timeout)
		}
	}
}

func countState(ms []Member, s State) int {
	n := 0
	for _, m := range ms {
		if m.State == s {
			n++
		}
	}
	return n
}

func findMember(ms []Member, name string) (Member, bool) {
	for _, m := range ms {
		if m.Name == name {
			return m, true
		}
	}
	return Member{}, false
}

// memberState is name's state as g sees it, or "" if g does not list it.
func memberState(g *Gossip, name string) State {
	m, _ := findMember(g.Members(), name)
	return m.State
}

// recordHandler is a slog.Handler that keeps every record for inspection.
type recordHandler struct {
	mu   *sync.Mutex
	recs *[]slog.Record
}

func newRecordHandler() *recordHandler {
	return &recordHandler{mu: &sync.Mutex{}, recs: &[]slog.Record{}}
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *recordHandler) WithGroup(string) slog.Handler            { return h }

func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	*h.recs = append(*h.recs, r.Clone())
	return nil
}

// count returns how many records contain substr in their message.
func (h *recordHandler) count(substr string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, r := range *h.recs {
		if strings.Contains(r.Message, substr) {
			n++
		}
	}
	return n
}

func (h *recordHandler) records() []slog.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]slog.Record(nil), *h.recs...)
}
