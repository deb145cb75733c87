package informer

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/server/servertest"
)

// TestCacheFollowsKinds runs a Cache of two kinds against a real server: Listed
// waits for both lists, Snapshot holds what exists and follows creates and
// deletes, Typed keeps the kind's Go type, and every change calls Changed.
func TestCacheFollowsKinds(t *testing.T) {
	ts := servertest.Start(t, nil)
	ctx := context.Background()
	cm := &api.ConfigMap{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "before"}}
	cm.APIVersion, cm.Kind = "v1", "ConfigMap"
	if _, err := ts.Client.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	var changes atomic.Int64
	c := &Cache{Source: ts.Client, What: "test", Changed: func() { changes.Add(1) }}
	if _, err := c.Start(ctx, "ConfigMap", "NoSuchKind"); err == nil {
		t.Fatal("Start with an unknown kind: no error")
	}
	runCtx, cancel := context.WithCancel(ctx)
	wait, err := c.Start(runCtx, "ConfigMap", "Namespace")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); wait() }()

	servertest.WaitFor(t, 5*time.Second, "both kinds listed", func() error {
		if !c.Listed("ConfigMap", "Namespace") {
			return fmt.Errorf("not listed")
		}
		return nil
	})
	// Changed runs just after a list or event is stored, so wait for it too.
	servertest.WaitFor(t, 5*time.Second, "Changed after both lists", func() error {
		if n := changes.Load(); n < 2 {
			return fmt.Errorf("Changed called %d times", n)
		}
		return nil
	})
	listedAt := changes.Load()
	snap := c.Snapshot("ConfigMap", "Namespace")
	if got := Typed[*api.ConfigMap](snap["ConfigMap"]); got[Key("default", "before")] == nil {
		t.Fatalf("ConfigMaps %v, want default/before", got)
	}
	if got := Typed[*api.Namespace](snap["Namespace"]); got[Key("", "default")] == nil {
		t.Fatalf("Namespaces %v, want default", got)
	}
	if got := Typed[*api.Pod](snap["ConfigMap"]); len(got) != 0 {
		t.Fatalf("Typed kept objects of another type: %v", got)
	}
	cm.Name = "after"
	if _, err := ts.Client.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	res, _ := api.ResourceForKind("ConfigMap")
	if _, err := ts.Client.Delete(ctx, res, "default", "before", api.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	servertest.WaitFor(t, 5*time.Second, "the create and the delete", func() error {
		got := c.Snapshot("ConfigMap")["ConfigMap"]
		if len(got) != 1 || got[Key("default", "after")] == nil {
			return fmt.Errorf("ConfigMaps %v, want only default/after", got)
		}
		return nil
	})
	servertest.WaitFor(t, 5*time.Second, "Changed after the create and the delete", func() error {
		if n := changes.Load() - listedAt; n < 2 {
			return fmt.Errorf("Changed called %d times", n)
		}
		return nil
	})
}
