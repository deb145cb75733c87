package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
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
)

// streamAgent is a node agent's endpoint over a fake backend: logs name what was
// asked, then (with follow) stream what arrives on follow; exec upper-cases stdin
// and exits 3.
type streamAgent struct {
	follow chan string
}

func (a *streamAgent) Logs(ctx context.Context, ns, pod, container string, opts api.LogOptions, w io.Writer) error {
	fmt.Fprintf(w, "log of %s/%s/%s tail=%d\n", ns, pod, container, opts.TailLines)
	for opts.Follow {
		select {
		case <-ctx.Done():
			return nil
		case l := <-a.follow:
			fmt.Fprintln(w, l)
		}
	}
	return nil
}

func (a *streamAgent) Exec(_ context.Context, _, _, container string, cmd []string, _ bool,
	stdin io.Reader, stdout, stderr io.Writer, _ <-chan api.TerminalSize) (int, error) {
	if stdin != nil {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return -1, err
		}
		stdout.Write(bytes.ToUpper(b))
	}
	fmt.Fprintf(stderr, "%s ran %s", container, strings.Join(cmd, " "))
	return 3, nil
}

// streamPod is a pod bound to node with the named containers.
func streamPod(name, node string, containers ...string) *api.Pod {
	p := &api.Pod{}
	p.APIVersion, p.Kind = "v1", "Pod"
	p.Name, p.Namespace = name, "default"
	p.Spec.NodeName = node
	for _, c := range containers {
		p.Spec.Containers = append(p.Spec.Containers, api.Container{Name: c, Image: "busybox"})
	}
	return p
}

// mustStreamCluster starts a server, a fake agent registered as node n1, a node n2
// with no address, and pods: web (n1, app), duo (n1, a and b), pending (unbound),
// stray (n2).
func mustStreamCluster(t *testing.T) (*testServer, *streamAgent, *httptest.Server) {
	t.Helper()
	ts := mustStartServer(t, nil)
	agent := &streamAgent{follow: make(chan string)}
	srv := httptest.NewServer(endpoint.New(agent))
	t.Cleanup(srv.Close)
	_, portStr, _ := net.SplitHostPort(srv.Listener.Addr().String())
	port, _ := strconv.Atoi(portStr)
	ctx := context.Background()
	for _, n := range []struct {
		name string
		ip   string
	}{{"n1", "127.0.0.1"}, {"n2", ""}} {
		node := &api.Node{}
		node.APIVersion, node.Kind, node.Name = "v1", "Node", n.name
		if n.ip != "" {
			node.Status.Addresses = []api.NodeAddress{{Type: "InternalIP", Address: n.ip}}
			node.Status.DaemonEndpoints.KubeletEndpoint.Port = int32(port)
		}
		created, err := ts.client.Create(ctx, node)
		if err != nil {
			t.Fatalf("create node %s: %v", n.name, err)
		}
		node.ResourceVersion = created.GetObjectMeta().ResourceVersion
		if _, err := ts.client.UpdateStatus(ctx, node); err != nil {
			t.Fatalf("node %s status: %v", n.name, err)
		}
	}
	for _, p := range []*api.Pod{
		streamPod("web", "n1", "app"), streamPod("duo", "n1", "a", "b"),
		streamPod("pending", "", "app"), streamPod("stray", "n2", "app"),
	} {
		if _, err := ts.client.Create(ctx, p); err != nil {
			t.Fatalf("create pod %s: %v", p.Name, err)
		}
	}
	return ts, agent, srv
}

