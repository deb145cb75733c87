package iptables

import (
	"context"
	"fmt"
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
	var syncs, lastSeen atomic.Int64 // lastSeen: ConfigMaps in the latest sync's snapshot
	var f *Follower
	f = NewFollower(ts.Client, []string{"ConfigMap", "Namespace"}, "test", SyncConfig{
		MinInterval: 10 * time.Millisecond, Period: time.Hour, Retry: time.Second,
		Sync: func(context.Context, bool) error {
			lastSeen.Store(int64(len(f.Snapshot()["ConfigMap"])))
			syncs.Add(1)
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

	next := func(want int64) {
		t.Helper()
		servertest.WaitFor(t, 5*time.Second, fmt.Sprintf("a sync with %d ConfigMaps", want), func() error {
			if n, got := syncs.Load(), lastSeen.Load(); n == 0 || got != want {
				return fmt.Errorf("%d syncs, the latest with %d ConfigMaps", n, got)
			}
			return nil
		})
	}
	next(0)
	cm := &api.ConfigMap{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "x"}}
	cm.APIVersion, cm.Kind = "v1", "ConfigMap"
	if _, err := ts.Client.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	next(1)
}
