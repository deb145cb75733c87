package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// newAuthCluster starts n servers with --auth, like newCluster, and returns them with
// the bootstrap admin token the first leader wrote into its data dir. (newCluster
// itself cannot wait for the leader here: /v1/status wants a token.)
func newAuthCluster(t *testing.T, n int) (*cluster, string) {
	t.Helper()
	c := &cluster{t: t, dir: t.TempDir()}
	extra := []string{"--cluster-cidr", nextClusterCIDR(), "--auth"}
	for i := range n {
		c.nodes = append(c.nodes, &node{
			name: fmt.Sprintf("s%d", i+1), dir: filepath.Join(c.dir, fmt.Sprintf("s%d", i+1)), ip: nextIP(),
			httpPort: 6440, raftPort: 6441, gossPort: 6442, expect: n, extra: extra,
		})
	}
	for _, nd := range c.nodes[1:] {
		nd.join = []string{c.nodes[0].gossipAddr()}
	}
	for _, nd := range c.nodes {
		nd.start(t)
	}
	t.Cleanup(c.stopAll)
	var token, maker string
	waitFor(t, 20*time.Second, "the bootstrap admin token in a data dir", func() error {
		for _, nd := range c.nodes {
			path := filepath.Join(nd.dir, "admin.token")
			b, err := os.ReadFile(path)
			if err != nil || len(bytes.TrimSpace(b)) == 0 {
				continue
			}
			fi, err := os.Stat(path)
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("%s: mode %v, %v; want 0600", path, fi.Mode(), err)
			}
			token, maker = strings.TrimSpace(string(b)), nd.name
			return nil
		}
		return errors.New("no server wrote admin.token yet")
	})
	t.Logf("%s made the bootstrap admin token", maker)
	waitFor(t, 15*time.Second, "every server to know the leader", func() error {
		for _, nd := range c.nodes {
			st, err := nd.client(t, api.WithToken(token), api.WithTimeout(time.Second)).ServerStatus(context.Background())
			if err != nil {
				return err
			}
			if st.LeaderID == "" {
				return fmt.Errorf("%s knows no leader", nd.name)
			}
		}
		return nil
	})
	return c, token
}

// userCLI runs berth as a user with a home (and ~/.berth/config) of their own.
type userCLI struct {
	t    *testing.T
	home string
}

func newUserCLI(t *testing.T) *userCLI { return &userCLI{t: t, home: t.TempDir()} }

