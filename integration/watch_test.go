package integration

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// TestWatchResumesAcrossLeaderChange: a watcher that starts at resourceVersion N sees
// every later change exactly once and in order, also when it reconnects to another
// server after the leader is killed.
func TestWatchResumesAcrossLeaderChange(t *testing.T) {
	c := newCluster(t, 3)
	leader := c.waitLeader(15 * time.Second)
	ctx := context.Background()
	cl := leader.client(t)
	first, err := cl.Create(ctx, configMap("default", "w-start", map[string]string{"i": "0"}))
	if err != nil {
		t.Fatal(err)
	}
	startRV := first.GetObjectMeta().ResourceVersion

	// Writes: 20 before the kill, 20 after, each acknowledged in order.
	var want []string
	write := func(n *node, i int) {
		t.Helper()
		name := fmt.Sprintf("w-%02d", i)
		obj, err := n.client(t, api.WithRetry(10*time.Second)).Create(ctx, configMap("default", name, map[string]string{"i": strconv.Itoa(i)}))
		if err != nil {
			t.Fatalf("write %s: %v", name, err)
		}
		want = append(want, name+"@"+obj.GetObjectMeta().ResourceVersion)
	}
	// Watch on a follower from the start.
	follower := c.followers(leader)[0]
	got, lastRV := collect(t, follower, startRV, func() {
		for i := 1; i <= 20; i++ {
			write(leader, i)
		}
	}, 20)
	leader.kill(t)
	c.waitLeader(15 * time.Second)
	for i := 21; i <= 40; i++ {
		write(follower, i)
	}
	// Resume on the other surviving server from the last resourceVersion seen.
	var target *node
	for _, n := range c.nodes {
		if n.running() && n != follower {
			target = n
		}
	}
	rest, _ := collect(t, target, lastRV, func() {}, 20)
	got = append(got, rest...)
	if len(got) != len(want) {
		t.Fatalf("saw %d events, want %d:\n got %v\nwant %v", len(got), len(want), got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("event %d: got %s, want %s (order or duplicates differ)\n got %v\nwant %v", i, got[i], want[i], got, want)
		}
	}
}

// collect watches n from rv, runs act, and returns the first count events as
// "name@resourceVersion" plus the resourceVersion of the last one.
func collect(t *testing.T, n *node, rv string, act func(), count int) ([]string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w, err := n.client(t).Watch(ctx, cmRes, "default", api.WatchOptions{ResourceVersion: rv})
	if err != nil {
		t.Fatalf("watch on %s from %s: %v", n.name, rv, err)
	}
	defer w.Close()
	act()
	var out []string
	last := rv
	for len(out) < count {
		ev, err := w.Next()
		if err != nil {
			t.Fatalf("watch on %s after %d events: %v", n.name, len(out), err)
		}
		if ev.Type != api.WatchAdded {
			t.Fatalf("unexpected %s event for %s", ev.Type, ev.Object.GetObjectMeta().Name)
		}
		m := ev.Object.GetObjectMeta()
		out = append(out, m.Name+"@"+m.ResourceVersion)
		last = m.ResourceVersion
	}
	return out, last
}
