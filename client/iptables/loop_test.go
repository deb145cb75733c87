package iptables

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// syncRecorder counts the syncs a loop runs and whether each was forced.
type syncRecorder struct {
	mu     sync.Mutex
	forced []bool
	fail   int // fail this many syncs first
}

func (r *syncRecorder) sync(_ context.Context, force bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.forced = append(r.forced, force)
	if r.fail > 0 {
		r.fail--
		return errors.New("restore failed")
	}
	return nil
}

func (r *syncRecorder) waitSyncs(t *testing.T, n int) []bool {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r.mu.Lock()
		got := append([]bool(nil), r.forced...)
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d syncs within 5s, want %d", len(got), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func startLoop(t *testing.T, cfg SyncConfig) *SyncLoop {
	t.Helper()
	l := NewSyncLoop(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return l
}

// TestSyncLoopCoalesces: a burst of changes within MinInterval is one sync
// (after the first), and no sync runs before Ready.
func TestSyncLoopCoalesces(t *testing.T) {
	rec := &syncRecorder{}
	var ready atomic.Bool
	asked := make(chan struct{}, 1)
	l := startLoop(t, SyncConfig{
		MinInterval: 200 * time.Millisecond, Period: time.Hour, Retry: time.Second,
		Ready: func() bool {
			select {
			case asked <- struct{}{}:
			default:
			}
			return ready.Load()
		},
		Sync: rec.sync,
	})
	l.Changed()
	select { // a change before Ready is dropped, not synced
	case <-asked:
	case <-time.After(5 * time.Second):
		t.Fatal("Ready not consulted within 5s")
	}
	if got := rec.waitSyncs(t, 0); len(got) != 0 {
		t.Fatalf("%d syncs before Ready", len(got))
	}
	ready.Store(true)
	l.Changed()
	rec.waitSyncs(t, 1)
	for range 20 {
		l.Changed()
	}
	got := rec.waitSyncs(t, 2)
	time.Sleep(300 * time.Millisecond) // longer than MinInterval: a third sync would show
	if got = rec.waitSyncs(t, 2); len(got) != 2 || got[0] || got[1] {
		t.Errorf("syncs (forced) = %v, want two unforced", got)
	}
}

// TestSyncLoopRetriesAndResyncs: a failed sync is retried, forced, after
// Retry; every Period forces one.
func TestSyncLoopRetriesAndResyncs(t *testing.T) {
	rec := &syncRecorder{fail: 1}
	l := startLoop(t, SyncConfig{
		MinInterval: time.Millisecond, Period: 300 * time.Millisecond, Retry: 20 * time.Millisecond,
		Sync: rec.sync,
	})
	l.Changed()
	got := rec.waitSyncs(t, 3)
	if got[0] || !got[1] || !got[2] {
		t.Errorf("syncs (forced) = %v, want a change, a forced retry, a forced resync", got)
	}
}