func (u *userCLI) run(args ...string) (string, string, int) {
	u.t.Helper()
	cmd := exec.Command(berthBin, args...)
	cmd.Env = append(os.Environ(), "HOME="+u.home, "BERTH_CONFIG=", "BERTH_ADDR=", "BERTH_TOKEN=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		u.t.Fatalf("running berth %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

func (u *userCLI) must(args ...string) string {
	u.t.Helper()
	out, errOut, code := u.run(args...)
	if code != 0 {
		u.t.Fatalf("berth %v: exit %d: %s", args, code, errOut)
	}
	return out
}

// TestAuthRBAC is the "done" through the real CLI on three servers: a user
// bound to edit in namespace a works there, gets 403 naming the permission in b and
// 401 without a token, and `berth auth can-i` agrees with the server. Requests land
// on followers, so forwarding keeps the caller's identity. A node agent with a
// system:nodes token runs a pod; one without a token is refused.
func TestAuthRBAC(t *testing.T) {
	c, adminToken := newAuthCluster(t, 3)
	s1, s2, s3 := c.nodes[0], c.nodes[1], c.nodes[2]
	admin := newUserCLI(t)
	admin.must("login", "--server", s2.addr(), "--token", adminToken, "--context", "it")
	admin.must("create", "namespace", "a")
	admin.must("create", "namespace", "b")
	aliceToken := strings.TrimSpace(admin.must("token", "create", "--user", "alice"))
	nodeToken := strings.TrimSpace(admin.must("token", "create", "--user", "system:node:hollow", "--group", "system:nodes"))
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	admin.must("apply", "-f", write("rb.yaml", `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-edit, namespace: a}
subjects: [{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}]
roleRef: {kind: ClusterRole, name: edit, apiGroup: rbac.authorization.k8s.io}
`))
	pod := write("pod.yaml", `apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{name: web, image: berth/demo:dev, imagePullPolicy: IfNotPresent}]
`)

	// Alice logs in on the third server, which may not have seen her token yet.
	alice := newUserCLI(t)
	alice.must("login", "--server", s3.addr(), "--token", aliceToken)
	canI := func(want string, args ...string) {
		t.Helper()
		out, errOut, code := alice.run(append([]string{"auth", "can-i"}, args...)...)
		if strings.TrimSpace(out) != want || (code == 0) != (want == "yes") {
			t.Errorf("can-i %v = %q (exit %d, %s), want %s", args, out, code, errOut, want)
		}
	}
	canI("yes", "create", "pods", "-n", "a")
	canI("yes", "get", "pods/log", "-n", "a")
	canI("no", "create", "pods", "-n", "b")
	canI("no", "list", "nodes")
	canI("no", "get", "/metrics")
	alice.must("apply", "-f", pod, "-n", "a")
	if out := alice.must("get", "pods", "-n", "a"); !strings.Contains(out, "web") {
		t.Errorf("alice's pods in a:\n%s", out)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"apply", "-f", pod, "-n", "b"}, `User "alice" cannot get resource "pods" in API group "" in the namespace "b"`},
		{[]string{"get", "pods", "-n", "b"}, `pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "b"`},
		{[]string{"get", "nodes"}, `nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope`},
		{[]string{"token", "create", "--user", "mallory", "--group", "system:masters"}, `tokens.auth.berth.io is forbidden: User "alice" cannot create resource "tokens"`},
	} {
		_, errOut, code := alice.run(tt.args...)
		if code == 0 || !strings.Contains(errOut, "(Forbidden)") || !strings.Contains(errOut, tt.want) {
			t.Errorf("alice: berth %v: exit %d, %q; want 403 naming %q", tt.args, code, errOut, tt.want)
		}
	}

	// Without a token, or with a wrong one, every server answers 401.
	nobody := newUserCLI(t)
	wrongSecret := aliceToken[:len(aliceToken)-1] + "0"
	if wrongSecret == aliceToken {
		wrongSecret = aliceToken[:len(aliceToken)-1] + "1"
	}
	for _, n := range c.nodes {
		for _, extra := range [][]string{nil, {"--token", "berth-nosuch.secret"}, {"--token", wrongSecret}} {
			args := append(append([]string{"--addr", n.addr(), "--retry-timeout", "0"}, extra...), "get", "pods", "-n", "a")
			if _, errOut, code := nobody.run(args...); code == 0 || !strings.Contains(errOut, "(Unauthorized)") {
				t.Errorf("%s %v: exit %d, %q; want 401", n.name, extra, code, errOut)
			}
		}
	}

	// A node agent authenticates with its token and runs alice's pod; the same agent
	// without one is refused (its log says 401) and never registers.
	startTokenAgent(t, c, "hollow", "--token", nodeToken)
	waitFor(t, 60*time.Second, "alice's pod Running on the hollow node", func() error {
		out, errOut, code := alice.run("get", "pod", "web", "-n", "a")
		if code != 0 || !strings.Contains(out, "Running") {
			return fmt.Errorf("exit %d: %s%s", code, out, errOut)
		}
		return nil
	})
	alice.must("delete", "pod", "web", "-n", "a")
	waitFor(t, 30*time.Second, "the agent to finish deleting the pod", func() error {
		if _, _, code := alice.run("get", "pod", "web", "-n", "a"); code == 0 {
			return errors.New("still there")
		}
		return nil
	})
	stray := startTokenAgent(t, c, "stray")
	waitFor(t, 20*time.Second, "the tokenless agent to be refused", func() error {
		b, _ := os.ReadFile(filepath.Join(c.dir, stray.name+".log"))
		if !bytes.Contains(b, []byte("Unauthorized")) {
			return errors.New("no 401 in its log yet")
		}
		return nil
	})
	if _, _, code := admin.run("get", "node", "stray"); code == 0 {
		t.Error("a tokenless agent registered its node")
	}

	// Revoking alice's token locks her out of every server.
	admin.must("token", "revoke", aliceToken)
	for _, n := range []*node{s1, s2, s3} {
		waitFor(t, 10*time.Second, "the revoke on "+n.name, func() error {
			_, errOut, code := alice.run("--addr", n.addr(), "--token", aliceToken, "--retry-timeout", "0", "get", "pods", "-n", "a")
			if code == 0 || !strings.Contains(errOut, "(Unauthorized)") {
				return fmt.Errorf("exit %d, %q", code, errOut)
			}
			return nil
		})
	}
}

// startTokenAgent runs `berth client --runtime fake` against every server of c with
// the extra flags, without waiting for its Node: a tokenless one never registers.
func startTokenAgent(t *testing.T, c *cluster, name string, extra ...string) *agent {
	t.Helper()
	return c.startAgentWith(t, name, "fake", agentOptions{extra: extra, noWait: true})
}
