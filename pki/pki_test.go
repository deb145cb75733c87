package pki

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func mustCA(t *testing.T) *CA {
	t.Helper()
	ca, err := NewCA("test-ca")
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func mustIdentity(t *testing.T, ca *CA, role, name string) *LiveIdentity {
	t.Helper()
	id, err := ca.NewIdentity(role, name, []string{"127.0.0.1", "localhost"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestJoinToken(t *testing.T) {
	ca := mustCA(t)
	tok := FormatJoinToken(ca.Fingerprint(), NewSecret())
	fp, secret, err := ParseJoinToken(tok)
	if err != nil || fp != ca.Fingerprint() || secret == "" {
		t.Fatalf("ParseJoinToken(%q) = %q, %q, %v", tok, fp, secret, err)
	}
	if err := VerifyCA(ca.CertPEM, fp); err != nil {
		t.Fatalf("VerifyCA of the pinned CA: %v", err)
	}
	if err := VerifyCA(mustCA(t).CertPEM, fp); !errors.Is(err, ErrCAMismatch) {
		t.Fatalf("VerifyCA of another CA = %v, want ErrCAMismatch", err)
	}
	for _, bad := range []string{"", "BERTH-1-", "BERTH-2-" + ca.Fingerprint() + "-x", "BERTH-1-abc-x",
		"BERTH-1-" + ca.Fingerprint(), "BERTH-1-" + strings.Repeat("z", 64) + "-x"} {
		t.Run(bad, func(t *testing.T) {
			if _, _, err := ParseJoinToken(bad); !errors.Is(err, ErrBadJoinToken) {
				t.Fatalf("ParseJoinToken(%q) = %v, want ErrBadJoinToken", bad, err)
			}
		})
	}
}

func TestSignCSRRoleAndHosts(t *testing.T) {
	ca := mustCA(t)
	csr, key, err := NewCSR("ignored", []string{"10.0.0.1", "node1.example"})
	if err != nil {
		t.Fatal(err)
	}
	certPEM, err := ca.SignCSR(csr, RoleClient, "node1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	id, err := NewIdentity(certPEM, key, ca.CertPEM)
	if err != nil {
		t.Fatal(err)
	}
	c := id.Certificate()
	if id.Role() != RoleClient || id.Name() != "node1" || len(c.IPAddresses) != 1 || len(c.DNSNames) != 1 {
		t.Fatalf("role %q name %q ips %v dns %v", id.Role(), id.Name(), c.IPAddresses, c.DNSNames)
	}
	if _, err := ca.SignCSR([]byte("junk"), RoleClient, "x", 0); err == nil {
		t.Fatal("SignCSR(junk) succeeded")
	}
	if _, err := ca.SignCSR(csr, "admin", "x", 0); !errors.Is(err, ErrBadRole) {
		t.Fatalf("SignCSR with role admin = %v", err)
	}
}

func TestParseCA(t *testing.T) {
	ca := mustCA(t)
	if _, err := ParseCA(ca.CertPEM, ca.KeyPEM); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseCA(ca.CertPEM, mustCA(t).KeyPEM); err == nil {
		t.Fatal("ParseCA with another CA's key succeeded")
	}
	leaf, key, _ := ca.Issue(RoleServer, "s1", nil, 0)
	if _, err := ParseCA(leaf, key); err == nil {
		t.Fatal("ParseCA of a leaf certificate succeeded")
	}
}

// handshake runs one TLS handshake between a listener and a dialer and returns the
// dialer's error (or the server's, when the client's succeeds).
func handshake(t *testing.T, srv, cli *tls.Config) error {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", srv)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	srvErr := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			srvErr <- err
			return
		}
		defer c.Close()
		err = c.(*tls.Conn).Handshake()
		if err == nil {
			_, err = c.Write([]byte("ok"))
		}
		srvErr <- err
	}()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", ln.Addr().String(), cli)
	if err != nil {
		<-srvErr
		return err
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, rerr := io.ReadFull(c, make([]byte, 2))
	if err := <-srvErr; err != nil {
		return err
	}
	return rerr
}

func TestMutualTLSRoles(t *testing.T) {
	ca := mustCA(t)
	s1 := mustIdentity(t, ca, RoleServer, "s1")
	s2 := mustIdentity(t, ca, RoleServer, "s2")
	c1 := mustIdentity(t, ca, RoleClient, "c1")
	other := mustIdentity(t, mustCA(t), RoleServer, "evil")
	trust, err := TrustTLS(ca.CertPEM)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		srv  *tls.Config
		cli  *tls.Config
		ok   bool
	}{
		{"server to server", s1.ServerTLS(RoleServer), s2.ClientTLS(RoleServer), true},
		{"client cert as a server peer", s1.ServerTLS(RoleServer), c1.ClientTLS(RoleServer), false},
		{"no client cert where required", s1.ServerTLS(RoleServer), trust, false},
		{"no client cert on the API", s1.ServerTLS(), trust, true},
		{"other CA's cert on the API", s1.ServerTLS(), other.ClientTLS(""), false},
		{"dialer wants a server, finds a client", c1.ServerTLS(RoleServer), s1.ClientTLS(RoleServer), false},
		{"server dials a client endpoint", c1.ServerTLS(RoleServer), s1.ClientTLS(RoleClient), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := handshake(t, tt.srv, tt.cli)
			if (err == nil) != tt.ok {
				t.Fatalf("handshake error %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestUpdateRotatesInPlace(t *testing.T) {
	ca := mustCA(t)
	id := mustIdentity(t, ca, RoleServer, "s1")
	srv := id.ServerTLS()
	before := id.Certificate().SerialNumber
	cert, key, err := ca.Issue(RoleServer, "s1", []string{"127.0.0.1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := id.Update(cert, key); err != nil {
		t.Fatal(err)
	}
	got, _ := srv.GetCertificate(nil)
	if got.Leaf.SerialNumber.Cmp(before) == 0 {
		t.Fatal("the config built before Update still serves the old certificate")
	}
	cert, key, _ = ca.Issue(RoleClient, "s1", nil, time.Hour)
	if err := id.Update(cert, key); err == nil {
		t.Fatal("Update to another role succeeded")
	}
	cert, key, _ = mustCA(t).Issue(RoleServer, "s1", nil, time.Hour)
	if err := id.Update(cert, key); err == nil {
		t.Fatal("Update to another CA's certificate succeeded")
	}
	dir := t.TempDir()
	if err := id.Save(dir); err != nil {
		t.Fatal(err)
	}
	back, err := LoadIdentity(dir)
	if err != nil || back.Certificate().SerialNumber.Cmp(id.Certificate().SerialNumber) != 0 {
		t.Fatalf("LoadIdentity after Save: %v", err)
	}
}
