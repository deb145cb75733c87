package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// mustInmemRaft starts a single-voter Raft over in-memory stores with a real FSM and
// waits until it leads.
func mustInmemRaft(t *testing.T) (*raft.Raft, *raftfsm.FSM) {
	t.Helper()
	conf := raft.DefaultConfig()
	conf.LocalID = "n1"
	conf.HeartbeatTimeout = 50 * time.Millisecond
	conf.ElectionTimeout = 50 * time.Millisecond
	conf.LeaderLeaseTimeout = 50 * time.Millisecond
	conf.CommitTimeout = 5 * time.Millisecond
	conf.Logger = hclog.New(&hclog.LoggerOptions{Level: hclog.Off, Output: io.Discard})
	store := raft.NewInmemStore()
	addr, trans := raft.NewInmemTransport("")
	fsm := raftfsm.New(raftfsm.Config{Logger: discardLogger()})
	r, err := raft.NewRaft(conf, fsm, store, store, raft.NewInmemSnapshotStore(), trans)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Shutdown().Error() })
	boot := raft.Configuration{Servers: []raft.Server{{ID: conf.LocalID, Address: addr, Suffrage: raft.Voter}}}
	if err := r.BootstrapCluster(boot).Error(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the in-memory raft to lead", func() error {
		if r.State() != raft.Leader {
			return fmt.Errorf("state %s", r.State())
		}
		return nil
	})
	if err := r.Barrier(time.Second).Error(); err != nil {
		t.Fatal(err)
	}
	return r, fsm
}

// createCmd is a create command for a stamped object, as the leader would propose it.
func createCmd(t *testing.T, obj api.Object) raftfsm.Command {
	t.Helper()
	res, ok := api.ResourceForObject(obj)
	if !ok {
		t.Fatalf("unknown kind %T", obj)
	}
	stampNew(res, obj, time.Now())
	b, err := api.Encode(obj)
	if err != nil {
		t.Fatal(err)
	}
	m := obj.GetObjectMeta()
	return raftfsm.Command{Type: raftfsm.CmdCreate, Kind: res.Kind, Namespace: m.Namespace, Name: m.Name, Object: b}
}

func namespaceObj(name string) api.Object {
	res, _ := api.ResourceForKind("Namespace")
	ns := res.New()
	ns.GetObjectMeta().Name = name
	return ns
}

// startProposer runs p's batching loop until the returned stop is called; stop
// returns once the loop has exited, so nothing it queued afterwards is taken by it.
func startProposer(p *proposer) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); p.run(ctx) }()
	return func() { cancel(); <-done }
}

// queued waits until n proposals sit in the proposer's queue.
func queued(t *testing.T, p *proposer, n int) {
	t.Helper()
	waitFor(t, 5*time.Second, fmt.Sprintf("%d queued proposals", n), func() error {
		if got := len(p.in); got != n {
			return fmt.Errorf("%d queued", got)
		}
		return nil
	})
}

// TestProposerBatchesConcurrentProposals: proposals that queue while the batcher is
// busy share Raft entries (at most maxBatch each), and every caller gets the result of
// its own command, failures included.
func TestProposerBatchesConcurrentProposals(t *testing.T) {
	r, fsm := mustInmemRaft(t)
	const n, maxBatch = 10, 4
	p := newProposer(r, maxBatch, 5*time.Second)
	var batches []int
	var mu sync.Mutex
	p.observe = func(_ time.Duration, size int) { mu.Lock(); batches = append(batches, size); mu.Unlock() }
	ctx := context.Background()

	// The namespace goes first, alone, so the batch below sees it.
	stop := startProposer(p)
	if res, err := p.propose(ctx, createCmd(t, namespaceObj("default"))); err != nil || res.Err != nil {
		t.Fatalf("create namespace: %v %v", err, res.Err)
	}
	stop()
	before := r.LastIndex()

	// Queue every proposal before the batcher runs: they must share entries. The last
	// two create the same name, so one of them must fail on its own.
	type outcome struct {
		res raftfsm.Result
		err error
	}
	out := make([]outcome, n)
	names := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		names[i] = fmt.Sprintf("cm-%d", i)
		if i == n-1 {
			names[i] = names[n-2]
		}
		cmd := createCmd(t, newConfigMap("default", names[i], map[string]string{"i": fmt.Sprint(i)}))
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i].res, out[i].err = p.propose(ctx, cmd)
		}()
	}
	queued(t, p, n)
	mu.Lock()
	batches = nil
	mu.Unlock()
	defer startProposer(p)()
	wg.Wait()

	entries := r.LastIndex() - before
	if want := uint64((n + maxBatch - 1) / maxBatch); entries != want {
		t.Fatalf("%d proposals took %d raft entries, want %d (batches of %d)", n, entries, want, maxBatch)
	}
	failed := 0
	for i, o := range out {
		if o.err != nil {
			t.Fatalf("proposal %d: %v", i, o.err)
		}
		if o.res.Err != nil {
			if !errors.Is(o.res.Err, raftfsm.ErrAlreadyExists) {
				t.Fatalf("proposal %d: %v, want success or already exists", i, o.res.Err)
			}
			failed++
			continue
		}
		m := o.res.Record.Object.GetObjectMeta()
		if m.Name != names[i] || o.res.Record.Object.(*api.ConfigMap).Data["i"] != fmt.Sprint(i) {
			t.Fatalf("proposal %d got the result of another command: %s %v", i, m.Name, o.res.Record.Object)
		}
	}
	if failed != 1 {
		t.Fatalf("%d proposals failed, want exactly the one duplicate", failed)
	}
	if _, ok := fsm.Get(mustRes(t, "ConfigMap"), "default", "cm-0"); !ok {
		t.Fatal("cm-0 is not in the store")
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(batches) // entries commit in order, but their waiters report in any order
	if fmt.Sprint(batches) != "[2 4 4]" {
		t.Fatalf("batch sizes %v, want two of 4 and one of 2", batches)
	}
}

