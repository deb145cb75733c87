package integration

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// TestSecretsAtRest: a Secret's value (given as data and as stringData) reaches no
// file under any server's data dir — Raft log, Raft snapshots, a saved snapshot, the
// keyring — nor any server's log, before and after a key rotation; every server
// answers it in the clear, also after a restart of the whole cluster.
func TestSecretsAtRest(t *testing.T) {
	c := newCluster(t, 3, "--insecure-dev", "--raft-snapshot-threshold", "16", "--raft-snapshot-interval", "200ms")
	leader := c.waitLeader(15 * time.Second)
	follower := c.followers(leader)[0]
	ctx := context.Background()
	res, _ := api.ResourceForKind("Secret")

	fromData, fromString := distinctValue(t), distinctValue(t)
	sec := &api.Secret{Data: map[string][]byte{"password": []byte(fromData)}, StringData: map[string]string{"token": fromString}}
	sec.APIVersion, sec.Kind, sec.Name, sec.Namespace = "v1", "Secret", "db", "default"
	if _, err := follower.client(t).Create(ctx, sec); err != nil { // forwarded to the leader
		t.Fatalf("create secret: %v", err)
	}
	want := map[string]string{"password": fromData, "token": fromString}
	// A control: the same kind of value in a ConfigMap must be found by the same search.
	control := distinctValue(t)
	cm := &api.ConfigMap{Data: map[string]string{"v": control}}
	cm.APIVersion, cm.Kind, cm.Name, cm.Namespace = "v1", "ConfigMap", "control", "default"
	if _, err := leader.client(t).Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	waitAllRead(t, c, res, want)

	// Enough writes after the Secret for every server to snapshot past it.
	writeFiller(t, leader, "before", 40)
	waitSnapshotsHold(t, c, `"name":"db"`)
	backup := filepath.Join(leader.dir, "backup.snap")
	mustCLI(t, leader, "snapshot", "save", backup)
	if b, err := os.ReadFile(backup); err != nil || !bytes.Contains(b, []byte(`"name":"db"`)) {
		t.Fatalf("saved snapshot lacks the secret: %v", err)
	}

	out := mustCLI(t, follower, "operator", "keyring", "rotate")
	if !strings.Contains(out, "re-encrypted 1 secrets") {
		t.Fatalf("rotate said:\n%s", out)
	}
	list := mustCLI(t, leader, "operator", "keyring", "list")
	if strings.Count(list, "\n") != 3 { // header and two keys
		t.Fatalf("keyring list after one rotation:\n%s", list)
	}
	waitAllRead(t, c, res, want)
	writeFiller(t, leader, "after", 40)
	waitSnapshotsHold(t, c, `"name":"after-10"`) // 29 entries after it: past the threshold

	for _, n := range c.nodes {
		n.term(t)
	}
	forms := leakForms(fromData, fromString)
	for _, n := range c.nodes {
		if fi, err := os.Stat(filepath.Join(n.dir, "keyring")); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s keyring: %v, %v; want mode 0600", n.name, fi, err)
		}
		if path := findForms(t, n.dir, leakForms(control)); path == "" {
			t.Fatalf("%s: the control value is in no file: the search is blind", n.name)
		}
		for _, root := range []string{n.dir, filepath.Join(c.dir, n.name+".log")} {
			if path := findForms(t, root, forms); path != "" {
				t.Fatalf("%s holds a secret value", path)
			}
		}
	}

	for _, n := range c.nodes {
		n.start(t)
	}
	c.waitLeader(20 * time.Second)
	waitAllRead(t, c, res, want)
}

// distinctValue is a value no file holds by chance.
func distinctValue(t *testing.T) string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "leak-me-" + hex.EncodeToString(b)
}

// leakForms are the byte strings that would betray the values: as they are, and
// base64-encoded at each of the three alignments inside a longer encoding (the tail
// group is cut, since it depends on the bytes that follow).
func leakForms(values ...string) [][]byte {
	var out [][]byte
	for _, v := range values {
		out = append(out, []byte(v))
		for pad := range 3 {
			enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", pad) + v))
			skip := 0
			if pad > 0 {
				skip = 4
			}
			out = append(out, []byte(enc[skip:len(enc)-4]))
		}
	}
	return out
}

// findForms walks every file under root (or root itself) and returns the first that
// holds any of forms, or "".
func findForms(t *testing.T, root string, forms [][]byte) string {
	t.Helper()
	found, files := "", 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || found != "" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, f := range forms {
			if bytes.Contains(b, f) {
				found = path
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatalf("no files under %s", root)
	}
	return found
}

// waitAllRead waits until every running server answers Secret default/db with want,
// from its own store.
func waitAllRead(t *testing.T, c *cluster, res *api.Resource, want map[string]string) {
	t.Helper()
	for _, n := range c.nodes {
		cl := n.client(t)
		waitFor(t, 15*time.Second, n.name+" to answer the secret in the clear", func() error {
			obj, err := cl.Get(context.Background(), res, "default", "db", api.GetOptions{})
			if err != nil {
				return err
			}
			got := obj.(*api.Secret).Data
			for k, v := range want {
				if string(got[k]) != v {
					return fmt.Errorf("data[%s] = %q, want %q", k, got[k], v)
				}
			}
			if len(got) != len(want) {
				return fmt.Errorf("data has keys %v", got)
			}
			return nil
		})
	}
}

// writeFiller creates n ConfigMaps, pushing the log past the snapshot threshold.
func writeFiller(t *testing.T, n *node, prefix string, count int) {
	t.Helper()
	cl := n.client(t)
	for i := range count {
		cm := &api.ConfigMap{Data: map[string]string{"i": strconv.Itoa(i)}}
		cm.APIVersion, cm.Kind, cm.Namespace = "v1", "ConfigMap", "default"
		cm.Name = prefix + "-" + strconv.Itoa(i)
		if _, err := cl.Create(context.Background(), cm); err != nil {
			t.Fatalf("create %s: %v", cm.Name, err)
		}
	}
}

// waitSnapshotsHold waits until every server has a Raft snapshot holding marker.
func waitSnapshotsHold(t *testing.T, c *cluster, marker string) {
	t.Helper()
	for _, n := range c.nodes {
		waitFor(t, 20*time.Second, n.name+" to snapshot "+marker, func() error {
			states, _ := filepath.Glob(filepath.Join(n.dir, "raft", "snapshots", "*", "state.bin"))
			for _, s := range states {
				if b, err := os.ReadFile(s); err == nil && bytes.Contains(b, []byte(marker)) {
					return nil
				}
			}
			return errors.New("no snapshot holds it yet")
		})
	}
}
