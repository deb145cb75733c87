package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// mustStartAuthServer starts a one-server cluster with Auth on and returns it with
// a client holding the bootstrap admin token, which it also returns.
func mustStartAuthServer(t *testing.T) (*testServer, string) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Name, cfg.DataDir, cfg.BindAddr = "s1", t.TempDir(), "127.0.0.1"
	cfg.HTTPPort, cfg.RaftPort, cfg.GossipPort, cfg.DNSPort = 0, 0, 0, 0
	cfg.BootstrapExpect, cfg.RaftLogLevel, cfg.Logger = 1, "error", discardLogger()
	cfg.Auth = true
	printed := &lockedWriter{}
	cfg.AdminTokenOut = printed
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Errorf("server did not stop within 15s")
		}
	})
	var token string
	path := filepath.Join(cfg.DataDir, AdminTokenFile)
	waitFor(t, 15*time.Second, "the bootstrap admin token", func() error {
		b, err := os.ReadFile(path)
		token = strings.TrimSpace(string(b))
		if err == nil && token == "" {
			err = errors.New("empty token file")
		}
		return err
	})
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s: mode %v, %v; want 0600", path, fi.Mode(), err)
	}
	base := "http://" + s.HTTPAddr()
	c, err := api.NewClient(base, api.WithRetry(0), api.WithTimeout(10*time.Second), api.WithToken(token))
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{s: s, client: c, base: base}
	ts.waitReady(t)
	waitFor(t, 5*time.Second, "the admin token to be printed", func() error {
		if !strings.Contains(printed.String(), token) {
			return fmt.Errorf("printed %q", printed.String())
		}
		return nil
	})
	return ts, token
}

// lockedWriter is written by the leader's goroutine and read by the test.
type lockedWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// clientAs returns a client of ts sending token ("" sends none).
func (ts *testServer) clientAs(t *testing.T, token string) *api.Client {
	t.Helper()
	c, err := api.NewClient(ts.base, api.WithRetry(0), api.WithTimeout(10*time.Second), api.WithToken(token))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// createToken makes a Token through the API and returns its bearer string.
func createToken(t *testing.T, c *api.Client, spec api.TokenSpec) string {
	t.Helper()
	obj, err := c.Create(context.Background(), &api.Token{TypeMeta: api.TypeMeta{APIVersion: api.AuthGroup + "/v1", Kind: "Token"}, Spec: spec})
	if err != nil {
		t.Fatalf("creating a token for %s: %v", spec.User, err)
	}
	tok := obj.(*api.Token)
	if tok.Status.Token == "" || !strings.HasPrefix(tok.Status.Token, api.TokenPrefix+tok.Name+".") {
		t.Fatalf("create answered token %q for %q", tok.Status.Token, tok.Name)
	}
	return tok.Status.Token
}

func mustCreate(t *testing.T, c *api.Client, obj api.Object) {
	t.Helper()
	if _, err := c.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %s: %v", obj.GetObjectMeta().Name, err)
	}
}

func namespace(name string) *api.Namespace {
	return &api.Namespace{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: api.ObjectMeta{Name: name}}
}

