package server

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// nextEvent reads one watch event within a deadline, so a missing event fails the test
// instead of hanging it.
func nextEvent(t *testing.T, w *api.Watcher) api.WatchEvent {
	t.Helper()
	type result struct {
		ev  api.WatchEvent
		err error
	}
	ch := make(chan result, 1)
	go func() {
		ev, err := w.Next()
		ch <- result{ev, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("watch: %v", r.err)
		}
		return r.ev
	case <-time.After(10 * time.Second):
		w.Close()
		t.Fatal("no watch event within 10s")
	}
	return api.WatchEvent{}
}

func rvOf(t *testing.T, o api.Object) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(o.GetObjectMeta().ResourceVersion, 10, 64)
	if err != nil {
		t.Fatalf("resourceVersion %q: %v", o.GetObjectMeta().ResourceVersion, err)
	}
	return v
}

// TestServerWatchFromResourceVersion: a watch that resumes from a resourceVersion
// sees exactly the changes after it, in order, and then live changes.
func TestServerWatchFromResourceVersion(t *testing.T) {
	ts := mustStartServer(t, nil)
	ctx := context.Background()
	c := ts.client
	cmRes := mustRes(t, "ConfigMap")

	a, err := c.Create(ctx, newConfigMap("default", "a", map[string]string{"v": "1"}))
	if err != nil {
		t.Fatal(err)
	}
	from := a.GetObjectMeta().ResourceVersion
	a2 := api.DeepCopy(a).(*api.ConfigMap)
	a2.Data["v"] = "2"
	if _, err := c.Update(ctx, a2); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create(ctx, newConfigMap("default", "b", nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Delete(ctx, cmRes, "default", "a", api.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}

	w, err := c.Watch(ctx, cmRes, "default", api.WatchOptions{ResourceVersion: from})
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	defer w.Close()
	want := []struct{ typ, name string }{
		{api.WatchModified, "a"}, {api.WatchAdded, "b"}, {api.WatchDeleted, "a"},
	}
	last, _ := strconv.ParseUint(from, 10, 64)
	for i, wnt := range want {
		ev := nextEvent(t, w)
		if ev.Type != wnt.typ || ev.Object.GetObjectMeta().Name != wnt.name {
			t.Fatalf("event %d = %s %s, want %s %s", i, ev.Type, ev.Object.GetObjectMeta().Name, wnt.typ, wnt.name)
		}
		if rv := rvOf(t, ev.Object); rv <= last {
			t.Fatalf("event %d has resourceVersion %d, not after %d", i, rv, last)
		} else {
			last = rv
		}
	}
	// Nothing else is pending: the next event is a change made after the watch began.
	if _, err := c.Create(ctx, newConfigMap("default", "live", nil)); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, w); ev.Type != api.WatchAdded || ev.Object.GetObjectMeta().Name != "live" {
		t.Fatalf("after the replay got %s %s, want ADDED live", ev.Type, ev.Object.GetObjectMeta().Name)
	}
}

// TestServerWatchTooOld: with a tiny watch window, resuming from an early
// resourceVersion is refused with 410 Expired (re-list), not a silent gap.
func TestServerWatchTooOld(t *testing.T) {
	ts := mustStartServer(t, func(c *Config) { c.WatchWindow = 2 })
	ctx := context.Background()
	c := ts.client
	first, err := c.Create(ctx, newConfigMap("default", "c0", nil))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		if _, err := c.Create(ctx, newConfigMap("default", "c"+strconv.Itoa(i), nil)); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.Watch(ctx, mustRes(t, "ConfigMap"), "default", api.WatchOptions{ResourceVersion: first.GetObjectMeta().ResourceVersion})
	wantReason(t, err, api.ReasonGone)
	if code := err.(*api.Error).Code(); code != 410 {
		t.Fatalf("code = %d, want 410", code)
	}
}

// TestServerSnapshotSaveRestore: GET /v1/snapshot then PUT /v1/snapshot brings back
// objects deleted in between and drops objects created in between.
func TestServerSnapshotSaveRestore(t *testing.T) {
	ts := mustStartServer(t, nil)
	ctx := context.Background()
	c := ts.client
	cmRes := mustRes(t, "ConfigMap")
	for _, name := range []string{"keep", "lost"} {
		if _, err := c.Create(ctx, newConfigMap("default", name, map[string]string{"n": name})); err != nil {
			t.Fatal(err)
		}
	}
	var snap bytes.Buffer
	if n, err := c.SnapshotSave(ctx, &snap); err != nil || n == 0 {
		t.Fatalf("snapshot save: %d bytes, %v", n, err)
	}
	if _, err := c.Delete(ctx, cmRes, "default", "lost", api.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create(ctx, newConfigMap("default", "later", nil)); err != nil {
		t.Fatal(err)
	}
	if err := c.SnapshotRestore(ctx, bytes.NewReader(snap.Bytes())); err != nil {
		t.Fatalf("snapshot restore: %v", err)
	}
	got, err := c.Get(ctx, cmRes, "default", "lost", api.GetOptions{Consistent: true})
	if err != nil {
		t.Fatalf("the deleted object is not back after restore: %v", err)
	}
	if got.(*api.ConfigMap).Data["n"] != "lost" {
		t.Fatalf("restored object = %+v", got)
	}
	_, err = c.Get(ctx, cmRes, "default", "later", api.GetOptions{Consistent: true})
	wantReason(t, err, api.ReasonNotFound)

	// The restored cluster still takes writes.
	if _, err := c.Create(ctx, newConfigMap("default", "after", nil)); err != nil {
		t.Fatalf("create after restore: %v", err)
	}
}
