package raftfsm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/hashicorp/raft"

	"github.com/berth-dev/berth/api"
)

// testingT is what the helpers need of *testing.T, *testing.B and *rapid.T.
type testingT interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// harness feeds an FSM fake Raft logs with increasing indexes.
type harness struct {
	t   testingT
	f   *FSM
	idx uint64
}

func mustNewFSM(t testingT, window int) *harness {
	t.Helper()
	cfg := Config{WatchWindow: window, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, f: New(cfg)}
}

// apply encodes c and applies it at the next index.
func (h *harness) apply(c *Command) *Response {
	h.t.Helper()
	b, err := EncodeCommand(c)
	if err != nil {
		h.t.Fatalf("encode: %v", err)
	}
	return h.applyRaw(b)
}

func (h *harness) applyRaw(b []byte) *Response {
	h.t.Helper()
	h.idx++
	resp, ok := h.f.Apply(&raft.Log{Index: h.idx, Type: raft.LogCommand, Data: b}).(*Response)
	if !ok || resp == nil {
		h.t.Fatalf("Apply returned %T", resp)
	}
	return resp
}

// mustApply applies c and fails the test unless every result succeeded.
func (h *harness) mustApply(c *Command) *Response {
	h.t.Helper()
	resp := h.apply(c)
	for i, r := range resp.Results {
		if r.Err != nil {
			h.t.Fatalf("result %d: %v", i, r.Err)
		}
	}
	return resp
}

func mustResource(t testingT, kind string) *api.Resource {
	t.Helper()
	r, ok := api.ResourceForKind(kind)
	if !ok {
		t.Fatalf("kind %s not registered", kind)
	}
	return r
}

// objJSON builds an object of kind from its metadata and extra top-level fields.
func objJSON(kind, ns, name string, extra map[string]any) json.RawMessage {
	m := map[string]any{"kind": kind, "metadata": map[string]any{
		"name": name, "namespace": ns, "uid": "uid-" + ns + "-" + name,
		"creationTimestamp": "2024-01-02T03:04:05Z",
	}}
	for k, v := range extra {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return b
}

func createNS(name string) *Command {
	return &Command{Type: CmdCreate, Kind: "Namespace", Name: name, Object: objJSON("Namespace", "", name, nil)}
}

func createCM(ns, name, value string) *Command {
	return &Command{Type: CmdCreate, Kind: "ConfigMap", Namespace: ns, Name: name,
		Object: objJSON("ConfigMap", ns, name, map[string]any{"data": map[string]string{"k": value}})}
}

func podJSON(ns, name, node, owner, phase string) json.RawMessage {
	extra := map[string]any{
		"spec":   map[string]any{"nodeName": node, "containers": []any{map[string]any{"name": "c", "image": "i"}}},
		"status": map[string]any{"phase": phase},
	}
	o := objJSON("Pod", ns, name, extra)
	if owner == "" {
		return o
	}
	var m map[string]any
	_ = json.Unmarshal(o, &m)
	m["metadata"].(map[string]any)["ownerReferences"] = []any{map[string]any{
		"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": owner}}
	b, _ := json.Marshal(m)
	return b
}

func createPod(ns, name, node, owner string) *Command {
	return &Command{Type: CmdCreate, Kind: "Pod", Namespace: ns, Name: name, Object: podJSON(ns, name, node, owner, "Pending")}
}

// dump is a canonical text of the whole store: every record's Raw in table and id
// order, then the index and count.
func dump(t testingT, f *FSM) string {
	t.Helper()
	var b strings.Builder
	for _, res := range f.resources {
		recs, _ := f.List(res, "")
		for _, r := range recs {
			fmt.Fprintf(&b, "%s %d %s\n", res.Plural, r.RV, r.Raw)
		}
	}
	fmt.Fprintf(&b, "index %d count %d\n", f.Index(), f.Count())
	return b.String()
}

// names lists records as namespace/name.
func names(recs []*Record) []string {
	out := make([]string, 0, len(recs))
	for _, r := range recs {
		m := r.Object.GetObjectMeta()
		out = append(out, m.Namespace+"/"+m.Name)
	}
	return out
}

// memSink is a raft.SnapshotSink in memory.
type memSink struct {
	bytes.Buffer
	cancelled, closed bool
}

func (s *memSink) ID() string    { return "test" }
func (s *memSink) Cancel() error { s.cancelled = true; return nil }
func (s *memSink) Close() error  { s.closed = true; return nil }

// snapshotBytes persists a snapshot of f.
func snapshotBytes(t testingT, f *FSM) []byte {
	t.Helper()
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Release()
	var sink memSink
	if err := snap.Persist(&sink); err != nil {
		t.Fatal(err)
	}
	if !sink.closed || sink.cancelled {
		t.Fatalf("sink closed=%v cancelled=%v", sink.closed, sink.cancelled)
	}
	return sink.Bytes()
}

func restoreBytes(f *FSM, b []byte) error {
	return f.Restore(io.NopCloser(bytes.NewReader(b)))
}
