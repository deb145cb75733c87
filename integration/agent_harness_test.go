package integration

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// The harness for tests that run pods on this machine's real Docker engine.

// demoImage is the image the pod tests run: `berth demo`, built FROM scratch from
// this tree by scripts/images.sh (no registry needed).
const demoImage = "berth/demo:dev"

var (
	demoOnce sync.Once
	demoErr  error
)

// needDocker fails the test when there is no Docker engine: these tests are part of
// `make test` and must not pass silently without one. BERTH_SKIP_DOCKER=1 skips them
// on a machine that has no engine on purpose.
func needDocker(t testing.TB) {
	t.Helper()
	if os.Getenv("BERTH_SKIP_DOCKER") == "1" {
		t.Skip("BERTH_SKIP_DOCKER=1")
	}
	if _, err := os.Stat("/var/run/docker.sock"); err != nil {
		t.Fatalf("these tests need the Docker engine at /var/run/docker.sock (set BERTH_SKIP_DOCKER=1 to skip): %v", err)
	}
}

// buildDemoImage builds berth/demo:dev once per test binary.
func buildDemoImage(t testing.TB) {
	t.Helper()
	needDocker(t)
	demoOnce.Do(func() {
		cmd := exec.Command("../scripts/images.sh")
		out, err := cmd.CombinedOutput()
		if err != nil {
			demoErr = fmt.Errorf("scripts/images.sh: %v\n%s", err, out)
		}
	})
	if demoErr != nil {
		t.Fatal(demoErr)
	}
}

// agent is one `berth client` process on the real Docker engine (or the fake runtime).
type agent struct {
	node    // process handling: start, kill, term, log file
	network string
	runtime string
	servers []string
	join    []string // the servers' gossip addresses
	extra   []string // more flags (agentOptions.extra)
}

// agentOptions change how startAgentWith runs a client.
type agentOptions struct {
	// network is the Docker network; empty: one of the agent's own. Agents that
	// share one pass --shared-pod-network in extra too.
	network string
	// extra are more flags, after the harness's own (so they win: --proxy).
	extra []string
	// joinToken, when set, runs the agent with TLS and this client join token.
	joinToken string
	// noWait returns once the process has started instead of waiting for its Node
	// to be Ready: for an agent the servers are meant to refuse.
	noWait bool
}

// startAgent launches `berth client` against every server of c, with its own loopback
// address, data dir and Docker network, and waits until its Node is Ready.
func (c *cluster) startAgent(t *testing.T, name, runtime string) *agent {
	t.Helper()
	return c.startAgentWith(t, name, runtime, agentOptions{})
}

// startAgentWith is startAgent with options.
func (c *cluster) startAgentWith(t *testing.T, name, runtime string, o agentOptions) *agent {
	t.Helper()
	if runtime == "docker" {
		needDocker(t)
	}
	a := &agent{
		node: node{name: name, dir: filepath.Join(c.dir, name), ip: nextIP(), httpPort: 6450,
			secure: o.joinToken != "", token: o.joinToken},
		network: fmt.Sprintf("berth-it-%d-%s", os.Getpid()%100000, name),
		runtime: runtime,
		extra:   o.extra,
	}
	if o.network != "" {
		a.network = o.network
	}
	for _, n := range c.nodes {
		a.servers = append(a.servers, n.addr())
		a.join = append(a.join, n.gossipAddr())
	}
	a.argv = a.clientArgs
	a.start(t)
	t.Cleanup(func() {
		a.kill(t)
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(c.dir, a.name+".log"))
			if len(b) > 12000 {
				b = b[len(b)-12000:]
			}
			t.Logf("---- agent %s log (tail) ----\n%s", a.name, b)
		}
		// Only this cluster's pods: other test processes may share the engine.
		for _, ns := range c.namespaces {
			removeDockerObjects(t, "label=io.berth.pod.namespace="+ns, "")
		}
		removeDockerObjects(t, "", a.network)
	})
	if !o.noWait {
		c.waitNodeReady(t, name, 60*time.Second)
	}
	return a
}

func (a *agent) clientArgs() []string {
	// --join as well as --servers: the client is a gossip member, so the servers see
	// its process die within seconds (node lifecycle), as in a real deployment.
	return append([]string{"client", "--name", a.name, "--data-dir", a.dir, "--bind", a.ip,
		"--client-port", "6450", "--servers", strings.Join(a.servers, ","),
		"--join", strings.Join(a.join, ","),
		"--pod-network", a.network, "--runtime", a.runtime,
		// No service proxy nor network policies unless a test asks
		// (agentOptions.extra): their iptables rules are host-wide and outlive a
		// killed agent.
		"--proxy=false", "--network-policy=false", a.tlsFlag()}, a.extra...)
}

// waitNodeReady waits until the Node exists with condition Ready=True.
func (c *cluster) waitNodeReady(t *testing.T, name string, timeout time.Duration) {
	t.Helper()
	nodeRes := mustResource("Node")
	waitFor(t, timeout, "node "+name+" Ready", func() error {
		obj, err := c.anyClient(t).Get(context.Background(), nodeRes, "", name, api.GetOptions{})
		if err != nil {
			return err
		}
		for _, cond := range obj.(*api.Node).Status.Conditions {
			if cond.Type == "Ready" && cond.Status == "True" {
				return nil
			}
		}
		return fmt.Errorf("node %s not Ready: %+v", name, obj.(*api.Node).Status.Conditions)
	})
}

