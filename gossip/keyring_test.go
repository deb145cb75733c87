package gossip

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func mustKey(t *testing.T) []byte {
	t.Helper()
	k, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// savedKeys records the keyrings OnKeyringChange reports for one member.
type savedKeys struct {
	mu   sync.Mutex
	last [][]byte
}

func (s *savedKeys) save(keys [][]byte) {
	s.mu.Lock()
	s.last = keys
	s.mu.Unlock()
}

func (s *savedKeys) get() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

func sameKeys(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestWrongKeyCannotJoin(t *testing.T) {
	key := mustKey(t)
	gs := mustCluster(t, 2, func(c *Config) { c.SecretKey = key })
	tests := []struct {
		name string
		key  []byte
	}{
		{"another key", mustKey(t)},
		{"no key", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t, "stranger")
			cfg.SecretKey = tt.key
			g := mustNew(t, cfg)
			if _, err := g.Join([]string{gs[0].Addr()}); !errors.Is(err, ErrJoin) {
				t.Fatalf("join with the wrong key: err = %v, want ErrJoin", err)
			}
			for _, m := range gs[0].Members() {
				if m.Name == "stranger" {
					t.Fatal("the cluster lists a member without its key")
				}
			}
		})
	}
}

func TestKeyringRotationKeepsClusterConnected(t *testing.T) {
	oldKey, newKey := mustKey(t), mustKey(t)
	saved := make([]*savedKeys, 3)
	i := 0
	gs := mustCluster(t, 3, func(c *Config) {
		c.SecretKey = oldKey
		s := &savedKeys{}
		saved[i] = s
		c.OnKeyringChange = s.save
		i++
	})
	steps := []struct {
		op   KeyOp
		key  []byte
		want [][]byte
	}{
		{KeyInstall, newKey, [][]byte{oldKey, newKey}},
		{KeyUse, newKey, [][]byte{newKey, oldKey}},
		{KeyRemove, oldKey, [][]byte{newKey}},
	}
	for _, st := range steps {
		report, err := gs[1].ChangeKeyring(st.op, st.key)
		if err != nil {
			t.Fatalf("%s: %v", st.op, err)
		}
		if report.Members != 3 || len(report.Failed) != 0 {
			t.Fatalf("%s: report %+v, want 3 members and no failure", st.op, report)
		}
		for j, g := range gs {
			waitFor(t, 5*time.Second, "every member has the keyring after "+string(st.op), func() bool {
				return sameKeys(g.Keys(), st.want) && sameKeys(saved[j].get(), st.want)
			})
		}
	}
	// Only the new key gets in now, and the cluster still gossips: a newcomer
	// with it sees everyone alive, and everyone sees it.
	cfg := testConfig(t, "newcomer")
	cfg.SecretKey = newKey
	late := mustNew(t, cfg)
	if _, err := late.Join([]string{gs[2].Addr()}); err != nil {
		t.Fatalf("join with the new key: %v", err)
	}
	for _, g := range append(gs, late) {
		waitFor(t, 5*time.Second, "four members alive", func() bool { return countState(g.Members(), StateAlive) == 4 })
	}
	cfg = testConfig(t, "stale")
	cfg.SecretKey = oldKey
	stale := mustNew(t, cfg)
	if _, err := stale.Join([]string{gs[0].Addr()}); !errors.Is(err, ErrJoin) {
		t.Fatalf("join with the removed key: err = %v, want ErrJoin", err)
	}
}

func TestChangeKeyringErrors(t *testing.T) {
	key := mustKey(t)
	enc := mustNew(t, func() Config { c := testConfig(t, "enc"); c.SecretKey = key; return c }())
	plain := mustNew(t, testConfig(t, "plain"))
	tests := []struct {
		name string
		g    *Gossip
		op   KeyOp
		key  []byte
		want error
	}{
		{"no encryption", plain, KeyInstall, mustKey(t), ErrNoEncryption},
		{"unknown op", enc, "rotate", mustKey(t), ErrBadKeyOp},
		{"short key", enc, KeyInstall, []byte("short"), ErrBadKeyOp},
		{"use a key not installed", enc, KeyUse, mustKey(t), ErrBadKeyOp},
		{"remove the primary", enc, KeyRemove, key, ErrBadKeyOp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.g.ChangeKeyring(tt.op, tt.key); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if !sameKeys(enc.Keys(), [][]byte{key}) {
		t.Fatal("a refused change altered the keyring")
	}
}

func TestKeyFiles(t *testing.T) {
	a, b := mustKey(t), mustKey(t)
	tests := []struct {
		name    string
		setup   func(dir string) error
		want    [][]byte
		wantErr bool
	}{
		{"nothing kept", func(string) error { return nil }, nil, false},
		{"key from the join", func(dir string) error { return WriteKeyFile(filepath.Join(dir, KeyFileName), a) }, [][]byte{a}, false},
		{"keyring wins over the key", func(dir string) error { return SaveKeys(dir, [][]byte{b, a}) }, [][]byte{b, a}, false},
		{"bad key file", func(dir string) error { return os.WriteFile(filepath.Join(dir, KeyFileName), []byte("short"), 0o600) }, nil, true},
		{"bad keyring file", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, KeyringFileName), []byte("{"), 0o600)
		}, nil, true},
		{"empty keyring file", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, KeyringFileName), []byte("[]"), 0o600)
		}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := tt.setup(dir); err != nil {
				t.Fatal(err)
			}
			got, err := LoadKeys(dir)
			if (err != nil) != tt.wantErr {
				t.Fatalf("LoadKeys: err = %v, wantErr %v", err, tt.wantErr)
			}
			if !sameKeys(got, tt.want) {
				t.Fatalf("LoadKeys = %d keys, want %d", len(got), len(tt.want))
			}
		})
	}
	dir := t.TempDir()
	if err := SaveKeys(dir, [][]byte{b, a}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{KeyFileName, KeyringFileName} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s has mode %v, want 0600", f, fi.Mode().Perm())
		}
	}
	if raw, _ := os.ReadFile(filepath.Join(dir, KeyFileName)); !bytes.Equal(raw, b) {
		t.Fatal("the key file does not hold the primary key")
	}
}
