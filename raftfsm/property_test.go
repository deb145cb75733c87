package raftfsm

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"
)

// genCommand draws a command over a small space of names, so creates, conflicts,
// cascades and not-founds all happen often.
func genCommand(t *rapid.T, label string) Command {
	ns := rapid.SampledFrom([]string{"a", "b"}).Draw(t, label+"ns")
	name := rapid.SampledFrom([]string{"x", "y", "z"}).Draw(t, label+"name")
	rv := rapid.Uint64Range(0, 12).Draw(t, label+"rv")
	if rapid.IntRange(0, 3).Draw(t, label+"norv") > 0 {
		rv = 0
	}
	kind := rapid.SampledFrom([]string{"ConfigMap", "Pod", "Namespace"}).Draw(t, label+"kind")
	node := rapid.SampledFrom([]string{"", "n1", "n2"}).Draw(t, label+"node")
	owner := rapid.SampledFrom([]string{"", "o1"}).Draw(t, label+"owner")
	var obj []byte
	switch kind {
	case "Namespace":
		obj = objJSON(kind, "", ns, nil)
		name, ns = ns, ""
	case "Pod":
		obj = podJSON(ns, name, node, owner, rapid.SampledFrom([]string{"Pending", "Running"}).Draw(t, label+"phase"))
	default:
		obj = objJSON(kind, ns, name, map[string]any{"data": map[string]string{"k": node + owner}})
	}
	typ := rapid.SampledFrom([]CommandType{CmdCreate, CmdCreate, CmdUpdate, CmdUpdateStatus, CmdDelete}).Draw(t, label+"type")
	c := Command{Type: typ, Kind: kind, Namespace: ns, Name: name, ResourceVersion: rv}
	if typ != CmdDelete {
		c.Object = obj
	}
	return c
}

func genLog(t *rapid.T) []Command {
	n := rapid.IntRange(1, 40).Draw(t, "n")
	out := make([]Command, n)
	for i := range out {
		if rapid.IntRange(0, 5).Draw(t, fmt.Sprint("batch", i)) == 0 {
			b := Command{Type: CmdBatch}
			for j := range rapid.IntRange(0, 4).Draw(t, fmt.Sprint("size", i)) {
				b.Commands = append(b.Commands, genCommand(t, fmt.Sprintf("m%d.%d", i, j)))
			}
			out[i] = b
			continue
		}
		out[i] = genCommand(t, fmt.Sprint("c", i))
	}
	return out
}

func applyAll(t *rapid.T, log []Command) *harness {
	h := mustNewFSM(t, 1000)
	for i := range log {
		h.apply(&log[i])
	}
	return h
}

// TestPropertyDeterministic: the same log gives the same state, index and indexes.
func TestPropertyDeterministic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		log := genLog(t)
		a, b := applyAll(t, log), applyAll(t, log)
		if da, db := dump(t, a.f), dump(t, b.f); da != db {
			t.Fatalf("diverged:\n%s\n%s", da, db)
		}
		if lookups(t, a.f) != lookups(t, b.f) {
			t.Fatal("index lookups diverged")
		}
		checkInvariants(t, a.f)
	})
}

// TestPropertySnapshotRestore: restoring a snapshot gives the same state, index and
// index lookups, and the restored store keeps applying the same way.
func TestPropertySnapshotRestore(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		log := genLog(t)
		cut := rapid.IntRange(0, len(log)).Draw(t, "cut")
		orig := applyAll(t, log[:cut])
		restored := mustNewFSM(t, 1000)
		if err := restoreBytes(restored.f, snapshotBytes(t, orig.f)); err != nil {
			t.Fatal(err)
		}
		restored.idx = orig.idx
		if dump(t, orig.f) != dump(t, restored.f) || lookups(t, orig.f) != lookups(t, restored.f) {
			t.Fatalf("restore differs:\n%s\n%s", dump(t, orig.f), dump(t, restored.f))
		}
		for i := cut; i < len(log); i++ {
			orig.apply(&log[i])
			restored.apply(&log[i])
		}
		if dump(t, orig.f) != dump(t, restored.f) {
			t.Fatalf("diverged after restore:\n%s\n%s", dump(t, orig.f), dump(t, restored.f))
		}
	})
}

// lookups renders the uid, owner and node index answers.
func lookups(t *rapid.T, f *FSM) string {
	out := ""
	for _, node := range []string{"n1", "n2"} {
		recs, idx := f.ListByNode(node)
		out += fmt.Sprint(node, names(recs), idx, "\n")
	}
	for _, res := range f.resources {
		out += fmt.Sprint(res.Plural, names(f.ListByOwner(res, "o1")), "\n")
		recs, _ := f.List(res, "")
		for _, r := range recs {
			got, ok := f.GetByUID(res, r.Object.GetObjectMeta().UID)
			out += fmt.Sprint(ok, got.RV, " ")
		}
	}
	return out
}

// checkInvariants: every namespaced object's Namespace exists, Count agrees with the
// tables, and every record's resourceVersion is its RV and at most Index.
func checkInvariants(t *rapid.T, f *FSM) {
	n := 0
	for _, res := range f.resources {
		recs, idx := f.List(res, "")
		n += len(recs)
		for _, r := range recs {
			m := r.Object.GetObjectMeta()
			if res.Namespaced {
				if _, ok := f.Get(f.nsRes, "", m.Namespace); !ok {
					t.Fatalf("%s %s/%s outlived its namespace", res.Plural, m.Namespace, m.Name)
				}
			}
			if m.ResourceVersion != fmt.Sprint(r.RV) || r.RV > idx {
				t.Fatalf("%s %s: rv %q/%d at index %d", res.Plural, m.Name, m.ResourceVersion, r.RV, idx)
			}
		}
	}
	if n != f.Count() {
		t.Fatalf("count %d, tables hold %d", f.Count(), n)
	}
}