// anyClient is a retrying client of some running server.
func (c *cluster) anyClient(t testing.TB) *api.Client {
	for _, n := range c.nodes {
		if n.running() {
			return n.client(t, api.WithRetry(10*time.Second))
		}
	}
	t.Fatal("no server is running")
	return nil
}

// testNamespace creates a namespace of its own for a test; its pods' containers are
// removed when the test ends, whatever state the agent is in.
func testNamespace(t *testing.T, c *cluster) string {
	t.Helper()
	ns := fmt.Sprintf("it-%d", rand.IntN(1<<30))
	nsObj := &api.Namespace{}
	nsObj.APIVersion, nsObj.Kind, nsObj.Name = "v1", "Namespace", ns
	if _, err := c.anyClient(t).Create(context.Background(), nsObj); err != nil {
		t.Fatal(err)
	}
	// The agents' cleanups (which run after the test's, once the agent is stopped)
	// remove the namespace's containers; a test without an agent made none.
	c.namespaces = append(c.namespaces, ns)
	runNamespacesMu.Lock()
	runNamespaces = append(runNamespaces, ns)
	runNamespacesMu.Unlock()
	return ns
}

// runNamespaces are every test namespace this process made: TestMain sweeps their
// containers once more at the end, for one an agent was still creating when its test's
// cleanup ran.
var (
	runNamespacesMu sync.Mutex
	runNamespaces   []string
)

// sweepTestContainers removes what is left of this run's test namespaces.
func sweepTestContainers() {
	if _, err := exec.LookPath("docker"); err != nil {
		return
	}
	runNamespacesMu.Lock()
	defer runNamespacesMu.Unlock()
	for _, ns := range runNamespaces {
		removeDockerObjects(nil, "label=io.berth.pod.namespace="+ns, "")
	}
}

// removeDockerObjects force-removes the containers and volumes matching filter (if
// any), then the network (if named). It uses the docker CLI so it works whatever
// Berth's state.
func removeDockerObjects(t testing.TB, filter, network string) {
	docker := func(args ...string) string {
		out, _ := exec.Command("docker", args...).Output()
		return strings.TrimSpace(string(out))
	}
	if filter != "" {
		if ids := docker("ps", "-aq", "--filter", filter); ids != "" {
			docker(append([]string{"rm", "-f", "-v"}, strings.Fields(ids)...)...)
		}
		if vols := docker("volume", "ls", "-q", "--filter", filter); vols != "" {
			docker(append([]string{"volume", "rm", "-f"}, strings.Fields(vols)...)...)
		}
	}
	if network == "" {
		return
	}
	// A container the agent was still creating when it was killed may have escaped
	// the filter; whatever is left on the network goes with it, or the network (and
	// its subnet) would outlive the test and clash with a later cluster's.
	for attempt := 0; attempt < 5; attempt++ {
		if ids := docker("network", "inspect", "-f", "{{range $id, $c := .Containers}}{{$id}} {{end}}", network); ids != "" {
			docker(append([]string{"rm", "-f", "-v"}, strings.Fields(ids)...)...)
		}
		if err := exec.Command("docker", "network", "rm", network).Run(); err == nil ||
			docker("network", "ls", "-q", "--filter", "name=^"+network+"$") == "" {
			return
		}
		time.Sleep(200 * time.Millisecond) // dockerd finishing a container's teardown
	}
	if t != nil {
		t.Logf("docker network %s could not be removed", network)
	}
}

// podPhase waits until the pod reports the phase and returns it.
func waitPod(t *testing.T, c *cluster, ns, name string, timeout time.Duration, cond func(*api.Pod) error) *api.Pod {
	t.Helper()
	podRes := mustResource("Pod")
	var pod *api.Pod
	waitFor(t, timeout, fmt.Sprintf("pod %s/%s", ns, name), func() error {
		obj, err := c.anyClient(t).Get(context.Background(), podRes, ns, name, api.GetOptions{})
		if err != nil {
			return err
		}
		pod = obj.(*api.Pod)
		return cond(pod)
	})
	return pod
}

// running is a waitPod condition: phase Running and every container running.
func running(p *api.Pod) error {
	if p.Status.Phase != "Running" {
		return fmt.Errorf("phase %q, statuses %+v", p.Status.Phase, p.Status.ContainerStatuses)
	}
	for _, cs := range p.Status.ContainerStatuses {
		if cs.State.Running == nil {
			return fmt.Errorf("container %s not running: %+v", cs.Name, cs.State)
		}
	}
	return nil
}

// applyYAML applies a manifest with the CLI through n.
func applyYAML(t *testing.T, n *node, ns, manifest string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "m.yaml")
	if err := os.WriteFile(f, []byte(manifest), 0o600); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, n, "apply", "-n", ns, "-f", f)
}

// tlsFlag is --insecure-dev, or the client join token of a secure agent.
func (a *agent) tlsFlag() string {
	if a.secure {
		return "--join-token=" + a.token
	}
	return "--insecure-dev"
}
