package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

const secretValue = "s3cr3t-Value-7f1c9"

func newSecret(ns, name string, data map[string][]byte, stringData map[string]string) *api.Secret {
	s := &api.Secret{Data: data, StringData: stringData}
	s.APIVersion, s.Kind = "v1", "Secret"
	s.Name, s.Namespace = name, ns
	return s
}

// assertNoPlaintext fails if b holds the value plainly or base64-encoded.
func assertNoPlaintext(t *testing.T, where string, b []byte, values ...string) {
	t.Helper()
	for _, v := range values {
		for _, form := range []string{v, base64.StdEncoding.EncodeToString([]byte(v))} {
			if bytes.Contains(b, []byte(form)) {
				t.Fatalf("%s holds the secret value %q", where, form)
			}
		}
	}
}

func assertMode0600(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v, %v; want mode 0600", path, fi, err)
	}
}

func mustGetSecret(t *testing.T, ts *testServer, ns, name string) *api.Secret {
	t.Helper()
	obj, err := ts.client.Get(context.Background(), mustRes(t, "Secret"), ns, name, api.GetOptions{})
	if err != nil {
		t.Fatalf("get secret %s/%s: %v", ns, name, err)
	}
	return obj.(*api.Secret)
}

// TestSecretEncryptedInStore: the API shows a Secret in the clear, the store (and so
// the Raft log and snapshots) only its envelope.
func TestSecretEncryptedInStore(t *testing.T) {
	ts := mustStartServer(t, nil)
	ctx := context.Background()
	res := mustRes(t, "Secret")
	w, err := ts.client.Watch(ctx, res, "default", api.WatchOptions{ResourceVersion: "1"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	in := newSecret("default", "db", map[string][]byte{"password": []byte(secretValue)}, map[string]string{"user": "admin-" + secretValue})
	created, err := ts.client.Create(ctx, in)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	wantData := map[string]string{"password": secretValue, "user": "admin-" + secretValue}
	checkData := func(where string, s *api.Secret) {
		t.Helper()
		if len(s.Data) != len(wantData) || s.StringData != nil {
			t.Fatalf("%s: data = %q, stringData = %q; want %q", where, s.Data, s.StringData, wantData)
		}
		for k, v := range wantData {
			if string(s.Data[k]) != v {
				t.Fatalf("%s: data[%s] = %q, want %q", where, k, s.Data[k], v)
			}
		}
	}
	checkData("create answer", created.(*api.Secret))
	checkData("get", mustGetSecret(t, ts, "default", "db"))
	list, err := ts.client.List(ctx, res, "", api.ListOptions{})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("list: %v, %v", list, err)
	}
	items, err := list.Objects()
	if err != nil {
		t.Fatal(err)
	}
	checkData("list", items[0].(*api.Secret))
	ev, err := w.Next()
	if err != nil || ev.Type != "ADDED" {
		t.Fatalf("watch: %+v, %v", ev, err)
	}
	checkData("watch", ev.Object.(*api.Secret))

	rec, ok := ts.s.fsm.Get(res, "default", "db")
	if !ok {
		t.Fatal("not in the store")
	}
	assertNoPlaintext(t, "the stored record", rec.Raw, secretValue)
	if stored := rec.Object.(*api.Secret); len(stored.Data) != 1 || stored.Data[sealedDataKey] == nil {
		t.Fatalf("stored data keys = %v, want only %s", stored.Data, sealedDataKey)
	}
	var snap bytes.Buffer
	resp, err := http.Get(ts.base + "/v1/snapshot")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(&snap, resp.Body)
	resp.Body.Close()
	if !bytes.Contains(snap.Bytes(), []byte(`"db"`)) {
		t.Fatal("the snapshot does not hold the secret at all")
	}
	assertNoPlaintext(t, "the snapshot", snap.Bytes(), secretValue)

	// Applying the same Secret again writes nothing; a change is sealed anew.
	again, err := ts.client.Update(ctx, newSecret("default", "db", map[string][]byte{"password": []byte(secretValue)}, map[string]string{"user": "admin-" + secretValue}))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := meta(again).ResourceVersion, meta(created).ResourceVersion; got != want {
		t.Fatalf("unchanged update moved resourceVersion %s -> %s", want, got)
	}
	changed, err := ts.client.Update(ctx, newSecret("default", "db", map[string][]byte{"password": []byte("new-" + secretValue)}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if string(changed.(*api.Secret).Data["password"]) != "new-"+secretValue {
		t.Fatalf("update answer = %q", changed.(*api.Secret).Data)
	}
	ev, err = w.Next()
	if err != nil || ev.Type != "MODIFIED" || string(ev.Object.(*api.Secret).Data["password"]) != "new-"+secretValue {
		t.Fatalf("watch after update: %+v, %v", ev, err)
	}
	rec, _ = ts.s.fsm.Get(res, "default", "db")
	assertNoPlaintext(t, "the updated record", rec.Raw, secretValue)
	deleted, err := ts.client.Delete(ctx, res, "default", "db", api.DeleteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if string(deleted.(*api.Secret).Data["password"]) != "new-"+secretValue {
		t.Fatalf("delete answer = %q", deleted.(*api.Secret).Data)
	}
	assertMode0600(t, filepath.Join(ts.s.cfg.DataDir, KeyringFile))
}

// TestSecretImmutableCompared: an immutable Secret's data is compared in the clear,
// so re-applying it is allowed and changing it is not.
func TestSecretImmutableCompared(t *testing.T) {
	ts := mustStartServer(t, nil)
	ctx := context.Background()
	yes := true
	s := newSecret("default", "frozen", map[string][]byte{"k": []byte("v1")}, nil)
	s.Immutable = &yes
	if _, err := ts.client.Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	same := newSecret("default", "frozen", map[string][]byte{"k": []byte("v1")}, nil)
	same.Immutable = &yes
	if _, err := ts.client.Update(ctx, same); err != nil {
		t.Fatalf("re-applying an immutable secret: %v", err)
	}
	other := newSecret("default", "frozen", map[string][]byte{"k": []byte("v2")}, nil)
	other.Immutable = &yes
	_, err := ts.client.Update(ctx, other)
	wantReason(t, err, api.ReasonInvalid)
}

// keyringStatusOf reads the operator keyring endpoint.
func keyringStatusOf(t *testing.T, ts *testServer, method, path string) KeyringStatus {
	t.Helper()
	resp, err := ts.client.Raw(context.Background(), method, path, nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var st KeyringStatus
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestSecretKeyRotation: a rotation makes a new key active, re-encrypts every Secret
// with it and keeps the old key; reads still answer the clear data.
func TestSecretKeyRotation(t *testing.T) {
	ts := mustStartServer(t, nil)
	ctx := context.Background()
	names := []string{"a", "b", "c"}
	for _, n := range names {
		if _, err := ts.client.Create(ctx, newSecret("default", n, map[string][]byte{"v": []byte(n + secretValue)}, nil)); err != nil {
			t.Fatal(err)
		}
	}
	before := keyringStatusOf(t, ts, http.MethodGet, KeyringListPath)
	if before.Active == "" || len(before.Keys) != 1 || before.Keys[0].Secrets != len(names) {
		t.Fatalf("before rotation: %+v", before)
	}
	after := keyringStatusOf(t, ts, http.MethodPost, KeyringRotatePath)
	if after.Active == before.Active || after.Resealed != len(names) || len(after.Keys) != 2 {
		t.Fatalf("after rotation: %+v (before %+v)", after, before)
	}
	for _, k := range after.Keys {
		want := 0
		if k.ID == after.Active {
			want = len(names)
		}
		if k.Secrets != want {
			t.Fatalf("key %s encrypts %d secrets, want %d (%+v)", k.ID, k.Secrets, want, after)
		}
	}
	for _, n := range names {
		if got := string(mustGetSecret(t, ts, "default", n).Data["v"]); got != n+secretValue {
			t.Fatalf("secret %s after rotation = %q", n, got)
		}
	}
	kr, err := loadKeyring(filepath.Join(ts.s.cfg.DataDir, KeyringFile))
	if err != nil || len(kr.list()) != 2 {
		t.Fatalf("keyring file after rotation: %v, %v", kr, err)
	}
}

// TestKeyringEndpoint: with Auth off any caller gets the keys (insecure, as
// everything in that mode); with Auth on even an administrator does not.
func TestKeyringEndpoint(t *testing.T) {
	t.Run("auth off", func(t *testing.T) {
		ts := mustStartServer(t, nil)
		// The first leader makes the keyring as it takes office, which may finish
		// just after the server answers as ready.
		waitFor(t, 10*time.Second, "the keyring served", func() error {
			resp, err := http.Get(ts.base + KeyringPath)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			var doc keyringDoc
			if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&doc) != nil || len(doc.Keys) != 1 {
				return fmt.Errorf("GET %s: %s, %+v", KeyringPath, resp.Status, doc)
			}
			return nil
		})
	})
	t.Run("auth on, administrator", func(t *testing.T) {
		ts, _ := mustStartAuthServer(t)
		_, err := ts.client.Raw(context.Background(), http.MethodGet, KeyringPath, nil)
		wantReason(t, err, api.ReasonForbidden)
		waitFor(t, 10*time.Second, "a secret write under --auth", func() error {
			_, err := ts.client.Create(context.Background(), newSecret("default", "x", map[string][]byte{"v": []byte("1")}, nil))
			return err
		})
	})
}
