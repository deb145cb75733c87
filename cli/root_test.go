package cli

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

func TestServerErrorsAreOneLine(t *testing.T) {
	tests := []struct {
		name       string
		err        *api.Error
		args       []string
		wantStderr string
	}{
		{"404", api.NewError(api.ReasonNotFound, `configmaps "x" not found`), []string{"get", "cm", "x"},
			"Error from server (NotFound): configmaps \"x\" not found\n"},
		{"409", api.NewError(api.ReasonConflict, "Operation cannot be fulfilled on configmaps \"x\": the object has been modified"),
			[]string{"get", "cm", "x"},
			"Error from server (Conflict): Operation cannot be fulfilled on configmaps \"x\": the object has been modified\n"},
		{"422", api.NewError(api.ReasonInvalid, "ConfigMap \"x\" is invalid: metadata.name: Invalid value: \"X\"\nmore"),
			[]string{"get", "cm", "x"},
			"Error from server (Invalid): ConfigMap \"x\" is invalid: metadata.name: Invalid value: \"X\" more\n"},
		{"503", api.NewError(api.ReasonServiceUnavailable, "no leader elected"), []string{"get", "cm", "x"},
			"Error from server (ServiceUnavailable): no leader elected\n"},
		{"504", api.NewError(api.ReasonTimeout, "the outcome of the write is unknown"), []string{"get", "cm", "x"},
			"Error from server (Timeout): the outcome of the write is unknown\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			f.failWith("GET", "/api/v1/namespaces/default/configmaps/x", tt.err)
			r := runBerth(t, f, "", tt.args...)
			if r.code != 1 || r.stderr != tt.wantStderr || r.stdout != "" {
				t.Errorf("exit %d stdout %q stderr %q, want 1 and %q", r.code, r.stdout, r.stderr, tt.wantStderr)
			}
		})
	}
}

func TestUsageErrorsAreOneLine(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown command", []string{"gett"}, "error: unknown command \"gett\" for \"berth\" Did you mean this? get\n"},
		{"unknown flag", []string{"get", "cm", "--bogus"}, "error: unknown flag: --bogus\n"},
		{"missing argument", []string{"operator", "raft", "remove-peer"}, "error: accepts 1 arg(s), received 0\n"},
		{"bad address", []string{"--addr", "nonsense", "get", "cm"}, "error: api: bad server address: \"nonsense\": want http(s)://host:port\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runBerth(t, nil, "", tt.args...)
			if r.code != 1 || r.stderr != tt.want {
				t.Errorf("exit %d stderr %q, want 1 and %q", r.code, r.stderr, tt.want)
			}
		})
	}
}

func TestRetriesWhileNoLeader(t *testing.T) {
	f := seededFake(t)
	f.failWith("GET", "/api/v1/namespaces/default/configmaps", api.NewError(api.ReasonServiceUnavailable, "no leader"))
	// The fake says Retry-After: 1; clear the failure once the first attempt is in.
	done := make(chan result, 1)
	go func() {
		root := NewRoot()
		var out, errb strings.Builder
		root.SetOut(&out)
		root.SetErr(&errb)
		code := Run(root, []string{"--addr", f.url, "--retry-timeout", "10s", "get", "cm", "-o", "name"})
		done <- result{out.String(), errb.String(), code}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for len(f.requestLog()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no request within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	f.mu.Lock()
	delete(f.fail, "GET /api/v1/namespaces/default/configmaps")
	f.mu.Unlock()
	select {
	case r := <-done:
		if r.code != 0 || r.stdout != "configmap/app-config\n" {
			t.Errorf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("get did not finish after the leader came back")
	}
}

func TestFormatError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"api error", api.NewError(api.ReasonNotFound, `pods "p" not found`), `Error from server (NotFound): pods "p" not found`},
		{"wrapped api error", fmt.Errorf("while applying: %w", api.NewError(api.ReasonInvalid, "bad")), "Error from server (Invalid): bad"},
		{"no reason", &api.Error{Status: api.Status{Message: "odd", Code: 500}}, "Error from server (InternalError): odd"},
		{"cli sentinel", fmt.Errorf("%w %q", ErrUnknownKind, "x"), `error: the server doesn't have a resource type "x"`},
		{"multi-line", errors.New("a\n\n  b\tc"), "error: a b c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FormatError(tt.err); got != tt.want {
				t.Errorf("FormatError = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHumanAge(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-5 * time.Second, "<invalid>"},
		{-500 * time.Millisecond, "0s"},
		{5 * time.Second, "5s"},
		{119 * time.Second, "119s"},
		{3*time.Minute + 2*time.Second, "3m2s"},
		{5 * time.Minute, "5m"},
		{42 * time.Minute, "42m"},
		{4 * time.Hour, "4h"},
		{5*time.Hour + 10*time.Minute, "5h10m"},
		{20 * time.Hour, "20h"},
		{2 * 24 * time.Hour, "2d"},
		{52 * time.Hour, "2d4h"},
		{30 * 24 * time.Hour, "30d"},
		{3*365*24*time.Hour + 5*24*time.Hour, "3y5d"},
		{10 * 365 * 24 * time.Hour, "10y"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := humanAge(tt.d); got != tt.want {
				t.Errorf("humanAge(%v) = %q, want %q", tt.d, got, tt.want)
			}
		})
	}
}
