// Package iptablestest is a recording iptables executor for the tests of the
// packages that program iptables (the service proxy, network policies).
package iptablestest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// Recorder keeps every iptables-restore payload it was asked to apply and when.
// Its methods are safe for concurrent use.
type Recorder struct {
	// SaveChains makes Save report, as iptables-save would, the filter chains the
	// payloads left (beside FORWARD and Docker's DOCKER-USER); otherwise Save
	// reports nothing.
	SaveChains bool

	mu       sync.Mutex
	payloads []string
	at       []time.Time
	chains   map[string]bool
}

// Save implements the executors' Save.
func (r *Recorder) Save(context.Context) ([]byte, error) {
	if !r.SaveChains {
		return nil, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	b.WriteString("*filter\n:FORWARD DROP [0:0]\n:DOCKER-USER - [0:0]\n")
	for c := range r.chains {
		b.WriteString(":" + c + " - [0:0]\n")
	}
	b.WriteString("COMMIT\n")
	return []byte(b.String()), nil
}

// Restore implements the executors' Restore: it records p and the chains it
// declares or deletes.
func (r *Recorder) Restore(_ context.Context, p []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.chains == nil {
		r.chains = map[string]bool{}
	}
	for _, l := range strings.Split(string(p), "\n") {
		switch {
		case strings.HasPrefix(l, ":"):
			r.chains[strings.Fields(l[1:])[0]] = true
		case strings.HasPrefix(l, "-X "):
			delete(r.chains, l[3:])
		}
	}
	r.payloads = append(r.payloads, string(p))
	r.at = append(r.at, time.Now())
	return nil
}

// Payloads returns the payloads applied so far, oldest first.
func (r *Recorder) Payloads() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.payloads...)
}

// WaitPayload waits until the last payload satisfies ok and returns when it was
// applied; it fails the test after timeout.
func (r *Recorder) WaitPayload(t testing.TB, timeout time.Duration, what string, ok func(string) bool) time.Time {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r.mu.Lock()
		n := len(r.payloads)
		var last string
		var at time.Time
		if n > 0 {
			last, at = r.payloads[n-1], r.at[n-1]
		}
		r.mu.Unlock()
		if n > 0 && ok(last) {
			return at
		}
		if time.Now().After(deadline) {
			t.Fatalf("no payload with %s within %v; last:\n%s", what, timeout, last)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
