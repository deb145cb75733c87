package server

import (
	"bytes"
	"errors"
	"maps"
	"path/filepath"
	"testing"
	"time"
)

func mustKey(t *testing.T) keyringKey {
	t.Helper()
	k, err := newKeyringKey(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSecretEnvelope(t *testing.T) {
	k1, k2 := mustKey(t), mustKey(t)
	a1, _ := newAEAD(k1.Secret)
	data := map[string][]byte{"password": []byte("hunter2-distinct"), "user": []byte("admin"), "empty": {}}
	env, err := sealWith(k1.ID, a1, "default", "db", data)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(env, []byte("hunter2-distinct")) {
		t.Fatal("envelope holds the plaintext")
	}
	if id, ok := envelopeKeyID(env); !ok || id != k1.ID {
		t.Fatalf("key id = %q %v, want %s", id, ok, k1.ID)
	}
	tampered := bytes.Clone(env)
	tampered[len(tampered)-1] ^= 1
	tests := []struct {
		name     string
		input    func() (env []byte, ns, name string)
		key      []byte
		wantErr  error
		wantData map[string][]byte
	}{
		{name: "round trip", input: func() ([]byte, string, string) { return env, "default", "db" }, key: k1.Secret, wantData: data},
		{name: "wrong key", input: func() ([]byte, string, string) { return env, "default", "db" }, key: k2.Secret, wantErr: errSealBroken},
		{name: "tampered ciphertext", input: func() ([]byte, string, string) { return tampered, "default", "db" }, key: k1.Secret, wantErr: errSealBroken},
		{name: "moved to another name", input: func() ([]byte, string, string) { return env, "default", "other" }, key: k1.Secret, wantErr: errSealBroken},
		{name: "moved to another namespace", input: func() ([]byte, string, string) { return env, "prod", "db" }, key: k1.Secret, wantErr: errSealBroken},
		{name: "truncated", input: func() ([]byte, string, string) { return env[:len(k1.ID)+5], "default", "db" }, key: k1.Secret, wantErr: errSealBroken},
		{name: "no key id", input: func() ([]byte, string, string) { return []byte("garbage"), "default", "db" }, key: k1.Secret, wantErr: errSealBroken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := newAEAD(tc.key)
			if err != nil {
				t.Fatal(err)
			}
			e, ns, name := tc.input()
			got, err := openWith(a, e, ns, name)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr == nil && !maps.EqualFunc(got, tc.wantData, bytes.Equal) {
				t.Fatalf("data = %q, want %q", got, tc.wantData)
			}
		})
	}
	t.Run("fresh nonce per seal", func(t *testing.T) {
		again, _ := sealWith(k1.ID, a1, "default", "db", data)
		if bytes.Equal(again, env) {
			t.Fatal("two seals of the same data are equal: nonce reused")
		}
	})
}

func TestDataMapEncoding(t *testing.T) {
	tests := []struct {
		name string
		in   map[string][]byte
	}{
		{name: "nil", in: nil},
		{name: "one", in: map[string][]byte{"a": []byte("x")}},
		{name: "binary and empty values", in: map[string][]byte{"bin": {0, 1, 255}, "e": {}, "z": []byte("zz")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeDataMap(encodeDataMap(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if !maps.EqualFunc(got, tc.in, bytes.Equal) {
				t.Fatalf("got %q, want %q", got, tc.in)
			}
		})
	}
	for _, bad := range [][]byte{nil, {5}, {1, 3, 'a'}, {1, 1, 'a', 9, 'b'}, append(encodeDataMap(map[string][]byte{"a": nil}), 0)} {
		if _, err := decodeDataMap(bad); err == nil {
			t.Errorf("decodeDataMap(%v) accepted bad input", bad)
		}
	}
}

func TestKeyringFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), KeyringFile)
	kr, err := loadKeyring(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := kr.newest(); ok {
		t.Fatal("a missing file loads keys")
	}
	k1 := mustKey(t)
	if n, err := kr.add(k1, k1); err != nil || n != 1 {
		t.Fatalf("add = %d, %v; want 1 key", n, err)
	}
	clash := k1
	clash.Secret = mustKey(t).Secret
	if _, err := kr.add(clash); err == nil {
		t.Fatal("a second key under a held id was accepted")
	}
	if _, err := kr.add(keyringKey{ID: "k:bad", Secret: k1.Secret}); err == nil {
		t.Fatal("an id with ':' was accepted")
	}
	if _, err := kr.add(keyringKey{ID: "kshort", Secret: []byte("short")}); err == nil {
		t.Fatal("a short key was accepted")
	}
	again, err := loadKeyring(path)
	if err != nil {
		t.Fatal(err)
	}
	if !again.has(k1.ID) || len(again.list()) != 1 {
		t.Fatalf("reloaded keyring = %v, want %s only", again.list(), k1.ID)
	}
	assertMode0600(t, path)
}
