package raftfsm

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// mustNext returns the watcher's next events, failing after a deadline.
func mustNext(t *testing.T, w *Watcher) []Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	evs, err := w.Next(ctx)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return evs
}

// drain collects events until the watcher's cursor reaches idx.
func drain(t *testing.T, w *Watcher, idx uint64) []Event {
	t.Helper()
	var out []Event
	for w.RV() < idx {
		out = append(out, mustNext(t, w)...)
	}
	return out
}

func TestWatchResume(t *testing.T) {
	h := newSeeded(t) // index 4
	cms := mustResource(t, "ConfigMap")
	for i := range 20 {
		h.mustApply(createCM("default", fmt.Sprintf("c%02d", i), "v"))
	}
	for from := uint64(4); from <= h.idx; from += 3 {
		t.Run(fmt.Sprint("from ", from), func(t *testing.T) {
			w, err := h.f.Watch(cms, "default", from)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			evs := drain(t, w, h.idx)
			if want := int(h.idx - from); len(evs) != want {
				t.Fatalf("%d events, want %d", len(evs), want)
			}
			for i, ev := range evs {
				if ev.Record.RV != from+uint64(i)+1 || ev.Type != Added {
					t.Fatalf("event %d: rv %d type %s", i, ev.Record.RV, ev.Type)
				}
			}
		})
	}
}

func TestWatchLive(t *testing.T) {
	h := newSeeded(t)
	cms := mustResource(t, "ConfigMap")
	w, err := h.f.Watch(cms, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if w.RV() != h.idx {
		t.Fatalf("from now = %d, want %d", w.RV(), h.idx)
	}
	got := make(chan []Event, 1)
	go func() {
		evs, _ := w.Next(context.Background())
		got <- evs
	}()
	h.mustApply(&Command{Type: CmdUpdate, Kind: "ConfigMap", Namespace: "default", Name: "a", Object: objJSON("ConfigMap", "default", "a", nil)})
	select {
	case evs := <-got:
		if len(evs) != 1 || evs[0].Type != Modified || evs[0].Record.RV != h.idx {
			t.Fatalf("events %+v", evs)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("blocked Next never woke")
	}
}

func TestWatchFilter(t *testing.T) {
	h := newSeeded(t)
	cms, pods := mustResource(t, "ConfigMap"), mustResource(t, "Pod")
	start := h.idx
	h.mustApply(createCM("other", "x", "v"))
	h.mustApply(createPod("other", "q", "n1", ""))
	h.mustApply(createCM("default", "y", "v"))
	tests := []struct {
		name  string
		watch func() (*Watcher, error)
		want  []string
	}{
		{"configmaps everywhere", func() (*Watcher, error) { return h.f.Watch(cms, "", start) }, []string{"other/x", "default/y"}},
		{"configmaps in other", func() (*Watcher, error) { return h.f.Watch(cms, "other", start) }, []string{"other/x"}},
		{"pods", func() (*Watcher, error) { return h.f.Watch(pods, "", start) }, []string{"other/q"}},
		{"pods in default", func() (*Watcher, error) { return h.f.Watch(pods, "default", start) }, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := tt.watch()
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			var got []string
			for {
				evs, err := w.Next(ctx)
				if errors.Is(err, context.DeadlineExceeded) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, names(eventRecords(evs))...)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			if w.RV() != h.idx {
				t.Fatalf("cursor %d, want %d", w.RV(), h.idx)
			}
		})
	}
}

func TestWatchGone(t *testing.T) {
	h := mustNewFSM(t, 5)
	cms := mustResource(t, "ConfigMap")
	h.mustApply(createNS("default"))
	w, err := h.f.Watch(cms, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 { // indexes 2..11; the window keeps 7..11, floor 6
		h.mustApply(createCM("default", fmt.Sprint("c", i), "v"))
	}
	tests := []struct {
		name    string
		from    uint64
		wantErr error
	}{
		{"older than the window", 5, ErrGone},
		{"the floor", 6, nil},
		{"in the window", 9, nil},
		{"the future", 100, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := h.f.Watch(cms, "", tt.from)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			}
			if w != nil {
				w.Close()
			}
		})
	}
	// The watcher that started at 1 and never read fell behind.
	if _, err := w.Next(context.Background()); !errors.Is(err, ErrGone) {
		t.Fatalf("behind: %v", err)
	}
}

