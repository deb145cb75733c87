package integration

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// node is one berth server process and the ports it keeps across restarts.
type node struct {
	name                         string
	dir                          string
	ip                           string // a loopback address of its own
	httpPort, raftPort, gossPort int
	join                         []string
	expect                       int
	extra                        []string // more flags
	// argv, when set, replaces the server's command line (agents use it).
	argv func() []string
	// secure runs it with TLS (tls_harness_test.go): no --insecure-dev, an https
	// address, and api clients that trust ca (a PEM file) and send token.
	secure    bool
	ca, token string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	log  *os.File
}

func (n *node) addr() string {
	scheme := "http://"
	if n.secure {
		scheme = "https://"
	}
	return scheme + net.JoinHostPort(n.ip, strconv.Itoa(n.httpPort))
}

func (n *node) gossipAddr() string { return net.JoinHostPort(n.ip, strconv.Itoa(n.gossPort)) }

func (n *node) args() []string {
	a := []string{"server", "--name", n.name, "--data-dir", n.dir, "--bind", n.ip,
		"--http-port", strconv.Itoa(n.httpPort), "--raft-port", strconv.Itoa(n.raftPort),
		"--gossip-port", strconv.Itoa(n.gossPort), "--bootstrap-expect", strconv.Itoa(n.expect)}
	for _, j := range n.join {
		a = append(a, "--join", j)
	}
	if !n.secure {
		a = append(a, "--insecure-dev")
	}
	return append(a, n.extra...)
}

// start launches the process; its output goes to a log file the test prints on failure.
func (n *node) start(t testing.TB) {
	t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd != nil {
		t.Fatalf("%s is already running", n.name)
	}
	f, err := os.OpenFile(filepath.Join(filepath.Dir(n.dir), n.name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	args := n.args()
	if n.argv != nil {
		args = n.argv()
	}
	cmd := exec.Command(berthBin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	// A test binary killed before its cleanups run (Ctrl-C, a closed pipe) must not
	// leave servers and agents running to skew the next run: they die with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", n.name, err)
	}
	n.cmd, n.log, n.done = cmd, f, make(chan struct{})
	go func(done chan struct{}) { cmd.Wait(); close(done) }(n.done)
}

// kill sends SIGKILL and waits for the process to be gone.
func (n *node) kill(t testing.TB) { n.stop(t, syscall.SIGKILL) }

// term sends SIGTERM (a graceful stop) and waits.
func (n *node) term(t testing.TB) { n.stop(t, syscall.SIGTERM) }

func (n *node) stop(t testing.TB, sig syscall.Signal) {
	t.Helper()
	n.mu.Lock()
	cmd, done, f := n.cmd, n.done, n.log
	n.cmd = nil
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Errorf("%s did not stop within 15s of %v", n.name, sig)
	}
	f.Close()
}

func (n *node) running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cmd != nil
}