func TestAuthUnauthenticated(t *testing.T) {
	ts, _ := mustStartAuthServer(t)
	ctx := context.Background()
	revoked := createToken(t, ts.client, api.TokenSpec{User: "gone"})
	name, secret, _ := api.ParseToken(revoked)
	if _, err := ts.client.Delete(ctx, mustRes(t, "Token"), "", name, api.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	expired := createToken(t, ts.client, api.TokenSpec{User: "late", ExpirationTimestamp: api.NewTime(time.Now().Add(-time.Minute))})
	live := createToken(t, ts.client, api.TokenSpec{User: "alive"})
	saToken := createToken(t, ts.client, api.TokenSpec{User: api.ServiceAccountUsername("default", "ci")})
	liveName, _, _ := api.ParseToken(live)
	tests := []struct {
		name, header, want string
	}{
		{"no token", "", "no credentials"},
		{"another scheme", "Basic YWxpY2U6cHc=", "no credentials"},
		{"not a berth token", "Bearer garbage", "invalid bearer token"},
		{"unknown id", "Bearer berth-nosuchtoken." + secret, "no such token"},
		{"wrong secret", "Bearer " + api.TokenPrefix + liveName + "." + secret, "invalid bearer token"},
		{"revoked", "Bearer " + revoked, "no such token"},
		{"expired", "Bearer " + expired, "expired"},
		{"service account missing", "Bearer " + saToken, "ServiceAccount does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, ts.base+"/api/v1/namespaces/default/pods", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var st api.Status
			json.NewDecoder(resp.Body).Decode(&st)
			if resp.StatusCode != http.StatusUnauthorized || st.Reason != api.ReasonUnauthorized || !strings.Contains(st.Message, tt.want) {
				t.Errorf("got %d %s %q, want 401 Unauthorized naming %q", resp.StatusCode, st.Reason, st.Message, tt.want)
			}
		})
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(ts.base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s without a token: %s, want 200", path, resp.Status)
		}
	}
	if _, err := ts.clientAs(t, live).SelfSubjectAccessReview(ctx, api.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &api.ResourceAttributes{Verb: "get", Resource: "pods"}}); err != nil {
		t.Errorf("a live token: %v", err)
	}
	// Once the ServiceAccount exists its token works, and its groups count.
	mustCreate(t, ts.client, &api.ServiceAccount{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "ci"}})
	mustCreate(t, ts.client, &api.RoleBinding{
		TypeMeta:   api.TypeMeta{APIVersion: api.RBACGroup + "/v1", Kind: "RoleBinding"},
		ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "sas-view"},
		Subjects:   []api.Subject{{Kind: "Group", APIGroup: api.RBACGroup, Name: "system:serviceaccounts:default"}},
		RoleRef:    api.RoleRef{APIGroup: api.RBACGroup, Kind: "ClusterRole", Name: "view"},
	})
	if _, err := ts.clientAs(t, saToken).List(ctx, mustRes(t, "Pod"), "default", api.ListOptions{}); err != nil {
		t.Errorf("the ServiceAccount's token, viewer by its group: %v", err)
	}
}