func TestWatchFuture(t *testing.T) {
	h := newSeeded(t)
	w, err := h.f.Watch(mustResource(t, "ConfigMap"), "", h.idx+2)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for i := range 3 {
		h.mustApply(createCM("default", fmt.Sprint("f", i), "v"))
	}
	evs := mustNext(t, w)
	if len(evs) != 1 || evs[0].Record.RV != h.idx {
		t.Fatalf("events %+v", evs)
	}
}

func TestWatcherEnds(t *testing.T) {
	h := newSeeded(t)
	cms := mustResource(t, "ConfigMap")
	t.Run("ctx", func(t *testing.T) {
		w, _ := h.f.Watch(cms, "", 0)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := w.Next(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("close", func(t *testing.T) {
		w, _ := h.f.Watch(cms, "", 0)
		done := make(chan error, 1)
		go func() { _, err := w.Next(context.Background()); done <- err }()
		w.Close()
		w.Close() // idempotent
		select {
		case err := <-done:
			if !errors.Is(err, ErrWatcherClosed) {
				t.Fatalf("err %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Close did not end Next")
		}
	})
}

func TestSlowWatcherDoesNotBlockApply(t *testing.T) {
	h := mustNewFSM(t, 100)
	cms := mustResource(t, "ConfigMap")
	h.mustApply(createNS("default"))
	var watchers []*Watcher
	for range 50 {
		w, err := h.f.Watch(cms, "", 0) // never read
		if err != nil {
			t.Fatal(err)
		}
		watchers = append(watchers, w)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 1000 {
			h.mustApply(createCM("default", fmt.Sprint("c", i), "v"))
		}
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Apply blocked behind watchers that do not read")
	}
	for _, w := range watchers {
		if _, err := w.Next(context.Background()); !errors.Is(err, ErrGone) {
			t.Fatalf("a watcher 1000 events behind a window of 100: %v", err)
		}
	}
}

func TestRestoreWakesWatchers(t *testing.T) {
	h := newSeeded(t)
	snap := snapshotBytes(t, h.f)
	cms := mustResource(t, "ConfigMap")
	h.mustApply(createCM("default", "later", "v"))
	w, err := h.f.Watch(cms, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := w.Next(context.Background()); done <- err }()
	if err := restoreBytes(h.f, snap); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrGone) {
			t.Fatalf("err %v, want ErrGone", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("restore did not wake the watcher")
	}
	if _, err := h.f.Watch(cms, "", 3); !errors.Is(err, ErrGone) {
		t.Fatalf("watch below the restored index: %v", err)
	}
	w2, err := h.f.Watch(cms, "", 0)
	if err != nil || w2.RV() != 4 {
		t.Fatalf("watch from now after restore: %v rv %d", err, w2.RV())
	}
}

func TestWaitForIndex(t *testing.T) {
	h := newSeeded(t)
	if err := h.f.WaitForIndex(context.Background(), 4); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- h.f.WaitForIndex(context.Background(), 6) }()
	h.mustApply(createCM("default", "x", "v"))
	h.f.ApplyBatch(nil)
	h.idx++
	h.f.advance(h.idx) // a configuration entry
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("WaitForIndex never returned")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := h.f.WaitForIndex(ctx, 100); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
}

// TestListThenWatchConcurrent lists while Apply runs, watches from the list's index,
// and checks that list + events hold every object exactly once, in order.
func TestListThenWatchConcurrent(t *testing.T) {
	h := mustNewFSM(t, 10000)
	cms := mustResource(t, "ConfigMap")
	h.mustApply(createNS("default"))
	const total = 300
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range total {
			h.mustApply(createCM("default", fmt.Sprintf("c%03d", i), "v"))
		}
	}()
	listed, idx := h.f.List(cms, "default")
	w, err := h.f.Watch(cms, "default", idx)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	seen := map[string]int{}
	for _, r := range listed {
		if r.RV > idx {
			t.Fatalf("listed %d newer than the list index %d", r.RV, idx)
		}
		seen[r.Object.GetObjectMeta().Name]++
	}
	last := idx
	for len(seen) < total {
		for _, ev := range mustNext(t, w) {
			if ev.Record.RV <= last {
				t.Fatalf("event %d after %d", ev.Record.RV, last)
			}
			last = ev.Record.RV
			seen[ev.Record.Object.GetObjectMeta().Name]++
		}
	}
	<-done
	for name, n := range seen {
		if n != 1 {
			t.Fatalf("%s seen %d times", name, n)
		}
	}
}
