package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
	"github.com/berth-dev/berth/server/scheduler"
)

// TestProposeBatchSplicesMembers: a batch proposal queued with single proposals
// shares their Raft entry (batches do not nest), and each caller gets its own
// results: the batch one per member, in order, failures included.
func TestProposeBatchSplicesMembers(t *testing.T) {
	r, _ := mustInmemRaft(t)
	p := newProposer(r, 512, 5*time.Second)
	ctx := context.Background()
	stop := startProposer(p)
	if res, err := p.propose(ctx, createCmd(t, namespaceObj("default"))); err != nil || res.Err != nil {
		t.Fatalf("create namespace: %v %v", err, res.Err)
	}
	stop()
	before := r.LastIndex()

	var (
		wg          sync.WaitGroup
		single      raftfsm.Result
		singleErr   error
		members     []raftfsm.Result
		membersErr  error
		batchedCmds = []raftfsm.Command{
			createCmd(t, newConfigMap("default", "b-0", nil)),
			createCmd(t, newConfigMap("default", "single", nil)), // loses to the single below
			createCmd(t, newConfigMap("default", "b-2", nil)),
		}
	)
	singleCmd := createCmd(t, newConfigMap("default", "single", nil))
	wg.Go(func() { single, singleErr = p.propose(ctx, singleCmd) })
	queued(t, p, 1)
	wg.Go(func() { members, membersErr = p.proposeBatch(ctx, batchedCmds) })
	queued(t, p, 2)
	defer startProposer(p)()
	wg.Wait()

	if entries := r.LastIndex() - before; entries != 1 {
		t.Fatalf("took %d Raft entries, want 1", entries)
	}
	if singleErr != nil || single.Err != nil || single.Record.Object.GetObjectMeta().Name != "single" {
		t.Fatalf("single: %v %+v", singleErr, single)
	}
	if membersErr != nil || len(members) != 3 {
		t.Fatalf("batch: %v, %d results", membersErr, len(members))
	}
	for i, want := range []string{"b-0", "", "b-2"} {
		switch {
		case want == "" && !errors.Is(members[i].Err, raftfsm.ErrAlreadyExists):
			t.Errorf("member %d: %v, want already exists", i, members[i].Err)
		case want != "" && (members[i].Err != nil || members[i].Record.Object.GetObjectMeta().Name != want):
			t.Errorf("member %d: %+v, want %s", i, members[i], want)
		}
	}
}

// TestBinderFailsStaleBindingsAlone: one Bind call is one Raft entry; a binding whose
// pod was replaced (uid) or is missing fails on its own while the others commit.
func TestBinderFailsStaleBindingsAlone(t *testing.T) {
	ts := mustStartServer(t, nil)
	other := func(p *api.Pod) { p.Spec.SchedulerName = "other-scheduler" } // not ours to place
	var pods []*api.Pod
	for i := range 3 {
		pods = append(pods, ts.mustCreate(t, schedPod(fmt.Sprintf("p%d", i), 0, 0, other)).(*api.Pod))
	}
	bindings := []scheduler.Binding{
		{PodNamespace: "default", PodName: "p0", PodUID: pods[0].UID, NodeName: "n1"},
		{PodNamespace: "default", PodName: "p1", PodUID: "someone-else", NodeName: "n1"},
		{PodNamespace: "default", PodName: "missing", PodUID: "x", NodeName: "n1"},
		{PodNamespace: "default", PodName: "p2", PodUID: pods[2].UID, NodeName: "n2"},
	}
	before := ts.s.fsm.Index()
	errs := binder{ts.s}.Bind(context.Background(), bindings)
	if len(errs) != len(bindings) {
		t.Fatalf("%d errors for %d bindings", len(errs), len(bindings))
	}
	for i, wantErr := range []bool{false, true, true, false} {
		if (errs[i] != nil) != wantErr {
			t.Errorf("binding %d: err %v, want error %v", i, errs[i], wantErr)
		}
	}
	if n := ts.s.fsm.Index() - before; n != 1 {
		t.Errorf("Bind took %d Raft entries, want 1", n)
	}
	for name, want := range map[string]string{"p0": "n1", "p1": "", "p2": "n2"} {
		p := ts.getPod(t, name)
		if p.Spec.NodeName != want || p.Generation != 1 {
			t.Errorf("%s: nodeName %q generation %d, want %q and 1", name, p.Spec.NodeName, p.Generation, want)
		}
	}
	if errs := (binder{ts.s}).Bind(context.Background(), bindings[:1]); errs == nil || !errors.Is(errs[0], errBindStale) {
		t.Errorf("binding a bound pod again: %v, want errBindStale", errs)
	}
}