// TestAuthNamespaceRoleBinding is the "done": a user bound to edit in
// namespace a works there, gets 403 naming the permission in b, and can-i (the
// access review) agrees with what the server does.
func TestAuthNamespaceRoleBinding(t *testing.T) {
	ts, _ := mustStartAuthServer(t)
	ctx := context.Background()
	mustCreate(t, ts.client, namespace("a"))
	mustCreate(t, ts.client, namespace("b"))
	mustCreate(t, ts.client, &api.RoleBinding{
		TypeMeta:   api.TypeMeta{APIVersion: api.RBACGroup + "/v1", Kind: "RoleBinding"},
		ObjectMeta: api.ObjectMeta{Namespace: "a", Name: "alice-edit"},
		Subjects:   []api.Subject{{Kind: "User", APIGroup: api.RBACGroup, Name: "alice"}},
		RoleRef:    api.RoleRef{APIGroup: api.RBACGroup, Kind: "ClusterRole", Name: "edit"},
	})
	alice := ts.clientAs(t, createToken(t, ts.client, api.TokenSpec{User: "alice"}))

	if _, err := alice.Create(ctx, newPod("a", "p1")); err != nil {
		t.Fatalf("alice creates a pod in a: %v", err)
	}
	_, err := alice.Create(ctx, newPod("b", "p1"))
	wantForbiddenMsg(t, err, `pods is forbidden: User "alice" cannot create resource "pods" in API group "" in the namespace "b"`)
	_, err = alice.List(ctx, mustRes(t, "Pod"), "b", api.ListOptions{})
	wantForbiddenMsg(t, err, `pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "b"`)
	_, err = alice.Members(ctx)
	wantForbiddenMsg(t, err, `forbidden: User "alice" cannot get path "/v1/members"`)

	// can-i agrees with the server on each of these.
	checks := []struct {
		name string
		ra   api.ResourceAttributes
		do   func() error
	}{
		{"list pods in a", api.ResourceAttributes{Verb: "list", Resource: "pods", Namespace: "a"}, func() error {
			_, err := alice.List(ctx, mustRes(t, "Pod"), "a", api.ListOptions{})
			return err
		}},
		{"list pods in b", api.ResourceAttributes{Verb: "list", Resource: "pods", Namespace: "b"}, func() error {
			_, err := alice.List(ctx, mustRes(t, "Pod"), "b", api.ListOptions{})
			return err
		}},
		{"create configmaps in a", api.ResourceAttributes{Verb: "create", Resource: "configmaps", Namespace: "a"}, func() error {
			_, err := alice.Create(ctx, newConfigMap("a", "c1", nil))
			return err
		}},
		{"create configmaps in b", api.ResourceAttributes{Verb: "create", Resource: "configmaps", Namespace: "b"}, func() error {
			_, err := alice.Create(ctx, newConfigMap("b", "c1", nil))
			return err
		}},
		{"list nodes (namespace ignored)", api.ResourceAttributes{Verb: "list", Resource: "nodes", Namespace: "a"}, func() error {
			_, err := alice.List(ctx, mustRes(t, "Node"), "", api.ListOptions{})
			return err
		}},
		{"get namespace a", api.ResourceAttributes{Verb: "get", Resource: "namespaces", Name: "a"}, func() error {
			_, err := alice.Get(ctx, mustRes(t, "Namespace"), "", "a", api.GetOptions{})
			return err
		}},
		{"create roles in a", api.ResourceAttributes{Verb: "create", Group: api.RBACGroup, Resource: "roles", Namespace: "a"}, func() error {
			_, err := alice.Create(ctx, &api.Role{TypeMeta: api.TypeMeta{APIVersion: api.RBACGroup + "/v1", Kind: "Role"},
				ObjectMeta: api.ObjectMeta{Namespace: "a", Name: "r"}})
			return err
		}},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			review, err := alice.SelfSubjectAccessReview(ctx, api.SelfSubjectAccessReviewSpec{ResourceAttributes: &c.ra})
			if err != nil {
				t.Fatal(err)
			}
			err = c.do()
			denied := api.ReasonOf(err) == api.ReasonForbidden
			if err != nil && !denied {
				t.Fatalf("the request failed otherwise: %v", err)
			}
			if review.Status.Allowed == denied {
				t.Errorf("can-i says allowed=%v (%s); the server answered %v", review.Status.Allowed, review.Status.Reason, err)
			}
		})
	}
}

func wantForbiddenMsg(t *testing.T, err error, msg string) {
	t.Helper()
	var e *api.Error
	if !errors.As(err, &e) || e.Status.Code != http.StatusForbidden || e.Status.Message != msg {
		t.Fatalf("error = %v, want 403 %q", err, msg)
	}
}

