package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/server"
	"github.com/berth-dev/berth/server/servertest"
)

// isolateConfig points the CLI at a config file of the test's own and clears the
// environment that would override it.
func isolateConfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "berth", "config")
	t.Setenv("BERTH_CONFIG", path)
	t.Setenv("BERTH_ADDR", "")
	t.Setenv("BERTH_TOKEN", "")
	return path
}

// runCLI runs berth with exactly args: no --addr, so the config's context counts.
func runCLI(t *testing.T, args ...string) result {
	t.Helper()
	root := NewRoot()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	code := Run(root, append([]string{"--retry-timeout", "0"}, args...))
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

func TestConnection(t *testing.T) {
	path := isolateConfig(t)
	cfg := &configFile{APIVersion: "v1", Kind: "Config", CurrentContext: "prod", Contexts: []configContext{
		{Name: "prod", Server: "http://10.0.0.1:6440", Token: "berth-p.secret", CertificateAuthority: "/ca.pem"},
		{Name: "dev", Server: "http://10.0.0.2:6440", Token: "berth-d.secret"},
	}}
	if err := cfg.save(path); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config mode %v, %v; want 0600", fi.Mode(), err)
	}
	tests := []struct {
		name    string
		args    []string
		envAddr string
		want    connection
	}{
		{"the current context", nil, "", connection{server: "http://10.0.0.1:6440", token: "berth-p.secret", caFile: "/ca.pem"}},
		{"--addr of the context's server", []string{"--addr", "http://10.0.0.1:6440/"}, "",
			connection{server: "http://10.0.0.1:6440", token: "berth-p.secret", caFile: "/ca.pem"}},
		{"--addr elsewhere gets no token", []string{"--addr", "http://10.0.0.9:6440"}, "",
			connection{server: "http://10.0.0.9:6440"}},
		{"BERTH_ADDR elsewhere too", nil, "http://10.0.0.9:6440", connection{server: "http://10.0.0.9:6440"}},
		{"--token wins", []string{"--token", "berth-x.y"}, "",
			connection{server: "http://10.0.0.1:6440", token: "berth-x.y", caFile: "/ca.pem"}},
		{"--token and --addr", []string{"--addr", "http://10.0.0.9:6440", "--token", "berth-x.y"}, "",
			connection{server: "http://10.0.0.9:6440", token: "berth-x.y"}},
		{"BERTH_TOKEN wins", []string{"--token", ""}, "",
			connection{server: "http://10.0.0.1:6440", token: "berth-env.secret", caFile: "/ca.pem"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("BERTH_ADDR", tt.envAddr)
			if tt.name == "BERTH_TOKEN wins" {
				t.Setenv("BERTH_TOKEN", "berth-env.secret")
			}
			g := &globals{}
			cmd := &cobra.Command{}
			addr := DefaultAddr
			if tt.envAddr != "" {
				addr = tt.envAddr
			}
			cmd.Flags().StringVar(&g.addr, "addr", addr, "")
			cmd.Flags().StringVar(&g.token, "token", "", "")
			if err := cmd.ParseFlags(tt.args); err != nil {
				t.Fatal(err)
			}
			got, err := g.connection(cmd)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("connection = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestLoginTokensAndCanI drives the CLI against a server with auth on: login saves a
// context, tokens are made and revoked, and can-i agrees with what the server does.
func TestLoginTokensAndCanI(t *testing.T) {
	path := isolateConfig(t)
	srv := servertest.Start(t, func(c *server.Config) { c.Auth = true })
	mustCLI := func(args ...string) string {
		t.Helper()
		r := runCLI(t, args...)
		if r.code != 0 {
			t.Fatalf("berth %s: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
		}
		return r.stdout
	}
	if r := runCLI(t, "--addr", srv.URL, "get", "pods"); r.code == 0 || !strings.Contains(r.stderr, "Unauthorized") {
		t.Fatalf("without a token: exit %d, %q", r.code, r.stderr)
	}
	if r := runCLI(t, "login", "--server", srv.URL, "--token", "berth-no.such"); r.code == 0 || !strings.Contains(r.stderr, "Unauthorized") {
		t.Fatalf("login with a bad token: exit %d, %q", r.code, r.stderr)
	}
	mustCLI("login", "--server", srv.URL, "--token", srv.AdminToken, "--context", "admin")
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config after login: %v, %v", fi, err)
	}
	if out := mustCLI("config", "get-contexts"); !strings.Contains(out, "*         admin   "+srv.URL) {
		t.Errorf("get-contexts:\n%s", out)
	}
	if r := runCLI(t, "config", "use-context", "nope"); r.code == 0 || !strings.Contains(r.stderr, "no such context") {
		t.Errorf("use-context nope: exit %d, %q", r.code, r.stderr)
	}
	mustCLI("create", "namespace", "a")
	mustCLI("create", "namespace", "b")
	alice := strings.TrimSpace(mustCLI("token", "create", "--user", "alice", "--description", "test"))
	if !strings.HasPrefix(alice, "berth-") {
		t.Fatalf("token create printed %q", alice)
	}
	manifest := filepath.Join(t.TempDir(), "rb.yaml")
	os.WriteFile(manifest, []byte(`apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-edit, namespace: a}
subjects: [{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}]
roleRef: {kind: ClusterRole, name: edit, apiGroup: rbac.authorization.k8s.io}
`), 0o600)
	mustCLI("apply", "-f", manifest)

	tests := []struct {
		name     string
		canI     []string
		request  []string
		wantYes  bool
		wantDeny string // in the request's error when denied
	}{
		{"namespaces", []string{"create", "namespaces"}, []string{"create", "namespace", "x"}, false,
			`namespaces is forbidden: User "alice" cannot create resource "namespaces" in API group "" at the cluster scope`},
		{"pods in a", []string{"list", "pods", "-n", "a"}, []string{"get", "pods", "-n", "a"}, true, ""},
		{"pods in b", []string{"list", "po", "-n", "b"}, []string{"get", "pods", "-n", "b"}, false,
			`pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "b"`},
		{"nodes", []string{"list", "nodes"}, []string{"get", "nodes"}, false, `at the cluster scope`},
		{"members", []string{"get", "/v1/members"}, []string{"members"}, false, `cannot get path "/v1/members"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, append([]string{"--token", alice, "auth", "can-i"}, tt.canI...)...)
			if got := strings.TrimSpace(r.stdout); (got == "yes") != tt.wantYes || (r.code == 0) != tt.wantYes {
				t.Errorf("can-i %v: %q exit %d", tt.canI, got, r.code)
			}
			r = runCLI(t, append([]string{"--token", alice}, tt.request...)...)
			if (r.code == 0) != tt.wantYes || (tt.wantDeny != "" && !strings.Contains(r.stderr, tt.wantDeny)) {
				t.Errorf("berth %v: exit %d, %q; want denied=%v naming %q", tt.request, r.code, r.stderr, !tt.wantYes, tt.wantDeny)
			}
		})
	}
	if out := mustCLI("token", "list"); !strings.Contains(out, "alice") || strings.Contains(out, strings.SplitN(alice, ".", 2)[1]) {
		t.Errorf("token list shows no alice, or her secret:\n%s", out)
	}
	mustCLI("token", "revoke", alice)
	if r := runCLI(t, "--token", alice, "auth", "can-i", "list", "pods", "-n", "a"); r.code == 0 || !strings.Contains(r.stderr, "Unauthorized") {
		t.Errorf("a revoked token: exit %d, %q", r.code, r.stderr)
	}
}