func TestPodLogsThroughServer(t *testing.T) {
	ts, agent, _ := mustStreamCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tests := []struct {
		name    string
		pod     string
		opts    api.LogOptions
		want    string
		reason  api.StatusReason
		errText string
	}{
		{name: "one container", pod: "web", opts: api.LogOptions{TailLines: -1}, want: "log of default/web/app tail=-1\n"},
		{name: "chosen container", pod: "duo", opts: api.LogOptions{Container: "b", TailLines: 10}, want: "log of default/duo/b tail=10\n"},
		{name: "container needed", pod: "duo", opts: api.LogOptions{TailLines: -1}, reason: api.ReasonBadRequest,
			errText: `a container name must be specified for pod "duo", choose one of: [a b]`},
		{name: "unknown container", pod: "web", opts: api.LogOptions{Container: "db"}, reason: api.ReasonBadRequest,
			errText: `container "db" is not valid for pod "web", choose one of: [app]`},
		{name: "missing pod", pod: "nope", reason: api.ReasonNotFound, errText: `pods "nope" not found`},
		{name: "unbound pod", pod: "pending", reason: api.ReasonBadRequest, errText: `pod "pending" is not scheduled to a node yet`},
		{name: "node without address", pod: "stray", reason: api.ReasonServiceUnavailable, errText: `node "n2" has no InternalIP`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			waitFor(t, 5*time.Second, "the pod in the local store", func() error {
				rc, err := ts.client.Logs(ctx, "default", tt.pod, tt.opts)
				if tt.reason != "" {
					if api.ReasonOf(err) != tt.reason || !strings.Contains(fmt.Sprint(err), tt.errText) {
						return fmt.Errorf("error %v, want %s %q", err, tt.reason, tt.errText)
					}
					return nil
				}
				if err != nil {
					return err
				}
				defer rc.Close()
				b, err := io.ReadAll(rc)
				if err != nil || string(b) != tt.want {
					t.Fatalf("log %q, %v; want %q", b, err, tt.want)
				}
				return nil
			})
		})
	}

	t.Run("follow", func(t *testing.T) {
		rc, err := ts.client.Logs(ctx, "default", "web", api.LogOptions{Follow: true, TailLines: -1})
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		br := bufio.NewReader(rc)
		if l, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(l, "log of") {
			t.Fatalf("first line %q, %v", l, err)
		}
		for i := range 3 {
			want := fmt.Sprintf("new line %d", i)
			agent.follow <- want
			if l, err := br.ReadString('\n'); err != nil || l != want+"\n" {
				t.Fatalf("read %q, %v; want %q", l, err, want)
			}
		}
	})
}

func TestPodExecThroughServer(t *testing.T) {
	ts, _, agentSrv := mustStreamCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code, err := ts.client.Exec(ctx, "default", "duo", api.ExecOptions{
		Container: "b", Command: []string{"tr", "a-z", "A-Z"}, Stdin: strings.NewReader("hello"), Stdout: &out, Stderr: &errb,
	})
	if err != nil || code != 3 || out.String() != "HELLO" || errb.String() != "b ran tr a-z A-Z" {
		t.Fatalf("Exec = %d, %v; stdout %q stderr %q", code, err, out.String(), errb.String())
	}

	_, err = ts.client.Exec(ctx, "default", "duo", api.ExecOptions{Command: []string{"ls"}})
	if api.ReasonOf(err) != api.ReasonBadRequest {
		t.Fatalf("Exec without a container in a two-container pod = %v, want BadRequest", err)
	}
	_, err = ts.client.Exec(ctx, "default", "nope", api.ExecOptions{Command: []string{"ls"}})
	if api.ReasonOf(err) != api.ReasonNotFound {
		t.Fatalf("Exec in a missing pod = %v, want NotFound", err)
	}
	resp, err := http.Post(ts.base+"/api/v1/namespaces/default/pods/web/exec?command=ls", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("exec without upgrade headers answered %d, want the agent's 400", resp.StatusCode)
	}

	// The agent gone: a 502 the client does not retry.
	agentSrv.Close()
	_, err = ts.client.Exec(ctx, "default", "web", api.ExecOptions{Command: []string{"ls"}})
	var apiErr *api.Error
	if !errors.As(err, &apiErr) || apiErr.Code() != http.StatusBadGateway {
		t.Fatalf("Exec with the agent down = %v, want 502", err)
	}
}

func TestPodContainer(t *testing.T) {
	withInit := streamPod("p", "n1", "app")
	withInit.Spec.InitContainers = []api.Container{{Name: "setup"}}
	tests := []struct {
		name    string
		pod     *api.Pod
		want    string
		got     string
		errText string
	}{
		{name: "default of one", pod: streamPod("p", "n1", "app"), got: "app"},
		{name: "named", pod: streamPod("p", "n1", "a", "b"), want: "b", got: "b"},
		{name: "init container", pod: withInit, want: "setup", got: "setup"},
		{name: "none of several", pod: streamPod("p", "n1", "a", "b"), errText: "choose one of: [a b]"},
		{name: "unknown", pod: withInit, want: "x", errText: `container "x" is not valid for pod "p", choose one of: [app setup]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := podContainer(tt.pod, tt.want)
			if tt.errText != "" {
				if api.ReasonOf(err) != api.ReasonBadRequest || !strings.Contains(err.Error(), tt.errText) {
					t.Fatalf("error %v, want BadRequest with %q", err, tt.errText)
				}
				return
			}
			if err != nil || got != tt.got {
				t.Fatalf("podContainer = %q, %v; want %q", got, err, tt.got)
			}
		})
	}
}
