package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/api"
)

func TestMembersAndPeers(t *testing.T) {
	f := newFakeServer(t)
	f.members = []api.Member{
		{Name: "s2", Addr: "10.0.0.2:6442", State: "alive", Role: "server", Version: "v0.1.0"},
		{Name: "c1", Addr: "10.0.0.9:6442", State: "suspect", Role: "client", Version: "v0.1.0"},
	}
	f.raftPeers = []api.RaftPeer{
		{ID: "s1", Address: "10.0.0.1:6441", Leader: true, Voter: true},
		{ID: "s2", Address: "10.0.0.2:6441", Voter: true},
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"members", []string{"members"}, "" +
			"NAME   ADDRESS         STATUS    ROLE     VERSION\n" +
			"c1     10.0.0.9:6442   suspect   client   v0.1.0\n" +
			"s2     10.0.0.2:6442   alive     server   v0.1.0\n"},
		{"list-peers", []string{"operator", "raft", "list-peers"}, "" +
			"ID   ADDRESS         STATE      VOTER\n" +
			"s1   10.0.0.1:6441   leader     true\n" +
			"s2   10.0.0.2:6441   follower   true\n"},
		{"remove-peer", []string{"operator", "raft", "remove-peer", "s3"}, "Removed peer with id \"s3\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustRun(t, f, tt.args...); got != tt.want {
				t.Errorf("stdout:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
	var peers []map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, f, "operator", "raft", "list-peers", "-o", "json")), &peers); err != nil {
		t.Fatal(err)
	}
	if len(peers) != 2 || peers[0]["id"] != "s1" || peers[0]["leader"] != true || peers[1]["voter"] != true {
		t.Errorf("list-peers -o json = %v", peers)
	}
	var members []api.Member
	if err := json.Unmarshal([]byte(mustRun(t, f, "members", "-o", "json")), &members); err != nil || len(members) != 2 {
		t.Errorf("members -o json = %v, %v", members, err)
	}
	if len(f.removed) != 1 || f.removed[0] != "s3" {
		t.Errorf("removed peers = %v", f.removed)
	}
}

func TestSnapshotSaveRestore(t *testing.T) {
	f := newFakeServer(t)
	f.snapshot = []byte("state-at-index-42")
	dir := t.TempDir()
	file := filepath.Join(dir, "backup.snap")
	if got := mustRun(t, f, "snapshot", "save", file); got != "Saved snapshot to "+file+" (17 bytes)\n" {
		t.Errorf("save printed %q", got)
	}
	data, err := os.ReadFile(file)
	if err != nil || string(data) != "state-at-index-42" {
		t.Fatalf("saved %q, %v", data, err)
	}
	f.snapshot = nil
	if got := mustRun(t, f, "snapshot", "restore", file); got != "Restored snapshot from "+file+"\n" {
		t.Errorf("restore printed %q", got)
	}
	if string(f.snapshot) != "state-at-index-42" {
		t.Errorf("server got %q", f.snapshot)
	}
	// A failed save leaves no file behind, not even a partial one.
	f.failWith("GET", "/v1/snapshot", api.NewError(api.ReasonInternalError, "disk on fire"))
	bad := filepath.Join(dir, "bad.snap")
	r := runBerth(t, f, "", "snapshot", "save", bad)
	if r.code != 1 || r.stderr != "Error from server (InternalError): disk on fire\n" {
		t.Errorf("failed save: exit %d stderr %q", r.code, r.stderr)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("dir holds %d entries after a failed save, want only the good snapshot", len(entries))
	}
	r = runBerth(t, f, "", "snapshot", "restore", filepath.Join(dir, "absent"))
	if r.code != 1 || !strings.HasPrefix(r.stderr, "error: open ") {
		t.Errorf("restore of a missing file: exit %d stderr %q", r.code, r.stderr)
	}
}

func TestVersion(t *testing.T) {
	if got := mustRun(t, nil, "version"); !strings.HasPrefix(got, "berth version ") {
		t.Errorf("version = %q", got)
	}
}
