package integration

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/berth-dev/berth/gossip"
	"github.com/berth-dev/berth/pki"
)

// TestTLSCluster forms a 3-server, 2-client cluster with join tokens only, checks
// that every way in without the right credentials is refused and that no listener
// speaks plaintext, and that certificates rotate without a restart.
func TestTLSCluster(t *testing.T) {
	c := newSecureCluster(t, 3, "--cert-lifetime", "40s")
	seed := c.nodes[0]
	clientTok := createJoinToken(t, seed, "client")
	agents := []*agent{
		c.startAgentWith(t, "c1", "fake", agentOptions{joinToken: clientTok}),
		c.startAgentWith(t, "c2", "fake", agentOptions{joinToken: clientTok}),
	}
	fp, _, err := pki.ParseJoinToken(clientTok)
	if err != nil {
		t.Fatal(err)
	}
	join := func(tok, role string) error {
		_, _, err := pki.Joiner{Addr: seed.hostPort(), Token: tok, Role: role, Name: "intruder",
			Hosts: []string{"127.0.0.1"}, Timeout: 5 * time.Second}.Join(context.Background())
		return err
	}

	t.Run("refused joins", func(t *testing.T) {
		revoked := createJoinToken(t, seed, "client")
		admin := newUserCLI(t)
		admin.must("--addr", seed.addr(), "--ca", seed.ca, "--token", seed.token, "token", "revoke", revoked)

		other := &cluster{t: t, dir: t.TempDir()}
		t.Cleanup(other.stopAll)
		otherSeed := startSeedServer(t, other, "x1", []string{"--cluster-cidr", nextClusterCIDR()})
		foreign := createJoinToken(t, otherSeed, "client")

		tests := []struct {
			name, token, role string
			want              func(error) bool
		}{
			{"wrong secret", pki.FormatJoinToken(fp, "nosuch.secret"), "client", httpCode(401)},
			{"token of another CA", foreign, "client", func(err error) bool { return errors.Is(err, pki.ErrCAMismatch) }},
			{"revoked token", revoked, "client", httpCode(401)},
			{"client token for a server certificate", clientTok, "server", httpCode(403)},
			{"malformed token", "BERTH-1-zz", "client", func(err error) bool { return errors.Is(err, pki.ErrBadJoinToken) }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := join(tt.token, tt.role)
				if err == nil || !tt.want(err) {
					t.Fatalf("join = %v, want a refusal", err)
				}
			})
		}
		if err := join(clientTok, "client"); err != nil {
			t.Fatalf("a good client token was refused: %v", err)
		}
	})

	t.Run("client certificate as a server", func(t *testing.T) {
		id, err := pki.LoadIdentity(filepath.Join(agents[0].dir, "tls"))
		if err != nil {
			t.Fatal(err)
		}
		if id.Role() != pki.RoleClient {
			t.Fatalf("agent certificate role %q", id.Role())
		}
		// Renewal cannot turn it into a server certificate.
		csr, _, _ := pki.NewCSR(id.Name(), nil)
		body, _ := json.Marshal(pki.RenewRequest{Role: pki.RoleServer, CSR: string(csr)})
		hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: id.ClientTLS(pki.RoleServer)}}
		resp, err := hc.Post(seed.addr()+pki.RenewPath, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("renew as a server with a client certificate: %d, want 403", resp.StatusCode)
		}
		// The Raft port takes server certificates only.
		if !raftSpeaksTLS(t, seed) {
			t.Skip("the Raft port does not speak TLS yet (T2's stream layer)")
		}
		if err := tlsExchange(seed.raftAddr(), id.ClientTLS("")); err == nil {
			t.Fatal("the Raft port accepted a client certificate")
		}
	})

	t.Run("no plaintext", func(t *testing.T) {
		ports := map[string]string{"api": seed.hostPort(), "client endpoint": agents[0].clientAddr()}
		if raftSpeaksTLS(t, seed) {
			ports["raft"] = seed.raftAddr()
		}
		for name, addr := range ports {
			t.Run(name, func(t *testing.T) {
				if plaintextAnswered(addr) {
					t.Fatalf("%s (%s) answered a plaintext request", name, addr)
				}
			})
		}
		t.Run("gossip", func(t *testing.T) {
			// A member without the cluster's gossip key speaks plaintext memberlist:
			// the servers must not let it join. The control: the same probe joins an
			// --insecure-dev server.
			insecure := newCluster(t, 1)
			if n, err := plaintextGossipJoin(t, insecure.nodes[0].gossipAddr()); err != nil || n == 0 {
				t.Fatalf("control: the probe could not join an --insecure-dev server: %d, %v", n, err)
			}
			if n, err := plaintextGossipJoin(t, seed.gossipAddr()); err == nil || n > 0 {
				t.Fatalf("a plaintext gossip member joined %d members (err %v)", n, err)
			}
		})
	})

	t.Run("rotation without restart", func(t *testing.T) {
		first := servedSerial(t, seed.hostPort())
		clientID, err := pki.LoadIdentity(filepath.Join(agents[1].dir, "tls"))
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, 60*time.Second, "the API certificate to rotate", func() error {
			if servedSerial(t, seed.hostPort()) == first {
				return errors.New("same serial")
			}
			return nil
		})
		waitFor(t, 60*time.Second, "the agent's certificate to rotate", func() error {
			id, err := pki.LoadIdentity(filepath.Join(agents[1].dir, "tls"))
			if err != nil {
				return err
			}
			if id.Certificate().SerialNumber.Cmp(clientID.Certificate().SerialNumber) == 0 {
				return errors.New("same serial")
			}
			return nil
		})
		for _, a := range agents {
			if !a.running() {
				t.Fatalf("agent %s stopped", a.name)
			}
		}
		for _, a := range agents {
			c.waitNodeReady(t, a.name, 30*time.Second) // still heartbeating with the new certificate
		}
	})
}

