package raftfsm

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestSnapshotRestore(t *testing.T) {
	h := newSeeded(t)
	h.mustApply(createCM("other", "b", "v"))
	h.mustApply(&Command{Type: CmdDelete, Kind: "ConfigMap", Namespace: "default", Name: "a"})
	snap := snapshotBytes(t, h.f)
	if !bytes.HasPrefix(snap, []byte(`{"format":1,"index":6,"count":4}`+"\n")) {
		t.Fatalf("header: %.60q", snap)
	}
	// Applies after the snapshot was taken are not in it.
	h.mustApply(createCM("other", "c", "v"))

	fresh := mustNewFSM(t, 100)
	fresh.mustApply(createNS("leftover"))
	if err := restoreBytes(fresh.f, snap); err != nil {
		t.Fatal(err)
	}
	if fresh.f.Index() != 6 || fresh.f.Count() != 4 {
		t.Fatalf("index %d count %d", fresh.f.Index(), fresh.f.Count())
	}
	if _, ok := fresh.f.Get(mustResource(t, "Namespace"), "", "leftover"); ok {
		t.Fatal("old state survived the restore")
	}
	onNode, _ := fresh.f.ListByNode("n1")
	byOwner := fresh.f.ListByOwner(mustResource(t, "Pod"), "rs-uid")
	if !reflect.DeepEqual(names(onNode), []string{"default/p"}) || !reflect.DeepEqual(names(byOwner), []string{"default/p"}) {
		t.Fatalf("indexes after restore: %v %v", names(onNode), names(byOwner))
	}
	// The restored store keeps applying from the snapshot's index.
	fresh.idx = 6
	fresh.mustApply(createCM("other", "c", "v"))
	if dump(t, fresh.f) != dump(t, h.f) {
		t.Fatalf("diverged:\n%s\n%s", dump(t, fresh.f), dump(t, h.f))
	}
}

func TestRestoreBadSnapshot(t *testing.T) {
	h := newSeeded(t)
	good := string(snapshotBytes(t, h.f))
	lines := strings.SplitAfter(good, "\n")
	tests := []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"header only", lines[0]},
		{"no trailer", strings.Join(lines[:len(lines)-2], "")},
		{"garbage header", "nope\n"},
		{"newer format", strings.Replace(good, `"format":1`, `"format":2`, 1)},
		{"unknown kind", strings.Replace(good, `"kind":"ConfigMap"`, `"kind":"Widget"`, 1)},
		{"bad object", strings.Replace(good, `{"kind":"ConfigMap","object":`, `{"kind":"ConfigMap","object":[1],"x":`, 1)},
		{"count mismatch", strings.Replace(good, `"count":4}`+"\n", `"count":5}`+"\n", 1)},
		{"bad resourceVersion", strings.Replace(good, `"resourceVersion":"3"`, `"resourceVersion":"x"`, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := newSeeded(t)
			target.mustApply(createCM("default", "mine", "v"))
			before := dump(t, target.f)
			if err := restoreBytes(target.f, []byte(tt.in)); !errors.Is(err, ErrBadSnapshot) {
				t.Fatalf("err %v, want ErrBadSnapshot", err)
			}
			if dump(t, target.f) != before {
				t.Fatal("a failed restore changed the store")
			}
		})
	}
}

// failingSink fails every write, so Persist must cancel.
type failingSink struct{ memSink }

func (s *failingSink) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestPersistCancelsOnError(t *testing.T) {
	h := newSeeded(t)
	snap, err := h.f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var sink failingSink
	if err := snap.Persist(&sink); err == nil || !sink.cancelled || sink.closed {
		t.Fatalf("err %v cancelled %v closed %v", err, sink.cancelled, sink.closed)
	}
}