// TestAuthTokensStoredHashed reads the whole store: no record holds a secret, and a
// token read back has no status.token.
func TestAuthTokensStoredHashed(t *testing.T) {
	ts, admin := mustStartAuthServer(t)
	bearer := createToken(t, ts.client, api.TokenSpec{User: "alice", Groups: []string{"dev"}})
	name, secret, _ := api.ParseToken(bearer)
	_, adminSecret, _ := api.ParseToken(admin)
	for _, res := range api.Resources() {
		recs, _ := ts.s.fsm.List(res, "")
		for _, rec := range recs {
			for _, s := range []string{secret, adminSecret} {
				if bytes.Contains(rec.Raw, []byte(s)) {
					t.Errorf("%s %s holds a token secret: %s", res.Kind, rec.Object.GetObjectMeta().Name, rec.Raw)
				}
			}
		}
	}
	obj, err := ts.client.Get(context.Background(), mustRes(t, "Token"), "", name, api.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tok := obj.(*api.Token); tok.Status.Token != "" || tok.Status.SecretHash != hashSecret(secret) {
		t.Errorf("read back: status %+v", tok.Status)
	}
}

// TestAuthBootstrapOnce: a second pass of the leader's start-up work (a new leader)
// makes no second admin token.
func TestAuthBootstrapOnce(t *testing.T) {
	ts, admin := mustStartAuthServer(t)
	ts.s.ensureAuthDefaults(context.Background())
	recs, _ := ts.s.fsm.List(mustRes(t, "Token"), "")
	b, _ := os.ReadFile(filepath.Join(ts.s.cfg.DataDir, AdminTokenFile))
	if len(recs) != 1 || strings.TrimSpace(string(b)) != admin {
		t.Errorf("%d tokens after a second pass; admin.token %q, was %q", len(recs), b, admin)
	}
	roles, _ := ts.s.fsm.List(mustRes(t, "ClusterRole"), "")
	if len(roles) != len(builtinClusterRoles()) {
		t.Errorf("%d ClusterRoles, want the %d built-in ones", len(roles), len(builtinClusterRoles()))
	}
}

// TestAuthOffActsAsAdmin: without Auth nothing asks for a token and every review
// says yes.
func TestAuthOffActsAsAdmin(t *testing.T) {
	ts := mustStartServer(t, nil)
	review, err := ts.client.SelfSubjectAccessReview(context.Background(), api.SelfSubjectAccessReviewSpec{
		NonResourceAttributes: &api.NonResourceAttributes{Verb: "put", Path: "/v1/snapshot"}})
	if err != nil || !review.Status.Allowed {
		t.Fatalf("review = %+v, %v; want allowed", review, err)
	}
	if _, err := os.Stat(filepath.Join(ts.s.cfg.DataDir, AdminTokenFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("admin.token with auth off: %v", err)
	}
}

// TestAuthEscalation: a namespace admin may hand out edit in their namespace but not
// bind cluster-admin there, which would let them delete the namespace itself.
func TestAuthEscalation(t *testing.T) {
	ts, _ := mustStartAuthServer(t)
	mustCreate(t, ts.client, namespace("a"))
	binding := func(name, role, user string) *api.RoleBinding {
		return &api.RoleBinding{
			TypeMeta:   api.TypeMeta{APIVersion: api.RBACGroup + "/v1", Kind: "RoleBinding"},
			ObjectMeta: api.ObjectMeta{Namespace: "a", Name: name},
			Subjects:   []api.Subject{{Kind: "User", APIGroup: api.RBACGroup, Name: user}},
			RoleRef:    api.RoleRef{APIGroup: api.RBACGroup, Kind: "ClusterRole", Name: role},
		}
	}
	mustCreate(t, ts.client, binding("bob-admin", "admin", "bob"))
	bob := ts.clientAs(t, createToken(t, ts.client, api.TokenSpec{User: "bob"}))
	if _, err := bob.Create(context.Background(), binding("carol-edit", "edit", "carol")); err != nil {
		t.Fatalf("bob binds edit: %v", err)
	}
	_, err := bob.Create(context.Background(), binding("bob-root", "cluster-admin", "bob"))
	var e *api.Error
	if !errors.As(err, &e) || e.Status.Code != http.StatusForbidden ||
		!strings.Contains(e.Status.Message, `User "bob" is attempting to grant RBAC permissions not currently held`) {
		t.Fatalf("bob binds cluster-admin: %v, want 403", err)
	}
	if _, err := bob.Delete(context.Background(), mustRes(t, "Namespace"), "", "a", api.DeleteOptions{}); api.ReasonOf(err) != api.ReasonForbidden {
		t.Errorf("bob deletes his namespace: %v, want 403", err)
	}
}