// TestProposerSkipsCancelledProposals: a proposal whose caller gave up before its
// batch was sent is never applied, while its batch mates are.
func TestProposerSkipsCancelledProposals(t *testing.T) {
	r, fsm := mustInmemRaft(t)
	p := newProposer(r, 16, 5*time.Second)
	stop := startProposer(p)
	if res, err := p.propose(context.Background(), createCmd(t, namespaceObj("default"))); err != nil || res.Err != nil {
		t.Fatalf("create namespace: %v %v", err, res.Err)
	}
	stop()
	cmRes := mustRes(t, "ConfigMap")

	// Already cancelled when proposed: refused whichever way propose's select goes.
	dead, cancelDead := context.WithCancel(context.Background())
	cancelDead()
	if _, err := p.propose(dead, createCmd(t, newConfigMap("default", "dead", nil))); err == nil {
		t.Fatal("a proposal with a cancelled context reported success")
	}

	// Cancelled while queued: its caller returns at once and the batch leaves it out.
	waiting, cancelWaiting := context.WithCancel(context.Background())
	live := context.Background()
	errs := make(chan error, 2)
	go func() {
		_, err := p.propose(waiting, createCmd(t, newConfigMap("default", "gave-up", nil)))
		errs <- err
	}()
	waitFor(t, 5*time.Second, "the abandoned proposal to queue", func() error {
		for _, pr := range drainPeek(p) {
			if pr.cmd.Name == "gave-up" {
				return nil
			}
		}
		return errors.New("not queued yet")
	})
	cancelWaiting()
	if err := <-errs; !errors.Is(err, errUnknownOutcome) && !errors.Is(err, errNotApplied) {
		t.Fatalf("abandoned proposal: %v", err)
	}
	var liveRes raftfsm.Result
	go func() {
		var err error
		liveRes, err = p.propose(live, createCmd(t, newConfigMap("default", "kept", nil)))
		errs <- err
	}()
	defer startProposer(p)()
	if err := <-errs; err != nil || liveRes.Err != nil {
		t.Fatalf("live proposal: %v %v", err, liveRes.Err)
	}
	for _, name := range []string{"dead", "gave-up"} {
		if _, ok := fsm.Get(cmRes, "default", name); ok {
			t.Errorf("%s was applied although its context was cancelled", name)
		}
	}
	if _, ok := fsm.Get(cmRes, "default", "kept"); !ok {
		t.Error("the live proposal was not applied")
	}
}

// drainPeek lists the queued proposals without losing them.
func drainPeek(p *proposer) []*proposal {
	var out []*proposal
	for {
		select {
		case pr := <-p.in:
			out = append(out, pr)
		default:
			for _, pr := range out {
				p.in <- pr
			}
			return out
		}
	}
}

// countingCtx counts how often Done is asked for: readBarrier.wait asks only after
// the caller has joined a round.
type countingCtx struct {
	context.Context
	n *atomic.Int32
}

func (c countingCtx) Done() <-chan struct{} {
	c.n.Add(1)
	return c.Context.Done()
}

// TestReadBarrierCoalesces: reads that arrive together share one Raft barrier, and a
// read that arrives later gets a barrier of its own.
func TestReadBarrierCoalesces(t *testing.T) {
	r, _ := mustInmemRaft(t)
	b := &readBarrier{raft: r, timeout: 5 * time.Second}
	const n = 20
	var joined atomic.Int32
	ctx := countingCtx{Context: context.Background(), n: &joined}

	// Pretend a round is running so that no loop starts until all readers have joined.
	b.mu.Lock()
	b.running = true
	b.mu.Unlock()
	before := r.LastIndex()
	errs := make(chan error, n)
	for range n {
		go func() { errs <- b.wait(ctx) }()
	}
	waitFor(t, 5*time.Second, "every reader to join the round", func() error {
		if got := joined.Load(); got < n {
			return fmt.Errorf("%d of %d joined", got, n)
		}
		return nil
	})
	go b.loop()
	for range n {
		if err := <-errs; err != nil {
			t.Fatalf("wait: %v", err)
		}
	}
	if got := r.LastIndex() - before; got != 1 {
		t.Fatalf("%d coalesced reads took %d barriers, want 1", n, got)
	}

	// A later read starts a fresh round (the loop has stopped) and issues a barrier.
	if err := b.wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := r.LastIndex() - before; got != 2 {
		t.Fatalf("after a later read: %d barriers, want 2", got)
	}
}

// TestReadBarrierErrors: a cancelled reader returns its context's error; a barrier on a
// stopped Raft is an unknown outcome, never success.
func TestReadBarrierErrors(t *testing.T) {
	r, _ := mustInmemRaft(t)
	b := &readBarrier{raft: r, timeout: time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b.mu.Lock()
	b.running = true // no round will run: only the context can end the wait
	b.mu.Unlock()
	if err := b.wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
	b.mu.Lock()
	b.running, b.next = false, nil
	b.mu.Unlock()

	if err := r.Shutdown().Error(); err != nil {
		t.Fatal(err)
	}
	err := b.wait(context.Background())
	if !errors.Is(err, errUnknownOutcome) || !errors.Is(err, raft.ErrRaftShutdown) {
		t.Fatalf("barrier after shutdown: %v, want unknown outcome wrapping ErrRaftShutdown", err)
	}
}