// client returns an API client for this node without retries, so tests see every
// answer as it is.
func (n *node) client(t testing.TB, opts ...api.ClientOption) *api.Client {
	t.Helper()
	c, err := api.NewClient(n.addr(), append(append([]api.ClientOption{api.WithRetry(0)}, n.secureOpts(t)...), opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// cluster is a set of servers on loopback.
type cluster struct {
	t     testing.TB
	dir   string
	nodes []*node
	// namespaces made by testNamespace, whose containers the agents' cleanups remove.
	namespaces []string
}

// newCluster starts n servers that bootstrap together with --bootstrap-expect n and
// waits until they agree on a leader.
func newCluster(t testing.TB, n int, extra ...string) *cluster {
	t.Helper()
	c := &cluster{t: t, dir: t.TempDir()}
	// A cluster CIDR of its own, so pod networks of this cluster never overlap a
	// network another test (or a crashed run) left on the engine.
	extra = append([]string{"--cluster-cidr", nextClusterCIDR()}, extra...)
	for i := 0; i < n; i++ {
		nd := &node{
			name: fmt.Sprintf("s%d", i+1), dir: filepath.Join(c.dir, fmt.Sprintf("s%d", i+1)), ip: nextIP(),
			httpPort: 6440, raftPort: 6441, gossPort: 6442, expect: n, extra: extra,
		}
		c.nodes = append(c.nodes, nd)
	}
	for i, nd := range c.nodes {
		if i > 0 {
			nd.join = []string{c.nodes[0].gossipAddr()}
		}
	}
	for _, nd := range c.nodes {
		nd.start(t)
	}
	t.Cleanup(c.stopAll)
	c.waitLeader(15 * time.Second)
	return c
}

func (c *cluster) stopAll() {
	for _, n := range c.nodes {
		n.kill(c.t)
	}
	if c.t.Failed() {
		for _, n := range c.nodes {
			b, _ := os.ReadFile(filepath.Join(c.dir, n.name+".log"))
			if len(b) > 8000 {
				b = b[len(b)-8000:]
			}
			c.t.Logf("---- %s log (tail) ----\n%s", n.name, b)
		}
	}
}

// status asks one server for its view.
func status(ctx context.Context, n *node) (*api.ServerStatus, error) {
	c, err := api.NewClient(n.addr(), append(n.secureOpts(nil), api.WithTimeout(time.Second))...)
	if err != nil {
		return nil, err
	}
	return c.ServerStatus(ctx)
}

// waitLeader waits until every running server names the same leader, and returns it.
func (c *cluster) waitLeader(timeout time.Duration) *node {
	c.t.Helper()
	var leader *node
	waitFor(c.t, timeout, "all running servers to agree on a leader", func() error {
		ids := map[string]bool{}
		for _, n := range c.nodes {
			if !n.running() {
				continue
			}
			st, err := status(context.Background(), n)
			if err != nil {
				return err
			}
			if st.LeaderID == "" {
				return fmt.Errorf("%s knows no leader", n.name)
			}
			ids[st.LeaderID] = true
		}
		if len(ids) != 1 {
			return fmt.Errorf("servers name different leaders: %v", ids)
		}
		for id := range ids {
			leader = c.byName(id)
		}
		if leader == nil || !leader.running() {
			return errors.New("the named leader is not running")
		}
		return nil
	})
	return leader
}

func (c *cluster) byName(name string) *node {
	for _, n := range c.nodes {
		if n.name == name {
			return n
		}
	}
	return nil
}

// followers lists the running servers other than leader.
func (c *cluster) followers(leader *node) []*node {
	var out []*node
	for _, n := range c.nodes {
		if n != leader && n.running() {
			out = append(out, n)
		}
	}
	return out
}

// waitFor polls cond until it returns nil or the deadline passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for {
		if err = cond(); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s: %v", timeout, what, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// nextIP hands every server its own loopback address (all of 127.0.0.0/8 reaches lo on
// Linux), so servers keep Berth's default ports and nothing can take them between
// tests: the default ports lie below the kernel's ephemeral range.
func nextIP() string {
	ipMu.Lock()
	defer ipMu.Unlock()
	ipNext++
	return fmt.Sprintf("127.%d.%d.%d", 100+os.Getpid()%100, ipNext/250, 1+ipNext%250)
}

var (
	ipMu   sync.Mutex
	ipNext int
	cidrs  int
)

// nextClusterCIDR hands each cluster its own /16 of 10.0.0.0/8, one that no Docker
// network on the engine overlaps (a network another test run left behind would make
// its nodes' pod networks fail with "Pool overlaps").
func nextClusterCIDR() string {
	taken := dockerSubnets()
	ipMu.Lock()
	defer ipMu.Unlock()
	for range 150 {
		cidrs++
		p := netip.MustParsePrefix(fmt.Sprintf("10.%d.0.0/16", 100+(os.Getpid()+cidrs*7)%150))
		if !slices.ContainsFunc(taken, p.Overlaps) {
			return p.String()
		}
	}
	panic("integration: every 10.100-249.0.0/16 overlaps a Docker network; remove stale ones")
}

// dockerSubnets lists the subnets of the engine's networks (none without Docker).
func dockerSubnets() []netip.Prefix {
	ids, err := exec.Command("docker", "network", "ls", "-q").Output()
	if err != nil || len(strings.TrimSpace(string(ids))) == 0 {
		return nil
	}
	args := append([]string{"network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}} {{end}}"}, strings.Fields(string(ids))...)
	out, err := exec.Command("docker", args...).Output()
	if err != nil {
		return nil
	}
	var subnets []netip.Prefix
	for _, f := range strings.Fields(string(out)) {
		if p, err := netip.ParsePrefix(f); err == nil {
			subnets = append(subnets, p)
		}
	}
	return subnets
}
