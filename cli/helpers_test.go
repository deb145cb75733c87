package cli

import (
	"bytes"
	"strings"
	"testing"
)

// result is what one berth invocation printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

// runBerth runs the CLI against the fake with no retries, so a 503 fails at once.
func runBerth(t *testing.T, f *fakeServer, stdin string, args ...string) result {
	t.Helper()
	root := NewRoot()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetIn(strings.NewReader(stdin))
	addr := "http://127.0.0.1:1"
	if f != nil {
		addr = f.url
	}
	code := Run(root, append([]string{"--addr", addr, "--retry-timeout", "0"}, args...))
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// mustRun runs the CLI and fails the test unless it exits 0.
func mustRun(t *testing.T, f *fakeServer, args ...string) string {
	t.Helper()
	r := runBerth(t, f, "", args...)
	if r.code != 0 {
		t.Fatalf("berth %s: exit %d, stderr %q", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

// tableCase is one `berth get` invocation and the exact stdout it must print.
type tableCase struct {
	name string
	args []string
	want string
}

// checkTables runs each case against f as a subtest: it must exit 0, print nothing
// on stderr and print exactly want.
func checkTables(t *testing.T, f *fakeServer, tests []tableCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runBerth(t, f, "", tt.args...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("berth %s: exit %d, stderr %q", strings.Join(tt.args, " "), r.code, r.stderr)
			}
			if r.stdout != tt.want {
				t.Errorf("berth %s: stdout:\n%s\nwant:\n%s", strings.Join(tt.args, " "), r.stdout, tt.want)
			}
		})
	}
}

// describeCase is one `berth describe` invocation: want must appear in its output in
// this order, and nothing of notWant anywhere.
type describeCase struct {
	name    string
	args    []string
	want    []string // in this order
	notWant []string
}

// checkDescribes runs each case against f as a subtest; the run must exit 0.
func checkDescribes(t *testing.T, f *fakeServer, tests []describeCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := mustRun(t, f, tt.args...)
			wantInOrder(t, out, tt.want)
			for _, nw := range tt.notWant {
				if strings.Contains(out, nw) {
					t.Errorf("output shows %q:\n%s", nw, out)
				}
			}
		})
	}
}

// wantInOrder fails the test unless every string of want appears in out, each after
// the end of the one before.
func wantInOrder(t *testing.T, out string, want []string) {
	t.Helper()
	rest := out
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("%q missing (or out of order) in:\n%s", w, out)
		}
		rest = rest[i+len(w):]
	}
}
