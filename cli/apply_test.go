package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const applyManifest = `
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: fast}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: nginx}]}
`

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestApplyCreatedConfiguredUnchanged(t *testing.T) {
	f := newFakeServer(t)
	dir := t.TempDir()
	file := writeFile(t, dir, "app.yaml", applyManifest)
	steps := []struct {
		name     string
		manifest string
		want     string
	}{
		{"first apply creates", applyManifest, "configmap/settings created\ndeployment.apps/api created\n"},
		{"second apply changes nothing", applyManifest, "configmap/settings unchanged\ndeployment.apps/api unchanged\n"},
		{"an edit configures", strings.Replace(applyManifest, "fast", "safe", 1),
			"configmap/settings configured\ndeployment.apps/api unchanged\n"},
		{"the edit again is unchanged", strings.Replace(applyManifest, "fast", "safe", 1),
			"configmap/settings unchanged\ndeployment.apps/api unchanged\n"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			writeFile(t, dir, "app.yaml", st.manifest)
			if got := mustRun(t, f, "apply", "-f", file); got != st.want {
				t.Errorf("stdout = %q, want %q", got, st.want)
			}
		})
	}
	out := mustRun(t, f, "get", "cm", "settings", "-o", "yaml")
	if !strings.Contains(out, "mode: safe") {
		t.Errorf("stored object:\n%s", out)
	}
}

func TestApplyNamespaces(t *testing.T) {
	inProd := strings.Replace(fixtureConfigMap, "{name: app-config,", "{name: app-config, namespace: prod,", 1)
	tests := []struct {
		name       string
		manifest   string
		args       []string
		wantCode   int
		wantPath   string
		wantStderr string
	}{
		{"default namespace", fixtureConfigMap, nil, 0, "POST /api/v1/namespaces/default/configmaps?", ""},
		{"-n fills an empty namespace", fixtureConfigMap, []string{"-n", "dev"}, 0, "POST /api/v1/namespaces/dev/configmaps?", ""},
		{"the file's namespace without -n", inProd, nil, 0, "POST /api/v1/namespaces/prod/configmaps?", ""},
		{"the same namespace with -n", inProd, []string{"-n", "prod"}, 0, "POST /api/v1/namespaces/prod/configmaps?", ""},
		{"a different namespace than -n", inProd, []string{"-n", "dev"}, 1, "",
			"error: namespace mismatch: the namespace from the provided object \"prod\" does not match the namespace \"dev\". " +
				"You must pass '--namespace=prod' to perform this operation\n"},
		{"cluster-scoped ignores -n", fixtureNamespace, []string{"-n", "dev"}, 0, "POST /api/v1/namespaces?", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			file := writeFile(t, t.TempDir(), "m.yaml", tt.manifest)
			r := runBerth(t, f, "", append([]string{"apply", "-f", file}, tt.args...)...)
			if r.code != tt.wantCode || r.stderr != tt.wantStderr {
				t.Fatalf("exit %d stderr %q, want %d %q", r.code, r.stderr, tt.wantCode, tt.wantStderr)
			}
			log := f.requestLog()
			if tt.wantPath != "" && (len(log) != 2 || log[1] != tt.wantPath) {
				t.Errorf("requests = %q, want GET then %q", log, tt.wantPath)
			}
		})
	}
}

func TestApplySources(t *testing.T) {
	dir := t.TempDir()
	cm := func(name string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + "}\n"
	}
	writeFile(t, dir, "b.yaml", cm("b"))
	writeFile(t, dir, "a.json", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}`)
	writeFile(t, dir, "c.yml", cm("c"))
	writeFile(t, dir, "notes.txt", "not a manifest")
	writeFile(t, dir, "sub/d.yaml", cm("d"))
	tests := []struct {
		name  string
		args  []string
		stdin string
		want  string
	}{
		{"directory sorted, not recursive", []string{"-f", dir},
			"", "configmap/a created\nconfigmap/b created\nconfigmap/c created\n"},
		{"recursive", []string{"-f", dir, "-R"},
			"", "configmap/a created\nconfigmap/b created\nconfigmap/c created\nconfigmap/d created\n"},
		{"stdin and a file, in order", []string{"-f", "-", "-f", filepath.Join(dir, "b.yaml")},
			cm("s"), "configmap/s created\nconfigmap/b created\n"},
		{"a List", []string{"-f", "-"},
			`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"l1"}}]}`,
			"configmap/l1 created\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			r := runBerth(t, f, tt.stdin, append([]string{"apply"}, tt.args...)...)
			if r.code != 0 || r.stdout != tt.want {
				t.Errorf("exit %d stdout %q stderr %q, want %q", r.code, r.stdout, r.stderr, tt.want)
			}
		})
	}
}

func TestApplyFailures(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name       string
		manifest   string
		args       []string
		wantStderr string
	}{
		{"unknown field", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndatta: {}\n", nil, "error: "},
		{"unknown kind", "apiVersion: v1\nkind: Widget\nmetadata: {name: x}\n", nil, "error: "},
		{"no name", "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n", nil, "error: bad usage: a ConfigMap in "},
		{"empty file", "", nil, "error: no objects passed (use -f FILE)\n"},
		{"missing file", "", []string{"-f", filepath.Join(dir, "absent.yaml")}, "error: stat "},
		{"arguments", "", []string{"x"}, "error: unknown command \"x\" for \"berth apply\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			args := tt.args
			if args == nil {
				args = []string{"-f", writeFile(t, dir, "m.yaml", tt.manifest)}
			}
			r := runBerth(t, f, "", append([]string{"apply"}, args...)...)
			if r.code != 1 || !strings.HasPrefix(r.stderr, tt.wantStderr) || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("exit %d stderr %q, want one line starting %q", r.code, r.stderr, tt.wantStderr)
			}
			if strings.Contains(r.stderr, "Error from server") {
				t.Errorf("a local error printed as the server's: %q", r.stderr)
			}
		})
	}
}

func TestApplyPrintsWarnings(t *testing.T) {
	f := newFakeServer(t)
	f.warnings = []string{"spec.template.spec.securityContext.seccompProfile is ignored by Berth"}
	r := runBerth(t, f, applyManifest, "apply", "-f", "-")
	want := "Warning: spec.template.spec.securityContext.seccompProfile is ignored by Berth\n"
	if r.code != 0 || strings.Count(r.stderr, want) != 2 {
		t.Errorf("exit %d stderr %q, want the warning once per write", r.code, r.stderr)
	}
}
