package iptables

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/server/servertest"
)

// TestFollowerSyncsOnChange: a Follower syncs once its kinds are listed, with
// them in its Snapshot, and again when one of them changes.
func TestFollowerSyncsOnChange(t *testing.T) {
	ts := servertest.Start(t, nil)
	var syncs atomic.Int64
	var f *Follower
	seen := make(chan int, 64)
	f = NewFollower(ts.Client, []string{"ConfigMap", "Namespace"}, "test", SyncConfig{
		MinInterval: 10 * time.Millisecond, Period: time.Hour, Retry: time.Second,
		Sync: func(context.Context, bool) error {
			syncs.Add(1)
			seen <- len(f.Snapshot()["ConfigMap"])
			return nil
		},
	})
	bad := NewFollower(ts.Client, []string{"NoSuchKind"}, "test", SyncConfig{
		MinInterval: time.Millisecond, Period: time.Hour, Retry: time.Second,
		Sync: func(context.Context, bool) error { return nil },
	})
	if err := bad.Run(context.Background()); err == nil {
		t.Fatal("Run with an unknown kind: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	defer func() { cancel(); <-done }()

	next := func(want int) {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			select {
			case n := <-seen:
				if n == want {
					return
				}
			case <-deadline:
				t.Fatalf("no sync with %d ConfigMaps within 5s (%d syncs)", want, syncs.Load())
			}
		}
	}
	next(0)
	cm := &api.ConfigMap{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "x"}}
	cm.APIVersion, cm.Kind = "v1", "ConfigMap"
	if _, err := ts.Client.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	next(1)
}
