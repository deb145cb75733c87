package fake

import (
	"fmt"
	"runtime"
	"testing"

	rt "github.com/berth-dev/berth/client/runtime"
)

// TestEventsSlowReader: emitting never blocks and nothing is dropped.
func TestEventsSlowReader(t *testing.T) {
	r, sandbox, _ := mustPod(t)
	ctx := testCtx(t)
	evs, _ := r.Events(ctx)
	const n = 500
	for i := range n {
		c := containerConfig("uid-1", fmt.Sprintf("c%d", i))
		id, err := r.CreateContainer(ctx, sandbox, c)
		if err != nil {
			t.Fatal(err)
		}
		_ = r.StartContainer(ctx, id)
		_ = r.Exit(id, i%256)
	}
	for i := range n {
		start, die := <-evs, <-evs
		if start.Action != rt.EventStart || die.Action != rt.EventDie || die.ExitCode != i%256 || start.ID != die.ID {
			t.Fatalf("event pair %d = %+v %+v", i, start, die)
		}
	}
}

// TestManyHollowNodes: thousands of runtimes with pods cost no goroutines.
func TestManyHollowNodes(t *testing.T) {
	ctx := testCtx(t)
	before := runtime.NumGoroutine()
	nodes := make([]*Runtime, 2000)
	for i := range nodes {
		r := New(Config{Images: []rt.Image{{Names: []string{"app:1"}}}})
		_ = r.EnsureNetwork(ctx, testNet, testSubnet)
		for p := range 5 {
			uid := fmt.Sprintf("n%d-p%d", i, p)
			sb, err := r.CreateSandbox(ctx, sandboxConfig(uid, byte(p+2)))
			if err != nil {
				t.Fatal(err)
			}
			id, err := r.CreateContainer(ctx, sb, containerConfig(uid, "app"))
			if err != nil {
				t.Fatal(err)
			}
			_ = r.StartContainer(ctx, id)
		}
		nodes[i] = r
	}
	if after := runtime.NumGoroutine(); after > before+5 {
		t.Errorf("goroutines %d → %d for %d hollow nodes", before, after, len(nodes))
	}
	list, _ := nodes[len(nodes)-1].ListContainers(ctx)
	if len(list) != 10 {
		t.Errorf("a node lists %d containers, want 10", len(list))
	}
}
