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
