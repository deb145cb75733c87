package controller

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

func TestQueueDeduplicatesAndRequeuesWhileProcessing(t *testing.T) {
	q := NewQueue()
	ctx := context.Background()
	q.Add("a")
	q.Add("a")
	q.Add("b")
	if q.Len() != 2 {
		t.Fatalf("Len = %d, want 2 (a added twice is one key)", q.Len())
	}
	k, _ := q.Get(ctx)
	if k != "a" {
		t.Fatalf("first key %q, want a (FIFO)", k)
	}
	q.Add("a") // while processing: handed out again only after Done
	k2, _ := q.Get(ctx)
	if k2 != "b" {
		t.Fatalf("second key %q, want b; a must not go to two workers at once", k2)
	}
	if q.Len() != 0 {
		t.Fatalf("a is ready while still processing")
	}
	q.Done("a")
	if k3, _ := q.Get(ctx); k3 != "a" {
		t.Fatalf("a added during processing was lost, got %q", k3)
	}
}

func TestQueueAddAfterAndRetryBackOff(t *testing.T) {
	q := NewQueue()
	start := time.Now()
	q.AddAfter("x", 30*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if k, ok := q.Get(ctx); !ok || k != "x" {
		t.Fatalf("Get = %q %v", k, ok)
	}
	if d := time.Since(start); d < 25*time.Millisecond {
		t.Fatalf("AddAfter key ready after %v, want >= 30ms", d)
	}
	q.Done("x")
	q.Retry("x")
	q.Retry("x") // second failure before the first retry fired: the earlier wins
	if k, ok := q.Get(ctx); !ok || k != "x" {
		t.Fatalf("retry lost: %q %v", k, ok)
	}
	q.Done("x")
	q.mu.Lock()
	n := q.failures["x"]
	q.mu.Unlock()
	if n != 2 {
		t.Fatalf("failures = %d, want 2", n)
	}
	q.Forget("x")
	q.mu.Lock()
	_, left := q.failures["x"]
	q.mu.Unlock()
	if left {
		t.Fatal("Forget kept the back-off")
	}
}

func TestQueueShutDownWakesGet(t *testing.T) {
	q := NewQueue()
	done := make(chan bool)
	go func() {
		_, ok := q.Get(context.Background())
		done <- ok
	}()
	q.ShutDown()
	select {
	case ok := <-done:
		if ok {
			t.Fatal("Get returned a key after ShutDown")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Get did not wake on ShutDown")
	}
}

func TestProcessRetriesFailuresAndStopsWithContext(t *testing.T) {
	q := NewQueue()
	var calls atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		Process(ctx, q, 2, func(_ context.Context, key string) error {
			if calls.Add(1) < 3 {
				return errors.New("not yet")
			}
			return nil
		}, nil)
	})
	q.Add("k")
	waitFor(t, "three attempts", func() bool { return calls.Load() >= 3 })
	cancel()
	wg.Wait()
}

func TestInformerListsThenWatches(t *testing.T) {
	h := newHarness(t)
	h.mustCreate(&api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: "before", Namespace: "default"}})
	var mu sync.Mutex
	seen := map[string]raftfsm.EventType{}
	in := NewInformer(h.fsm, h.env().Log).On("ConfigMap", func(typ raftfsm.EventType, rec *raftfsm.Record) {
		mu.Lock()
		seen[rec.Object.GetObjectMeta().Name] = typ
		mu.Unlock()
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go in.Run(ctx)
	select {
	case <-in.Synced():
	case <-time.After(5 * time.Second):
		t.Fatal("informer never synced")
	}
	mu.Lock()
	if seen["before"] != raftfsm.Added {
		t.Fatalf("existing object not listed: %v", seen)
	}
	mu.Unlock()
	h.mustCreate(&api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: "after", Namespace: "default"}})
	res, _ := api.ResourceForKind("ConfigMap")
	if err := h.Delete(ctx, res, "default", "before", DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "watch events", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return seen["after"] == raftfsm.Added && seen["before"] == raftfsm.Deleted
	})
}

func TestKeysAndOwners(t *testing.T) {
	rs := &api.ReplicaSet{TypeMeta: api.TypeMeta{APIVersion: "apps/v1", Kind: "ReplicaSet"},
		ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "ns", UID: "u1"}}
	if KeyOf(rs) != "ns/web" {
		t.Fatalf("KeyOf = %q", KeyOf(rs))
	}
	if ns, n := SplitKey("ns/web"); ns != "ns" || n != "web" {
		t.Fatalf("SplitKey = %q %q", ns, n)
	}
	if ns, n := SplitKey("node-1"); ns != "" || n != "node-1" {
		t.Fatalf("SplitKey cluster-scoped = %q %q", ns, n)
	}
	pod := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "p", Namespace: "ns",
		OwnerReferences: []api.OwnerReference{NewControllerRef(rs)}}}
	ref := ControllerOf(pod)
	if ref == nil || ref.UID != "u1" || ref.Kind != "ReplicaSet" || ref.APIVersion != "apps/v1" {
		t.Fatalf("ControllerOf = %+v", ref)
	}
	q := NewQueue()
	EnqueueOwner(q, "ReplicaSet")(raftfsm.Added, &raftfsm.Record{Object: pod})
	EnqueueOwner(q, "Deployment")(raftfsm.Added, &raftfsm.Record{Object: pod})
	if q.Len() != 1 {
		t.Fatalf("EnqueueOwner queued %d keys, want 1", q.Len())
	}
}

func TestQueueAddAfterEarliestWins(t *testing.T) {
	q := NewQueue()
	q.AddAfter("k", time.Hour)
	q.AddAfter("k", 20*time.Millisecond) // earlier: replaces the hour
	q.AddAfter("k", time.Hour)           // later: ignored
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if k, ok := q.Get(ctx); !ok || k != "k" {
		t.Fatalf("the earliest deadline did not win: %q %v", k, ok)
	}
	q.Done("k")
	q.ShutDown()
}
