package integration

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/berth-dev/berth/api"
)

// kvInput is one operation on one configmap ("key"): create, update or a consistent get.
type kvInput struct {
	op    string // "create", "update", "get"
	key   string
	value string
}

// kvOutput is what the API answered. unknown marks a write whose outcome the client
// could not learn (timeout, 504, dropped connection): it may or may not have happened.
type kvOutput struct {
	ok      bool   // create/update applied; get found the key
	value   string // get: the value read
	unknown bool
}

type kvState struct {
	exists bool
	value  string
}

// kvModel is a map of registers with create-if-absent and update-if-present.
var kvModel = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		for _, op := range h {
			k := op.Input.(kvInput).key
			byKey[k] = append(byKey[k], op)
		}
		var out [][]porcupine.Operation
		for _, ops := range byKey {
			out = append(out, ops)
		}
		return out
	},
	Init: func() any { return kvState{} },
	Step: func(state, input, output any) (bool, any) {
		s, in, out := state.(kvState), input.(kvInput), output.(kvOutput)
		switch in.op {
		case "get":
			if !s.exists {
				return !out.ok, s
			}
			return out.ok && out.value == s.value, s
		case "create":
			if out.unknown {
				if s.exists {
					return true, s
				}
				return true, kvState{exists: true, value: in.value}
			}
			if s.exists {
				return !out.ok, s
			}
			return out.ok, kvState{exists: true, value: in.value}
		case "update":
			if out.unknown {
				if !s.exists {
					return true, s
				}
				return true, kvState{exists: true, value: in.value}
			}
			if !s.exists {
				return !out.ok, s
			}
			return out.ok, kvState{exists: true, value: in.value}
		}
		return false, s
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(kvInput), output.(kvOutput)
		return fmt.Sprintf("%s(%s,%s) -> ok=%v %q unknown=%v", in.op, in.key, in.value, out.ok, out.value, out.unknown)
	},
}

// history collects operations from many goroutines.
type history struct {
	mu      sync.Mutex
	start   time.Time
	ops     []porcupine.Operation
	unknown map[string]int // why outcomes were unknown, for the log
}

func (h *history) add(client int, in kvInput, out kvOutput, call, ret time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ops = append(h.ops, porcupine.Operation{
		ClientId: client, Input: in, Output: out,
		Call: call.Sub(h.start).Nanoseconds(), Return: ret.Sub(h.start).Nanoseconds(),
	})
}

// TestLinearizableUnderLeaderKills runs concurrent creates, updates and consistent
// reads of a few configmaps through every server while the leader is killed (and
// restarted) several times, then checks the history with porcupine.
func TestLinearizableUnderLeaderKills(t *testing.T) {
	c := newCluster(t, 3)
	h := &history{start: time.Now(), unknown: map[string]int{}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	// Many keys keep each porcupine partition small; writes whose outcome is unknown
	// stay open to the end of the history and make the search expensive.
	const clients = 6
	keys := []string{"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"}
	for id := 0; id < clients; id++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(id), 7))
			for seq := 0; ctx.Err() == nil; seq++ {
				n := c.nodes[rng.IntN(len(c.nodes))]
				in := kvInput{key: keys[rng.IntN(len(keys))], value: fmt.Sprintf("c%d-%d", id, seq)}
				switch r := rng.IntN(10); {
				case r < 2:
					in.op = "create"
				case r < 6:
					in.op = "update"
				default:
					in.op = "get"
				}
				doOp(t, h, id, n, in)
			}
		}(id)
	}
	// Between kills, and after the last, a stretch of history with a working cluster.
	grown := func(n int) {
		h.mu.Lock()
		start := len(h.ops)
		h.mu.Unlock()
		waitFor(t, 30*time.Second, fmt.Sprintf("%d more operations", n), func() error {
			h.mu.Lock()
			defer h.mu.Unlock()
			if len(h.ops)-start < n {
				return fmt.Errorf("%d so far", len(h.ops)-start)
			}
			return nil
		})
	}
	for kill := 0; kill < 3; kill++ {
		grown(300)
		leader := c.waitLeader(15 * time.Second)
		leader.kill(t)
		c.waitLeader(15 * time.Second)
		leader.start(t)
	}
	grown(100)
	cancel()
	wg.Wait()

	end := time.Since(h.start).Nanoseconds() + 1
	known := 0
	for i := range h.ops {
		if h.ops[i].Output.(kvOutput).unknown {
			h.ops[i].Return = end // may take effect at any point after its call
		} else {
			known++
		}
	}
	t.Logf("history: %d operations (%d with a known outcome)", len(h.ops), known)
	for msg, n := range h.unknown {
		t.Logf("unknown outcome x%d: %s", n, msg)
	}
	if known < 100 {
		t.Fatalf("only %d operations completed; the cluster was unavailable too long", known)
	}
	res, info := porcupine.CheckOperationsVerbose(kvModel, h.ops, 120*time.Second)
	if res == porcupine.Illegal {
		t.Fatalf("history is not linearizable (%d ops); %d partial linearizations", len(h.ops), len(info.PartialLinearizations()))
	}
	if res != porcupine.Ok {
		t.Fatalf("linearizability check inconclusive: %v", res)
	}
}

