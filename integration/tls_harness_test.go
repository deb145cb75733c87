package integration

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/pki"
)

// The secure harness: a cluster formed only with join tokens. The first server
// makes the CA (--bootstrap-expect 1); the harness reads its admin token, mints a
// server join token with it and starts the others with --join-token; agents join
// with a client join token.

// secureOpts are the api options of a secure node: trust its CA, send its token.
func (n *node) secureOpts(t testing.TB) []api.ClientOption {
	if !n.secure || n.ca == "" {
		return nil
	}
	pem, err := os.ReadFile(n.ca)
	if err != nil {
		if t != nil {
			t.Fatal(err)
		}
		return nil
	}
	cfg, err := pki.TrustTLS(pem)
	if err != nil {
		if t != nil {
			t.Fatal(err)
		}
		return nil
	}
	return []api.ClientOption{api.WithTLSConfig(cfg), api.WithToken(n.token)}
}

// hostPort is the node's API address without a scheme.
func (n *node) hostPort() string { return net.JoinHostPort(n.ip, strconv.Itoa(n.httpPort)) }

// newSecureCluster starts n servers with TLS, the first making the CA, the others
// joining with a server join token; extra flags go to every server.
func newSecureCluster(t testing.TB, n int, extra ...string) *cluster {
	t.Helper()
	c := &cluster{t: t, dir: t.TempDir()}
	t.Cleanup(c.stopAll)
	extra = append([]string{"--cluster-cidr", nextClusterCIDR()}, extra...)
	seed := startSeedServer(t, c, "s1", extra)
	if n > 1 {
		tok := createJoinToken(t, seed, api.JoinRoleServer)
		for i := 2; i <= n; i++ {
			name := fmt.Sprintf("s%d", i)
			nd := &node{name: name, dir: filepath.Join(c.dir, name), ip: nextIP(), httpPort: 6440, raftPort: 6441, gossPort: 6442,
				join: []string{seed.gossipAddr()}, secure: true, ca: seed.ca, token: seed.token,
				extra: append([]string{"--join-token", tok, "--join-api", seed.hostPort()}, extra...)}
			c.nodes = append(c.nodes, nd)
			nd.start(t)
		}
	}
	c.waitLeader(30 * time.Second)
	waitFor(t, 30*time.Second, fmt.Sprintf("%d Raft voters", n), func() error {
		peers, err := seed.client(t).RaftPeers(context.Background())
		if err != nil {
			return err
		}
		if len(peers) != n {
			return fmt.Errorf("%d peers", len(peers))
		}
		return nil
	})
	return c
}

// startSeedServer starts a server that makes a new CA and waits for its admin token.
func startSeedServer(t testing.TB, c *cluster, name string, extra []string) *node {
	t.Helper()
	nd := &node{name: name, dir: filepath.Join(c.dir, name), ip: nextIP(), httpPort: 6440, raftPort: 6441, gossPort: 6442,
		expect: 1, secure: true, extra: extra}
	nd.ca = filepath.Join(nd.dir, "tls", pki.CAFile)
	c.nodes = append(c.nodes, nd)
	nd.start(t)
	waitFor(t, 30*time.Second, name+"'s admin token", func() error {
		b, err := os.ReadFile(filepath.Join(nd.dir, "admin.token"))
		if err != nil {
			return err
		}
		if nd.token = strings.TrimSpace(string(b)); nd.token == "" {
			return errors.New("empty admin token")
		}
		return nil
	})
	return nd
}

// createJoinToken mints a join token for role through n's API.
func createJoinToken(t testing.TB, n *node, role string) string {
	t.Helper()
	tok := &api.Token{TypeMeta: api.TypeMeta{APIVersion: api.AuthGroup + "/v1", Kind: "Token"},
		Spec: api.TokenSpec{User: "system:join:" + role, Join: role}}
	var out api.Object
	waitFor(t, 15*time.Second, "a "+role+" join token", func() error {
		var err error
		out, err = n.client(t).Create(context.Background(), tok)
		return err
	})
	s := out.(*api.Token).Status.Token
	if !strings.HasPrefix(s, pki.JoinTokenPrefix) {
		t.Fatalf("join token %q does not start with %s", s, pki.JoinTokenPrefix)
	}
	return s
}
