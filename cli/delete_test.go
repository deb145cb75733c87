package cli

import (
	"strings"
	"testing"
)

func TestDelete(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantCode   int
		wantStdout string
		wantStderr string
		wantBody   string
	}{
		{"by name", []string{"delete", "cm", "app-config"}, "", 0, "configmap \"app-config\" deleted\n", "",
			`"propagationPolicy":"Background"`},
		{"kind/name", []string{"delete", "deploy/web", "svc/web"}, "", 0,
			"deployment.apps \"web\" deleted\nservice \"web\" deleted\n", "", ""},
		{"orphan", []string{"delete", "rs", "web-abc", "--cascade=orphan"}, "", 0, "replicaset.apps \"web-abc\" deleted\n", "",
			`"propagationPolicy":"Orphan"`},
		{"foreground", []string{"delete", "deploy", "web", "--cascade", "foreground"}, "", 0, "deployment.apps \"web\" deleted\n", "",
			`"propagationPolicy":"Foreground"`},
		{"cluster-scoped", []string{"delete", "ns", "prod"}, "", 0, "namespace \"prod\" deleted\n", "", ""},
		{"from a file", []string{"delete", "-f", "-"}, fixtureConfigMap + "---\n" + fixtureSecret, 0,
			"configmap \"app-config\" deleted\nsecret \"creds\" deleted\n", "", ""},
		{"not found", []string{"delete", "cm", "nope"}, "", 1, "",
			"Error from server (NotFound): configmaps \"nope\" not found\n", ""},
		{"ignore not found", []string{"delete", "cm", "nope", "app-config", "--ignore-not-found"}, "", 0,
			"configmap \"app-config\" deleted\n", "", ""},
		{"no name", []string{"delete", "cm"}, "", 1, "", "error: bad usage: name the configmaps to delete\n", ""},
		{"bad cascade", []string{"delete", "cm", "x", "--cascade=sideways"}, "", 1, "",
			"error: bad usage: --cascade must be background, foreground or orphan, not \"sideways\"\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := seededFake(t)
			r := runBerth(t, f, tt.stdin, tt.args...)
			if r.code != tt.wantCode || r.stdout != tt.wantStdout || r.stderr != tt.wantStderr {
				t.Errorf("exit %d stdout %q stderr %q\nwant %d %q %q", r.code, r.stdout, r.stderr,
					tt.wantCode, tt.wantStdout, tt.wantStderr)
			}
			f.mu.Lock()
			bodies := strings.Join(f.bodies, "\n")
			f.mu.Unlock()
			if !strings.Contains(bodies, tt.wantBody) {
				t.Errorf("DELETE bodies %q lack %q", bodies, tt.wantBody)
			}
		})
	}
}

func TestCreate(t *testing.T) {
	f := seededFake(t)
	if got := mustRun(t, f, "create", "namespace", "dev"); got != "namespace/dev created\n" {
		t.Errorf("create namespace = %q", got)
	}
	r := runBerth(t, f, "", "create", "ns", "dev")
	if r.code != 1 || r.stderr != "Error from server (AlreadyExists): namespaces \"dev\" already exists\n" {
		t.Errorf("second create: exit %d stderr %q", r.code, r.stderr)
	}
	r = runBerth(t, f, strings.Replace(fixtureConfigMap, "app-config", "fresh", 1), "create", "-f", "-")
	if r.code != 0 || r.stdout != "configmap/fresh created\n" {
		t.Errorf("create -f: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
}
