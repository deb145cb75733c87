package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/gossip"
	"github.com/berth-dev/berth/pki"
)

func TestSetGossipKeys(t *testing.T) {
	ca, err := pki.NewCA("test-ca")
	if err != nil {
		t.Fatal(err)
	}
	id, err := ca.NewIdentity(pki.RoleServer, "s1", []string{"127.0.0.1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		tls     *pki.LiveIdentity
		wantKey bool
	}{
		{"secure: made at the first start", id, true},
		{"insecure-dev: clear gossip", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Server{cfg: Config{DataDir: t.TempDir()}, log: discardLogger(), tls: tt.tls}
			var gc gossip.Config
			if err := s.setGossipKeys(&gc); err != nil {
				t.Fatal(err)
			}
			if (len(gc.SecretKey) == gossip.KeySize) != tt.wantKey {
				t.Fatalf("secret key of %d bytes, want one: %v", len(gc.SecretKey), tt.wantKey)
			}
			if !tt.wantKey {
				return
			}
			fi, err := os.Stat(filepath.Join(s.cfg.DataDir, gossip.KeyFileName))
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("key file: %v, mode %v; want 0600", err, fi.Mode().Perm())
			}
			var again gossip.Config
			if err := s.setGossipKeys(&again); err != nil || !bytes.Equal(again.SecretKey, gc.SecretKey) {
				t.Fatalf("a restart did not keep the key (err %v)", err)
			}
		})
	}
}

func TestGossipKeyringEndpoint(t *testing.T) {
	oldKey, _ := gossip.NewKey()
	newKey, _ := gossip.NewKey()
	dir := t.TempDir()
	if err := gossip.WriteKeyFile(filepath.Join(dir, gossip.KeyFileName), oldKey); err != nil {
		t.Fatal(err)
	}
	ts := mustStartServer(t, func(c *Config) { c.DataDir = dir })
	ctx := context.Background()
	b64 := base64.StdEncoding.EncodeToString
	steps := []struct {
		op   string
		key  []byte
		want [][]byte
	}{
		{"install", newKey, [][]byte{oldKey, newKey}},
		{"use", newKey, [][]byte{newKey, oldKey}},
		{"remove", oldKey, [][]byte{newKey}},
	}
	for _, st := range steps {
		res, err := ts.client.ChangeGossipKeyring(ctx, api.GossipKeyringChange{Op: st.op, Key: b64(st.key)})
		if err != nil {
			t.Fatalf("%s: %v", st.op, err)
		}
		if res.Members != 1 || len(res.Failed) != 0 {
			t.Fatalf("%s: %+v", st.op, res)
		}
		ring, err := ts.client.GossipKeyring(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, k := range st.want {
			want = append(want, b64(k))
		}
		if len(ring.Keys) != len(want) || ring.Keys[0] != want[0] || ring.Keys[len(want)-1] != want[len(want)-1] {
			t.Fatalf("after %s: keys %v, want %v", st.op, ring.Keys, want)
		}
		kept, err := gossip.LoadKeys(dir)
		if err != nil || len(kept) != len(st.want) || !bytes.Equal(kept[0], st.want[0]) {
			t.Fatalf("after %s: the data dir keeps %d keys (err %v), want %d", st.op, len(kept), err, len(st.want))
		}
	}

	bad := []struct {
		name   string
		change api.GossipKeyringChange
	}{
		{"unknown op", api.GossipKeyringChange{Op: "rotate", Key: b64(newKey)}},
		{"not base64", api.GossipKeyringChange{Op: "install", Key: "%%%"}},
		{"short key", api.GossipKeyringChange{Op: "install", Key: b64([]byte("short"))}},
		{"remove the primary", api.GossipKeyringChange{Op: "remove", Key: b64(newKey)}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ts.client.ChangeGossipKeyring(ctx, tt.change)
			var e *api.Error
			if !errors.As(err, &e) || e.Status.Code != http.StatusBadRequest {
				t.Fatalf("err = %v, want a 400", err)
			}
		})
	}
}

func TestGossipKeyringWithoutEncryption(t *testing.T) {
	ts := mustStartServer(t, nil)
	ring, err := ts.client.GossipKeyring(context.Background())
	if err != nil || len(ring.Keys) != 0 {
		t.Fatalf("keyring %+v, %v; want none", ring, err)
	}
	key, _ := gossip.NewKey()
	_, err = ts.client.ChangeGossipKeyring(context.Background(), api.GossipKeyringChange{Op: "install", Key: base64.StdEncoding.EncodeToString(key)})
	var e *api.Error
	if !errors.As(err, &e) || e.Status.Code != http.StatusBadRequest {
		t.Fatalf("err = %v, want a 400 saying gossip is not encrypted", err)
	}
}
