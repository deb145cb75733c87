package probe

import (
	"sync"
	"time"
)

// The kubelet's restart back-off.
const (
	DefaultBackoffInitial = 10 * time.Second
	DefaultBackoffMax     = 5 * time.Minute
	DefaultBackoffReset   = 10 * time.Minute
)

// Backoff is the restart back-off of crashing containers, keyed by the
// caller (say pod UID + container name): the delay before a restart doubles
// from initial up to max, and starts over once the container has run for
// resetAfter. It is a pure function of the times passed in (no clock of its
// own) and safe for concurrent use.
type Backoff struct {
	initial, max, resetAfter time.Duration

	mu      sync.Mutex
	entries map[string]*backoffEntry
}

type backoffEntry struct {
	delay        time.Duration // the last delay handed out
	runningSince time.Time     // zero: not known to be running
}

// NewBackoff makes a back-off; a zero or negative argument takes its default
// (10 s, 5 min, 10 min). An initial delay above max is cut to max.
func NewBackoff(initial, maxDelay, resetAfter time.Duration) *Backoff {
	if initial <= 0 {
		initial = DefaultBackoffInitial
	}
	if maxDelay <= 0 {
		maxDelay = DefaultBackoffMax
	}
	if resetAfter <= 0 {
		resetAfter = DefaultBackoffReset
	}
	return &Backoff{
		initial: min(initial, maxDelay), max: maxDelay, resetAfter: resetAfter,
		entries: map[string]*backoffEntry{},
	}
}

// Next returns the delay before the next restart of key, which stopped at
// now: initial the first time (or when it had run for resetAfter before it
// stopped), else twice the previous delay, at most max.
func (b *Backoff) Next(key string, now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.entries[key]
	switch {
	case !ok:
		e = &backoffEntry{delay: b.initial}
		b.entries[key] = e
	case e.delay == 0 || (!e.runningSince.IsZero() && now.Sub(e.runningSince) >= b.resetAfter):
		e.delay = b.initial
	case e.delay > b.max/2: // doubling would pass max (or overflow)
		e.delay = b.max
	default:
		e.delay *= 2
	}
	e.runningSince = time.Time{}
	return e.delay
}

// Running records that key's container has been running since since; the
// next Next resets the back-off if it is called resetAfter or more later.
func (b *Backoff) Running(key string, since time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.entries[key]
	if !ok {
		e = &backoffEntry{}
		b.entries[key] = e
	}
	e.runningSince = since
}

// Reset forgets key (its pod is gone, or it stopped for good).
func (b *Backoff) Reset(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.entries, key)
}
