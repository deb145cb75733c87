package raftfsm

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/raft"
)

// newSeeded returns a store with namespaces default and other, configmap default/a
// (index 3) and pod default/p on n1 (index 4).
func newSeeded(t *testing.T) *harness {
	t.Helper()
	h := mustNewFSM(t, 1000)
	h.mustApply(createNS("default"))
	h.mustApply(createNS("other"))
	h.mustApply(createCM("default", "a", "v1"))
	h.mustApply(createPod("default", "p", "n1", "rs-uid"))
	return h
}

func TestCreate(t *testing.T) {
	tests := []struct {
		name    string
		cmd     *Command
		wantErr error
		wantMsg string
	}{
		{name: "ok", cmd: createCM("default", "b", "v")},
		{name: "cluster-scoped", cmd: createNS("third")},
		{name: "exists", cmd: createCM("default", "a", "v"), wantErr: ErrAlreadyExists, wantMsg: `configmaps "a" already exists`},
		{name: "no namespace object", cmd: createCM("nope", "a", "v"), wantErr: ErrNamespaceNotFound, wantMsg: `namespaces "nope" not found`},
		{name: "unknown kind", cmd: &Command{Type: CmdCreate, Kind: "Widget", Name: "w", Object: json.RawMessage(`{}`)}, wantErr: ErrInvalidCommand},
		{name: "bad object", cmd: &Command{Type: CmdCreate, Kind: "ConfigMap", Namespace: "default", Name: "x", Object: json.RawMessage(`[1]`)}, wantErr: ErrInvalidCommand},
		{name: "no object", cmd: &Command{Type: CmdCreate, Kind: "ConfigMap", Namespace: "default", Name: "x"}, wantErr: ErrInvalidCommand},
		{name: "no name", cmd: createCM("default", "", "v"), wantErr: ErrInvalidCommand},
		{name: "slash in name", cmd: createCM("default", "a/b", "v"), wantErr: ErrInvalidCommand},
		{name: "namespaced without namespace", cmd: createCM("", "x", "v"), wantErr: ErrInvalidCommand},
		{name: "cluster-scoped with namespace", cmd: &Command{Type: CmdCreate, Kind: "Namespace", Namespace: "default", Name: "x",
			Object: objJSON("Namespace", "default", "x", nil)}, wantErr: ErrInvalidCommand},
		{name: "name disagrees", cmd: &Command{Type: CmdCreate, Kind: "ConfigMap", Namespace: "default", Name: "x",
			Object: objJSON("ConfigMap", "default", "y", nil)}, wantErr: ErrInvalidCommand},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newSeeded(t)
			before := h.f.Count()
			resp := h.apply(tt.cmd)
			if len(resp.Results) != 1 {
				t.Fatalf("%d results", len(resp.Results))
			}
			r := resp.Results[0]
			if !errors.Is(r.Err, tt.wantErr) || (tt.wantErr == nil) != (r.Err == nil) {
				t.Fatalf("err %v, want %v", r.Err, tt.wantErr)
			}
			if tt.wantMsg != "" && r.Err.Error() != tt.wantMsg {
				t.Fatalf("message %q, want %q", r.Err.Error(), tt.wantMsg)
			}
			if h.f.Index() != h.idx {
				t.Fatalf("index %d, want %d", h.f.Index(), h.idx)
			}
			if r.Err != nil {
				if h.f.Count() != before {
					t.Fatalf("count changed on failure")
				}
				return
			}
			m := r.Record.Object.GetObjectMeta()
			if r.Record.RV != h.idx || m.ResourceVersion != strconv.FormatUint(h.idx, 10) {
				t.Fatalf("rv %d/%q, want %d", r.Record.RV, m.ResourceVersion, h.idx)
			}
			got, ok := h.f.Get(r.Record.Resource, m.Namespace, m.Name)
			if !ok || got != r.Record || h.f.Count() != before+1 {
				t.Fatalf("stored %v %v count %d", ok, got == r.Record, h.f.Count())
			}
			var back map[string]any
			if err := json.Unmarshal(got.Raw, &back); err != nil || back["kind"] != r.Record.Resource.Kind {
				t.Fatalf("raw %s: %v", got.Raw, err)
			}
		})
	}
}

