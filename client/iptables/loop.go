package iptables

import (
	"context"
	"log/slog"
	"time"
)

// SyncConfig is what a SyncLoop needs. NewSyncLoop takes it by value.
type SyncConfig struct {
	// MinInterval is the least time between two syncs: changes within it are
	// applied together. Positive.
	MinInterval time.Duration
	// Period is how often Sync runs with force even with no change. Positive.
	Period time.Duration
	// Retry is the first wait after a failed sync; it doubles up to Period.
	// Positive.
	Retry time.Duration
	// Ready says the state is complete enough to sync (every kind listed);
	// until then no sync runs. Nil means always.
	Ready func() bool
	// Sync writes the rules of the current state; force asks for a restore
	// even when the rules equal the last ones applied. Called from Run's
	// goroutine only. Required.
	Sync func(ctx context.Context, force bool) error
	// Log receives FailedMsg with "in" (the back-off) and "err"; nil means
	// slog.Default().
	Log *slog.Logger
	// FailedMsg is the warning of a failed sync; empty means "sync failed;
	// retrying".
	FailedMsg string
}

// SyncLoop is one component's event loop: it syncs when the state changed
// (no more often than MinInterval), every Period, and after a failure once
// the back-off has passed.
type SyncLoop struct {
	cfg SyncConfig
	// dirty has a token when the state changed since the last sync.
	dirty chan struct{}
}

// NewSyncLoop builds a loop; nothing runs until Run.
func NewSyncLoop(cfg SyncConfig) *SyncLoop {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.FailedMsg == "" {
		cfg.FailedMsg = "sync failed; retrying"
	}
	return &SyncLoop{cfg: cfg, dirty: make(chan struct{}, 1)}
}

// Changed asks for a sync; it never blocks and any goroutine may call it.
func (l *SyncLoop) Changed() {
	select {
	case l.dirty <- struct{}{}:
	default:
	}
}

// Run syncs until ctx ends.
func (l *SyncLoop) Run(ctx context.Context) {
	period := time.NewTicker(l.cfg.Period)
	defer period.Stop()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	backoff := l.cfg.Retry
	var last time.Time
	for {
		force := false
		select {
		case <-ctx.Done():
			return
		case <-l.dirty:
		case <-period.C:
			force = true
		case <-retry.C:
			force = true
		}
		if l.cfg.Ready != nil && !l.cfg.Ready() {
			continue
		}
		if wait := time.Until(last.Add(l.cfg.MinInterval)); wait > 0 && !sleep(ctx, wait) {
			return
		}
		select { // what arrived while waiting is in this sync
		case <-l.dirty:
		default:
		}
		last = time.Now()
		if err := l.cfg.Sync(ctx, force); err != nil {
			if ctx.Err() != nil {
				return
			}
			l.cfg.Log.Warn(l.cfg.FailedMsg, "in", backoff, "err", err)
			retry.Reset(backoff)
			backoff = min(2*backoff, l.cfg.Period)
			continue
		}
		backoff = l.cfg.Retry
	}
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
