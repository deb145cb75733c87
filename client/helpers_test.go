package client

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/runtime"
	"github.com/berth-dev/berth/client/runtime/fake"
	"github.com/berth-dev/berth/server/servertest"
)

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// mustStartServer starts a one-server cluster on loopback and returns its base URL
// and a client, once it accepts namespaced writes.
func mustStartServer(t *testing.T) (string, *api.Client) {
	t.Helper()
	ts := servertest.Start(t, nil)
	return ts.URL, ts.Client
}

// testAgent is one running agent on a fake runtime.
type testAgent struct {
	a    *Agent
	rt   *fake.Runtime
	stop func() // stops Run, leaving the containers
}

// startAgent runs an agent named node on rt (a new fake if nil) with dataDir.
func startAgent(t *testing.T, base, node string, rt *fake.Runtime, dataDir string) *testAgent {
	t.Helper()
	if rt == nil {
		rt = fake.New(fake.Config{Hostname: node})
	}
	cfg := DefaultConfig()
	cfg.Name, cfg.DataDir, cfg.Servers = node, dataDir, []string{base}
	cfg.ClientPort, cfg.StatusInterval, cfg.Logger = 0, time.Second, discardLogger()
	a, err := NewWithRuntime(cfg, rt)
	if err != nil {
		t.Fatalf("NewWithRuntime: %v", err)
	}
	a.backoffInitial, a.backoffMax = 300*time.Millisecond, time.Second
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("agent did not stop")
		}
	}
	t.Cleanup(stop)
	waitFor(t, 15*time.Second, "the agent to be ready", func() error {
		if !a.Ready() {
			return fmt.Errorf("not ready")
		}
		return nil
	})
	return &testAgent{a: a, rt: rt, stop: stop}
}

func waitFor(t *testing.T, timeout time.Duration, what string, fn func() error) {
	t.Helper()
	servertest.WaitFor(t, timeout, what, fn)
}

// newPod is a pod bound to node with the named containers.
func newPod(name, node string, containers ...string) *api.Pod {
	p := &api.Pod{
		TypeMeta:   api.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Spec:       api.PodSpec{NodeName: node},
	}
	for _, c := range containers {
		p.Spec.Containers = append(p.Spec.Containers, api.Container{Name: c, Image: "berth/demo:dev"})
	}
	return p
}

func mustCreate(t *testing.T, c *api.Client, obj api.Object) api.Object {
	t.Helper()
	out, err := c.Create(context.Background(), obj)
	if err != nil {
		t.Fatalf("create %s: %v", obj.GetObjectMeta().Name, err)
	}
	return out
}

func getPod(c *api.Client, name string) (*api.Pod, error) {
	obj, err := c.Get(context.Background(), podRes, "default", name, api.GetOptions{})
	if err != nil {
		return nil, err
	}
	return obj.(*api.Pod), nil
}

// waitPod waits until check accepts the pod.
func waitPod(t *testing.T, c *api.Client, name, what string, check func(*api.Pod) error) *api.Pod {
	t.Helper()
	var pod *api.Pod
	waitFor(t, 15*time.Second, name+" "+what, func() error {
		var err error
		if pod, err = getPod(c, name); err != nil {
			return err
		}
		return check(pod)
	})
	return pod
}

func phaseIs(phase string) func(*api.Pod) error {
	return func(p *api.Pod) error {
		if p.Status.Phase != phase {
			return fmt.Errorf("phase %q, want %q (%+v)", p.Status.Phase, phase, p.Status.ContainerStatuses)
		}
		return nil
	}
}

// containersOf lists the runtime's containers of a pod (no sandboxes).
func containersOf(t *testing.T, rt runtime.Runtime, uid string) []runtime.ContainerStatus {
	t.Helper()
	all, err := rt.ListContainers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []runtime.ContainerStatus
	for _, c := range all {
		if c.PodUID == uid && !c.Sandbox {
			out = append(out, c)
		}
	}
	return out
}

// runningID returns the ID of a pod's running instance of a container.
func runningID(t *testing.T, rt runtime.Runtime, uid, name string) string {
	t.Helper()
	var id string
	waitFor(t, 10*time.Second, "container "+name+" to run", func() error {
		for _, c := range containersOf(t, rt, uid) {
			if c.ContainerName == name && c.State == runtime.StateRunning {
				id = c.ID
				return nil
			}
		}
		return fmt.Errorf("no running %s", name)
	})
	return id
}

func statusOf(p *api.Pod, name string) api.ContainerStatus {
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Name == name {
			return cs
		}
	}
	return api.ContainerStatus{}
}

func nodeCIDR(t *testing.T, c *api.Client, node string) netip.Prefix {
	t.Helper()
	obj, err := c.Get(context.Background(), nodeRes, "", node, api.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := netip.ParsePrefix(obj.(*api.Node).Spec.PodCIDR)
	if err != nil {
		t.Fatalf("node podCIDR: %v", err)
	}
	return p
}
