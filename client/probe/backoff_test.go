package probe

import (
	"math"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestBackoffSequence(t *testing.T) {
	s := time.Second
	tests := []struct {
		name                     string
		initial, max, resetAfter time.Duration
		want                     []time.Duration
	}{
		{name: "defaults", want: []time.Duration{10 * s, 20 * s, 40 * s, 80 * s, 160 * s, 300 * s, 300 * s, 300 * s}},
		{name: "explicit", initial: s, max: 5 * s, resetAfter: time.Minute, want: []time.Duration{s, 2 * s, 4 * s, 5 * s, 5 * s}},
		{name: "initial above max", initial: time.Hour, max: time.Minute, want: []time.Duration{time.Minute, time.Minute}},
		{name: "huge max does not overflow", initial: math.MaxInt64 / 3, max: math.MaxInt64,
			want: []time.Duration{math.MaxInt64 / 3, math.MaxInt64 / 3 * 2, math.MaxInt64, math.MaxInt64}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBackoff(tt.initial, tt.max, tt.resetAfter)
			now := time.Unix(1_000_000, 0)
			var got []time.Duration
			for range tt.want {
				d := b.Next("pod/c", now)
				got = append(got, d)
				// Restarted after the delay and crashed 5 s later: no reset.
				b.Running("pod/c", now.Add(d))
				now = now.Add(d + 5*time.Second)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("delays = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBackoffReset(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	tests := []struct {
		name  string
		ran   time.Duration // how long the container ran before the last crash; <0: Running not called
		reset bool          // call Reset before the last Next
		want  time.Duration
	}{
		{name: "ran 10 minutes: reset", ran: 10 * time.Minute, want: 10 * time.Second},
		{name: "ran an hour: reset", ran: time.Hour, want: 10 * time.Second},
		{name: "ran 9m59s: keeps doubling", ran: 10*time.Minute - time.Second, want: 80 * time.Second},
		{name: "not reported running: keeps doubling", ran: -1, want: 80 * time.Second},
		{name: "Reset forgets", ran: -1, reset: true, want: 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBackoff(0, 0, 0)
			for range 3 { // 10s, 20s, 40s
				b.Next("k", t0)
			}
			crash := t0.Add(time.Hour)
			if tt.ran >= 0 {
				b.Running("k", crash.Add(-tt.ran))
			}
			if tt.reset {
				b.Reset("k")
			}
			if got := b.Next("k", crash); got != tt.want {
				t.Fatalf("Next = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBackoffKeysAreIndependentAndConcurrent(t *testing.T) {
	b := NewBackoff(0, 0, 0)
	now := time.Unix(1_000_000, 0)
	var wg sync.WaitGroup
	for _, k := range []string{"a", "b", "c", "d"} {
		wg.Go(func() {
			for range 4 {
				b.Next(k, now)
				b.Running(k, now)
			}
		})
	}
	wg.Wait()
	for _, k := range []string{"a", "b", "c", "d"} {
		if got := b.Next(k, now); got != 160*time.Second {
			t.Errorf("key %s: Next = %v, want 160s", k, got)
		}
	}
	if got := b.Next("fresh", now); got != 10*time.Second {
		t.Errorf("new key: Next = %v, want 10s", got)
	}
	b.Running("only-running", now)
	if got := b.Next("only-running", now.Add(time.Minute)); got != 10*time.Second {
		t.Errorf("key first seen running: Next = %v, want 10s", got)
	}
}