// doOp performs one operation against n and records it. Reads that fail and writes that
// were certainly not applied (503) leave no trace: they had no effect.
func doOp(t *testing.T, h *history, client int, n *node, in kvInput) {
	// Longer than a server waits for an election, so an answer comes back whenever one
	// can; a client that gives up early only adds writes of unknown outcome.
	cl := n.client(t, api.WithTimeout(6*time.Second))
	ctx := context.Background()
	call := time.Now()
	var err error
	var out kvOutput
	switch in.op {
	case "get":
		var obj api.Object
		obj, err = cl.Get(ctx, cmRes, "default", in.key, api.GetOptions{Consistent: true})
		if err == nil {
			out = kvOutput{ok: true, value: obj.(*api.ConfigMap).Data["v"]}
		}
	case "create":
		_, err = cl.Create(ctx, configMap("default", in.key, map[string]string{"v": in.value}))
		out.ok = err == nil
	case "update":
		_, err = cl.Update(ctx, configMap("default", in.key, map[string]string{"v": in.value}))
		out.ok = err == nil
	}
	ret := time.Now()
	var apiErr *api.Error
	isAPI := errors.As(err, &apiErr)
	switch {
	case err == nil:
	case isAPI && apiErr.Code() == 404 && in.op != "create":
		out.ok = false // a definite "absent"
	case isAPI && apiErr.Code() == 409 && in.op == "create":
		out.ok = false // a definite "exists"
	case isAPI && apiErr.Code() == 503, in.op == "get", errors.Is(err, syscall.ECONNREFUSED):
		return // certainly no effect: refused, not applied, or a read
	default:
		out.unknown = true
		h.mu.Lock()
		msg := err.Error()
		if len(msg) > 90 {
			msg = msg[:90]
		}
		h.unknown[msg]++
		h.mu.Unlock()
	}
	h.add(client, in, out, call, ret)
}

// TestKVModelCatchesStaleRead shows the checker can fail: a read that returns an
// overwritten value after the overwrite completed is not linearizable.
func TestKVModelCatchesStaleRead(t *testing.T) {
	op := func(client int, in kvInput, out kvOutput, call, ret int64) porcupine.Operation {
		return porcupine.Operation{ClientId: client, Input: in, Output: out, Call: call, Return: ret}
	}
	ok := []porcupine.Operation{
		op(0, kvInput{op: "create", key: "k", value: "a"}, kvOutput{ok: true}, 0, 10),
		op(1, kvInput{op: "update", key: "k", value: "b"}, kvOutput{ok: true}, 20, 30),
		op(2, kvInput{op: "get", key: "k"}, kvOutput{ok: true, value: "b"}, 40, 50),
	}
	if !porcupine.CheckOperations(kvModel, ok) {
		t.Fatal("a linearizable history was rejected")
	}
	stale := append(ok[:2:2], op(2, kvInput{op: "get", key: "k"}, kvOutput{ok: true, value: "a"}, 40, 50))
	if porcupine.CheckOperations(kvModel, stale) {
		t.Fatal("a stale read was accepted")
	}
	unknown := append(ok[:1:1],
		op(1, kvInput{op: "update", key: "k", value: "b"}, kvOutput{unknown: true}, 20, 1000),
		op(2, kvInput{op: "get", key: "k"}, kvOutput{ok: true, value: "a"}, 40, 50),
		op(2, kvInput{op: "get", key: "k"}, kvOutput{ok: true, value: "b"}, 60, 70))
	if !porcupine.CheckOperations(kvModel, unknown) {
		t.Fatal("a write of unknown outcome that took effect late was rejected")
	}
}
