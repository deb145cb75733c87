package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// cli runs the berth binary against n and returns stdout, stderr and the exit code.
func cli(t *testing.T, n *node, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(berthBin, append([]string{"--addr", n.addr()}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running berth %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

func mustCLI(t *testing.T, n *node, args ...string) string {
	t.Helper()
	out, errOut, code := cli(t, n, args...)
	if code != 0 {
		t.Fatalf("berth %v: exit %d: %s", args, code, errOut)
	}
	return out
}

// TestRemoveDeadPeer: a server that died for good is removed with the CLI, and the
// remaining two keep working with a quorum of two.
func TestRemoveDeadPeer(t *testing.T) {
	c := newCluster(t, 3)
	leader := c.waitLeader(15 * time.Second)
	dead := c.followers(leader)[0]
	dead.kill(t)
	mustCLI(t, leader, "operator", "raft", "remove-peer", dead.name)
	var peers []api.RaftPeer
	if err := json.Unmarshal([]byte(mustCLI(t, leader, "operator", "raft", "list-peers", "-o", "json")), &peers); err != nil {
		t.Fatal(err)
	}
	if len(peers) != 2 {
		t.Fatalf("after remove-peer: %+v, want 2 peers", peers)
	}
	for _, p := range peers {
		if p.ID == dead.name {
			t.Fatalf("%s is still a peer: %+v", dead.name, peers)
		}
	}
	if _, errOut, code := cli(t, leader, "operator", "raft", "remove-peer", "nope"); code == 0 || !strings.Contains(errOut, "nope") {
		t.Fatalf("removing an unknown peer: exit %d, %q", code, errOut)
	}
	if _, err := leader.client(t).Create(context.Background(), configMap("default", "after-remove", nil)); err != nil {
		t.Fatalf("write after remove-peer: %v", err)
	}
}

// TestSigtermHandsOverLeadership: a leader stopped with SIGTERM hands leadership over
// before it exits, so writes go on through the others; restarted with the same flags
// it rejoins and catches up.
func TestSigtermHandsOverLeadership(t *testing.T) {
	c := newCluster(t, 3)
	leader := c.waitLeader(15 * time.Second)
	start := time.Now()
	leader.term(t)
	next := c.waitLeader(15 * time.Second)
	if next == leader {
		t.Fatal("the stopped server is still named leader")
	}
	t.Logf("new leader %s known %v after SIGTERM", next.name, time.Since(start))
	if _, err := next.client(t).Create(context.Background(), configMap("default", "after-term", nil)); err != nil {
		t.Fatalf("write after SIGTERM of the leader: %v", err)
	}
	leader.start(t)
	waitFor(t, 15*time.Second, leader.name+" to catch up", func() error {
		_, err := leader.client(t).Get(context.Background(), cmRes, "default", "after-term", api.GetOptions{})
		return err
	})
	waitPeers(t, next, 3)
}

// TestWholeClusterRestartsFromDataDir: every server stopped, then started again with
// the flags of its first start; the cluster elects a leader and keeps its data.
func TestWholeClusterRestartsFromDataDir(t *testing.T) {
	c := newCluster(t, 3)
	ctx := context.Background()
	if _, err := c.waitLeader(15*time.Second).client(t).Create(ctx, configMap("default", "survivor", map[string]string{"a": "b"})); err != nil {
		t.Fatal(err)
	}
	for _, n := range c.nodes {
		n.kill(t)
	}
	for _, n := range c.nodes {
		n.start(t)
	}
	leader := c.waitLeader(20 * time.Second)
	obj, err := leader.client(t).Get(ctx, cmRes, "default", "survivor", api.GetOptions{Consistent: true})
	if err != nil {
		t.Fatal(err)
	}
	if obj.(*api.ConfigMap).Data["a"] != "b" {
		t.Fatalf("data after restart: %+v", obj)
	}
}

// TestSnapshotSaveRestore: a snapshot taken with the CLI brings back what was deleted
// after it, on every server.
func TestSnapshotSaveRestore(t *testing.T) {
	c := newCluster(t, 3)
	leader := c.waitLeader(15 * time.Second)
	ctx := context.Background()
	cl := leader.client(t)
	for _, name := range []string{"keep-1", "keep-2"} {
		if _, err := cl.Create(ctx, configMap("default", name, nil)); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(t.TempDir(), "backup.snap")
	follower := c.followers(leader)[0]
	mustCLI(t, follower, "snapshot", "save", file)
	if st, err := os.Stat(file); err != nil || st.Size() == 0 {
		t.Fatalf("snapshot file: %v", err)
	}
	mustCLI(t, leader, "delete", "configmap", "keep-1")
	mustCLI(t, follower, "snapshot", "restore", file)
	for _, n := range c.nodes {
		waitFor(t, 15*time.Second, n.name+" to hold keep-1 again", func() error {
			_, err := n.client(t).Get(ctx, cmRes, "default", "keep-1", api.GetOptions{})
			return err
		})
	}
	// A file that is not a snapshot is refused and changes nothing.
	bad := filepath.Join(t.TempDir(), "bad.snap")
	os.WriteFile(bad, []byte("not a snapshot"), 0o600)
	if _, errOut, code := cli(t, leader, "snapshot", "restore", bad); code == 0 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Fatalf("restore of garbage: exit %d, stderr %q", code, errOut)
	}
	if _, err := cl.Get(ctx, cmRes, "default", "keep-2", api.GetOptions{Consistent: true}); err != nil {
		t.Fatalf("after a refused restore: %v", err)
	}
}