func TestUpdate(t *testing.T) {
	newer := func(rv uint64, uid string) *Command {
		o := podJSON("default", "p", "n2", "", "Running") // status must be ignored
		o = []byte(strings.Replace(string(o), `"uid":"uid-default-p"`, `"uid":"other","labels":{"x":"y"}`, 1))
		return &Command{Type: CmdUpdate, Kind: "Pod", Namespace: "default", Name: "p", ResourceVersion: rv, UID: uid, Object: o}
	}
	tests := []struct {
		name    string
		cmd     *Command
		wantErr error
		wantMsg string
	}{
		{name: "ok", cmd: newer(0, "")},
		{name: "matching preconditions", cmd: newer(4, "uid-default-p")},
		{name: "stale resourceVersion", cmd: newer(3, ""), wantErr: ErrConflict,
			wantMsg: `pods "p": the object has been modified; please apply your changes to the latest version and try again`},
		{name: "uid mismatch", cmd: newer(0, "someone-else"), wantErr: ErrConflict},
		{name: "not found", cmd: &Command{Type: CmdUpdate, Kind: "ConfigMap", Namespace: "default", Name: "zz",
			Object: objJSON("ConfigMap", "default", "zz", nil)}, wantErr: ErrNotFound, wantMsg: `configmaps "zz" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newSeeded(t)
			pods := mustResource(t, "Pod")
			old, _ := h.f.Get(pods, "default", "p")
			r := h.apply(tt.cmd).Results[0]
			if !errors.Is(r.Err, tt.wantErr) || (tt.wantErr == nil) != (r.Err == nil) {
				t.Fatalf("err %v, want %v", r.Err, tt.wantErr)
			}
			if tt.wantMsg != "" && r.Err.Error() != tt.wantMsg {
				t.Fatalf("message %q, want %q", r.Err.Error(), tt.wantMsg)
			}
			if r.Err != nil {
				return
			}
			got, _ := h.f.Get(pods, "default", "p")
			m, om := got.Object.GetObjectMeta(), old.Object.GetObjectMeta()
			if m.UID != om.UID || !reflect.DeepEqual(m.CreationTimestamp, om.CreationTimestamp) {
				t.Fatalf("uid/creationTimestamp not kept: %s", got.Raw)
			}
			if m.Labels["x"] != "y" || nodeName(got.Object) != "n2" || got.RV != h.idx {
				t.Fatalf("spec/metadata not taken: %s", got.Raw)
			}
			if statusOf(t, got) != statusOf(t, old) {
				t.Fatalf("status changed: %s", got.Raw)
			}
		})
	}
}

// statusOf is the JSON of a record's status.
func statusOf(t *testing.T, r *Record) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r.Raw, &m); err != nil {
		t.Fatal(err)
	}
	return string(m["status"])
}

func TestUpdateStatus(t *testing.T) {
	status := func(rv uint64) *Command {
		o := podJSON("default", "p", "elsewhere", "", "Running")
		return &Command{Type: CmdUpdateStatus, Kind: "Pod", Namespace: "default", Name: "p", ResourceVersion: rv, Object: o}
	}
	tests := []struct {
		name    string
		cmd     *Command
		wantErr error
	}{
		{name: "ok", cmd: status(0)},
		{name: "matching rv", cmd: status(4)},
		{name: "stale rv", cmd: status(1), wantErr: ErrConflict},
		{name: "not found", cmd: &Command{Type: CmdUpdateStatus, Kind: "Pod", Namespace: "default", Name: "q",
			Object: podJSON("default", "q", "", "", "Running")}, wantErr: ErrNotFound},
		{name: "kind without status", cmd: &Command{Type: CmdUpdateStatus, Kind: "ConfigMap", Namespace: "default", Name: "a",
			Object: objJSON("ConfigMap", "default", "a", nil)}, wantErr: ErrInvalidCommand},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newSeeded(t)
			pods := mustResource(t, "Pod")
			old, _ := h.f.Get(pods, "default", "p")
			r := h.apply(tt.cmd).Results[0]
			if !errors.Is(r.Err, tt.wantErr) || (tt.wantErr == nil) != (r.Err == nil) {
				t.Fatalf("err %v, want %v", r.Err, tt.wantErr)
			}
			if r.Err != nil {
				return
			}
			got, _ := h.f.Get(pods, "default", "p")
			if !strings.Contains(statusOf(t, got), "Running") || nodeName(got.Object) != "n1" {
				t.Fatalf("want new status, old spec: %s", got.Raw)
			}
			if old.Object.GetObjectMeta().ResourceVersion != "4" || !strings.Contains(statusOf(t, old), "Pending") {
				t.Fatalf("stored record was mutated: %s", old.Raw)
			}
		})
	}
}

func TestDelete(t *testing.T) {
	del := func(name string, rv uint64, uid string) *Command {
		return &Command{Type: CmdDelete, Kind: "ConfigMap", Namespace: "default", Name: name, ResourceVersion: rv, UID: uid}
	}
	tests := []struct {
		name    string
		cmd     *Command
		wantErr error
	}{
		{name: "ok", cmd: del("a", 0, "")},
		{name: "matching preconditions", cmd: del("a", 3, "uid-default-a")},
		{name: "stale rv", cmd: del("a", 2, ""), wantErr: ErrConflict},
		{name: "uid mismatch", cmd: del("a", 0, "x"), wantErr: ErrConflict},
		{name: "not found", cmd: del("zz", 0, ""), wantErr: ErrNotFound},
		{name: "no name", cmd: del("", 0, ""), wantErr: ErrInvalidCommand},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newSeeded(t)
			cms := mustResource(t, "ConfigMap")
			w, err := h.f.Watch(cms, "", 0)
			if err != nil {
				t.Fatal(err)
			}
			r := h.apply(tt.cmd).Results[0]
			if !errors.Is(r.Err, tt.wantErr) || (tt.wantErr == nil) != (r.Err == nil) {
				t.Fatalf("err %v, want %v", r.Err, tt.wantErr)
			}
			_, exists := h.f.Get(cms, "default", "a")
			if exists != (r.Err != nil) {
				t.Fatalf("exists %v after err %v", exists, r.Err)
			}
			if r.Err != nil {
				return
			}
			evs := mustNext(t, w)
			if len(evs) != 1 || evs[0].Type != Deleted || evs[0].Record.RV != h.idx ||
				evs[0].Record.Object.GetObjectMeta().ResourceVersion != strconv.FormatUint(h.idx, 10) ||
				!strings.Contains(string(evs[0].Record.Raw), `"resourceVersion":"5"`) {
				t.Fatalf("events %+v", evs)
			}
		})
	}
}

func TestNamespaceCascade(t *testing.T) {
	h := newSeeded(t)
	h.mustApply(createCM("default", "b", "v"))
	h.mustApply(createCM("other", "c", "v"))
	before := h.f.Count() // 2 ns + 3 cm + 1 pod
	w, err := h.f.Watch(mustResource(t, "ConfigMap"), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	r := h.mustApply(&Command{Type: CmdDelete, Kind: "Namespace", Name: "default"}).Results[0]
	if r.Record.RV != h.idx {
		t.Fatalf("rv %d", r.Record.RV)
	}
	if got := h.f.Count(); got != before-4 {
		t.Fatalf("count %d, want %d", got, before-4)
	}
	all, _ := h.f.List(mustResource(t, "ConfigMap"), "")
	if n := names(all); len(n) != 1 || n[0] != "other/c" {
		t.Fatalf("left %v", n)
	}
	if pods, _ := h.f.ListByNode("n1"); len(pods) != 0 {
		t.Fatalf("pods left on n1: %v", names(pods))
	}
	evs := mustNext(t, w)
	if got := names(eventRecords(evs)); !reflect.DeepEqual(got, []string{"default/a", "default/b"}) {
		t.Fatalf("events %v", got)
	}
	if evs[0].Type != Deleted || evs[1].Record.RV != h.idx {
		t.Fatalf("events %+v", evs)
	}
	// The namespace is gone, so creating in it fails.
	if r := h.apply(createCM("default", "z", "v")).Results[0]; !errors.Is(r.Err, ErrNamespaceNotFound) {
		t.Fatalf("err %v", r.Err)
	}
}

func eventRecords(evs []Event) []*Record {
	out := make([]*Record, len(evs))
	for i, e := range evs {
		out[i] = e.Record
	}
	return out
}

func TestBatch(t *testing.T) {
	h := newSeeded(t)
	resp := h.apply(&Command{Type: CmdBatch, Commands: []Command{
		*createCM("default", "b", "v"),
		*createCM("default", "a", "v"), // exists
		{Type: CmdUpdate, Kind: "ConfigMap", Namespace: "default", Name: "b", Object: objJSON("ConfigMap", "default", "b", nil)},
		{Type: 0xb3}, // ignorable, unknown: skipped
		{Type: CmdDelete, Kind: "ConfigMap", Namespace: "default", Name: "a", ResourceVersion: 99},
	}})
	if len(resp.Results) != 5 {
		t.Fatalf("%d results", len(resp.Results))
	}
	wantErrs := []error{nil, ErrAlreadyExists, nil, nil, ErrConflict}
	for i, want := range wantErrs {
		if r := resp.Results[i]; !errors.Is(r.Err, want) || (want == nil) != (r.Err == nil) {
			t.Fatalf("result %d: %v, want %v", i, r.Err, want)
		}
	}
	if resp.Results[0].Record.RV != h.idx || resp.Results[2].Record.RV != h.idx || resp.Results[3].Record != nil {
		t.Fatalf("results %+v", resp.Results)
	}
	b, _ := h.f.Get(mustResource(t, "ConfigMap"), "default", "b")
	if b != resp.Results[2].Record {
		t.Fatal("the update did not see the create of the same batch")
	}
}

func TestUndecodableEntry(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"unknown type", []byte("\x40{}")},
		{"garbage", []byte("\x01\xff\xfe")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newSeeded(t)
			before := dump(t, h.f)
			resp := h.applyRaw(tt.data)
			if len(resp.Results) != 1 || resp.Results[0].Err == nil {
				t.Fatalf("resp %+v", resp)
			}
			if h.f.Index() != h.idx {
				t.Fatalf("index %d, want %d", h.f.Index(), h.idx)
			}
			if after := dump(t, h.f); strings.Replace(before, "index 4", "index 5", 1) != after {
				t.Fatalf("state changed:\n%s\n%s", before, after)
			}
		})
	}
}

func TestApplyBatchLogs(t *testing.T) {
	h := newSeeded(t)
	b1, _ := EncodeCommand(createCM("default", "b", "v"))
	b2, _ := EncodeCommand(createCM("default", "a", "v"))
	logs := []*raft.Log{
		{Index: 5, Type: raft.LogCommand, Data: b1},
		{Index: 6, Type: raft.LogConfiguration, Data: []byte("cfg")},
		{Index: 7, Type: raft.LogCommand, Data: b2},
	}
	out := h.f.ApplyBatch(logs)
	if len(out) != 3 || out[1] != nil {
		t.Fatalf("out %+v", out)
	}
	if r := out[0].(*Response).Results[0]; r.Err != nil || r.Record.RV != 5 {
		t.Fatalf("first %+v", r)
	}
	if r := out[2].(*Response).Results[0]; !errors.Is(r.Err, ErrAlreadyExists) {
		t.Fatalf("third %+v", r)
	}
	if h.f.Index() != 7 {
		t.Fatalf("index %d", h.f.Index())
	}
	// A replayed index is refused and changes nothing.
	h.idx = 6
	if r := h.apply(createCM("default", "c", "v")).Results[0]; !errors.Is(r.Err, ErrOutOfOrder) {
		t.Fatalf("replay: %v", r.Err)
	}
}

func TestReads(t *testing.T) {
	h := newSeeded(t)
	h.mustApply(createCM("other", "b", "v"))
	h.mustApply(createCM("default", "c", "v"))
	h.mustApply(createPod("other", "q", "n1", "rs-uid"))
	h.mustApply(createPod("default", "unbound", "", ""))
	cms, pods := mustResource(t, "ConfigMap"), mustResource(t, "Pod")

	all, idx := h.f.List(cms, "")
	if got := names(all); !reflect.DeepEqual(got, []string{"default/a", "default/c", "other/b"}) || idx != h.idx {
		t.Fatalf("list %v at %d", got, idx)
	}
	inDefault, _ := h.f.List(cms, "default")
	if got := names(inDefault); !reflect.DeepEqual(got, []string{"default/a", "default/c"}) {
		t.Fatalf("list default %v", got)
	}
	if none, _ := h.f.List(cms, "missing"); len(none) != 0 {
		t.Fatalf("list missing %v", names(none))
	}
	onNode, _ := h.f.ListByNode("n1")
	if got := names(onNode); !reflect.DeepEqual(got, []string{"default/p", "other/q"}) {
		t.Fatalf("by node %v", got)
	}
	if got := names(h.f.ListByOwner(pods, "rs-uid")); !reflect.DeepEqual(got, []string{"default/p", "other/q"}) {
		t.Fatalf("by owner %v", got)
	}
	if r, ok := h.f.GetByUID(cms, "uid-other-b"); !ok || r.Object.GetObjectMeta().Name != "b" {
		t.Fatalf("by uid %v", ok)
	}
	if _, ok := h.f.GetByUID(cms, "nope"); ok {
		t.Fatal("found a missing uid")
	}
	if _, ok := h.f.Get(cms, "default", "b"); ok {
		t.Fatal("found other/b in default")
	}
	if ns, ok := h.f.Get(mustResource(t, "Namespace"), "ignored", "other"); !ok || ns.RV != 2 {
		t.Fatal("cluster-scoped get")
	}
	if h.f.Count() != 8 {
		t.Fatalf("count %d", h.f.Count())
	}
}
