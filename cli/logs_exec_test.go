package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/endpoint"
	"github.com/berth-dev/berth/server/servertest"
)

// podAgent is a node agent's backend for the CLI tests: logs print the container's
// name and lines; exec runs "echo", "cat" (stdin to stdout) or "exit N".
type podAgent struct{}

func (podAgent) Logs(_ context.Context, _, pod, container string, opts api.LogOptions, w io.Writer) error {
	lines := []string{"first", "second", "third"}
	if opts.TailLines >= 0 && opts.TailLines < len(lines) {
		lines = lines[len(lines)-opts.TailLines:]
	}
	for _, l := range lines {
		fmt.Fprintf(w, "%s/%s %s\n", pod, container, l)
	}
	return nil
}

func (podAgent) Exec(_ context.Context, _, _, _ string, cmd []string, _ bool,
	stdin io.Reader, stdout, stderr io.Writer, _ <-chan api.TerminalSize) (int, error) {
	switch cmd[0] {
	case "echo":
		fmt.Fprintln(stdout, strings.Join(cmd[1:], " "))
	case "cat":
		if stdin != nil {
			io.Copy(stdout, stdin)
		}
	case "exit":
		fmt.Fprintln(stderr, "exiting")
		n, err := strconv.Atoi(cmd[1])
		return n, err
	default:
		return -1, fmt.Errorf("%w: no %s", endpoint.ErrContainerNotFound, cmd[0])
	}
	return 0, nil
}

// mustPodCluster starts a real server, an agent endpoint registered as node n1, and
// pod web (container app) bound to it; it returns the server's address.
func mustPodCluster(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	base := servertest.Start(t, nil).URL

	agent := httptest.NewServer(endpoint.New(podAgent{}))
	t.Cleanup(agent.Close)
	_, port, _ := net.SplitHostPort(agent.Listener.Addr().String())
	node := fmt.Sprintf(`{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"},"status":{
		"addresses":[{"type":"InternalIP","address":"127.0.0.1"}],"daemonEndpoints":{"kubeletEndpoint":{"Port":%s}}}}`, port)
	pod := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"default"},
		"spec":{"nodeName":"n1","containers":[{"name":"app","image":"busybox"}]}}`
	c, err := api.NewClient(base, api.WithRetry(0))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for _, manifest := range []string{node, pod} {
		obj, _, err := api.DecodeObject([]byte(manifest))
		if err != nil {
			t.Fatal(err)
		}
		for {
			// The first create waits out the election and the default namespace.
			created, err := c.Create(ctx, obj)
			if err == nil {
				if created.GetTypeMeta().Kind == "Node" {
					obj.GetObjectMeta().ResourceVersion = created.GetObjectMeta().ResourceVersion
					_, err = c.UpdateStatus(ctx, obj)
				}
				if err == nil {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("create %s: %v", obj.GetTypeMeta().Kind, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return base
}

func runAgainst(t *testing.T, addr, stdin string, args ...string) result {
	t.Helper()
	root := NewRoot()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetIn(strings.NewReader(stdin))
	code := Run(root, append([]string{"--addr", addr, "--retry-timeout", "0"}, args...))
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

func TestLogsAndExecThroughServer(t *testing.T) {
	addr := mustPodCluster(t)
	tests := []struct {
		name   string
		stdin  string
		args   []string
		want   result
		errHas string
	}{
		{name: "logs", args: []string{"logs", "web"},
			want: result{stdout: "web/app first\nweb/app second\nweb/app third\n"}},
		{name: "logs tail", args: []string{"logs", "pod/web", "-c", "app", "--tail", "1"},
			want: result{stdout: "web/app third\n"}},
		{name: "logs unknown container", args: []string{"logs", "web", "-c", "db"}, want: result{code: 1},
			errHas: `Error from server (BadRequest): container "db" is not valid for pod "web", choose one of: [app]`},
		{name: "logs missing pod", args: []string{"logs", "nope"}, want: result{code: 1},
			errHas: `Error from server (NotFound): pods "nope" not found`},
		{name: "exec echo", args: []string{"exec", "web", "--", "echo", "hi", "-n"}, want: result{stdout: "hi -n\n"}},
		{name: "exec stdin", stdin: "piped\n", args: []string{"exec", "-i", "web", "--", "cat"}, want: result{stdout: "piped\n"}},
		{name: "exec without -i", stdin: "piped\n", args: []string{"exec", "web", "--", "cat"}, want: result{}},
		{name: "exec exit code", args: []string{"exec", "web", "--", "exit", "7"}, want: result{stderr: "exiting\n", code: 7}},
		{name: "exec -t without a terminal", args: []string{"exec", "-t", "web", "--", "echo", "x"},
			want: result{stdout: "x\n", stderr: "Unable to use a TTY - input is not a terminal\n"}},
		{name: "exec failure", args: []string{"exec", "web", "--", "nosuch"}, want: result{code: 1},
			errHas: "Error from server (NotFound): container not found: no nosuch"},
		{name: "exec no command", args: []string{"exec", "web"}, want: result{code: 1}, errHas: "exec needs a pod and a command"},
		{name: "exec two args before --", args: []string{"exec", "web", "x", "--", "ls"}, want: result{code: 1},
			errHas: "only the pod name goes before --"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runAgainst(t, addr, tt.stdin, tt.args...)
			if tt.errHas != "" {
				if got.code != tt.want.code || !strings.Contains(got.stderr, tt.errHas) {
					t.Fatalf("exit %d, stderr %q; want %d with %q", got.code, got.stderr, tt.want.code, tt.errHas)
				}
				return
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// The server's 502 when the agent is gone is one line, like every other error.
func TestExecAgentDown(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, `{"kind":"Status","status":"Failure","message":"cannot reach the node agent","reason":"ServiceUnavailable","code":502}`)
	}))
	defer srv.Close()
	got := runAgainst(t, srv.URL, "", "exec", "web", "--", "ls")
	if got.code != 1 || got.stderr != "Error from server (ServiceUnavailable): cannot reach the node agent\n" {
		t.Fatalf("got %+v", got)
	}
}