func httpCode(code int) func(error) bool {
	return func(err error) bool {
		var je *pki.JoinError
		return errors.As(err, &je) && je.Code == code
	}
}

func (n *node) raftAddr() string { return net.JoinHostPort(n.ip, strconv.Itoa(n.raftPort)) }

func (a *agent) clientAddr() string { return net.JoinHostPort(a.ip, "6450") }

// raftSpeaksTLS reports whether n's Raft port completes a handshake with a server
// certificate of the cluster CA (made here from the CA key in its data dir).
func raftSpeaksTLS(t *testing.T, n *node) bool {
	t.Helper()
	id := serverIdentity(t, n)
	return tlsExchange(n.raftAddr(), id.ClientTLS(pki.RoleServer)) == nil
}

// serverIdentity mints a server certificate from the CA key in n's data dir.
func serverIdentity(t *testing.T, n *node) *pki.LiveIdentity {
	t.Helper()
	ca, err := pki.ParseCA(readFile(t, filepath.Join(n.dir, "tls", pki.CAFile)), readFile(t, filepath.Join(n.dir, "tls", "ca-key.pem")))
	if err != nil {
		t.Fatal(err)
	}
	id, err := ca.NewIdentity(pki.RoleServer, "probe", []string{"127.0.0.1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// tlsExchange handshakes with addr and waits briefly for the peer to close: a peer
// that refuses the certificate after the handshake (TLS 1.3) closes at once.
func tlsExchange(addr string, cfg *tls.Config) error {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 3 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	_, err = conn.Read(make([]byte, 1))
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return nil // still open: accepted
	}
	if err == nil {
		return nil
	}
	return err
}

// plaintextAnswered sends a plain HTTP request and reports whether a valid HTTP
// answer came back.
func plaintextAnswered(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(3 * time.Second))
	io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	b := make([]byte, 64)
	n, _ := io.ReadAtLeast(conn, b, 12)
	ans := string(b[:n])
	// Go's TLS server answers a plaintext request with "HTTP/1.0 400 Bad Request"
	// ("client sent an HTTP request to an HTTPS server"): not a valid answer.
	return len(ans) >= 12 && ans[:5] == "HTTP/" && ans[9:12] != "400"
}

// servedSerial is the serial number of the certificate the API at addr serves.
func servedSerial(t *testing.T, addr string) string {
	t.Helper()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 3 * time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// plaintextGossipJoin starts a gossip member without a key and joins addr with it.
func plaintextGossipJoin(t *testing.T, addr string) (int, error) {
	t.Helper()
	cfg := gossip.DefaultConfig()
	cfg.Name, cfg.BindAddr, cfg.BindPort = "plaintext-probe", nextIP(), 0
	cfg.Meta = gossip.Meta{Role: gossip.RoleClient, ID: "plaintext-probe"}
	g, err := gossip.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Shutdown()
	return g.Join([]string{addr})
}
