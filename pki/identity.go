package pki

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/google/renameio/v2"
)

// The files an identity is kept in, inside its directory (<data-dir>/tls), each
// written with mode 0600.
const (
	CertFile = "cert.pem"
	KeyFile  = "key.pem"
	CAFile   = "ca.pem"
)

// LiveIdentity is an Identity whose certificate can be replaced while it is in use
// (Update): the TLS configurations it returns read the current one at each handshake.
// It is safe for concurrent use.
type LiveIdentity struct {
	cur   atomic.Pointer[tls.Certificate] // Leaf is set
	pems  atomic.Pointer[[2][]byte]       // the current certificate and key, PEM
	caPEM []byte
	pool  *x509.CertPool
	role  string
	name  string
}

var _ Identity = (*LiveIdentity)(nil)

// NewIdentity makes an identity from a certificate, its key and the cluster CA that
// signed it; the role and name are read from the certificate.
func NewIdentity(certPEM, keyPEM, caPEM []byte) (*LiveIdentity, error) {
	ca, err := ParseCertificate(caPEM)
	if err != nil {
		return nil, fmt.Errorf("pki: CA: %w", err)
	}
	id := &LiveIdentity{caPEM: caPEM, pool: x509.NewCertPool()}
	id.pool.AddCert(ca)
	if err := id.Update(certPEM, keyPEM); err != nil {
		return nil, err
	}
	return id, nil
}

// LoadIdentity reads the identity kept in dir (CertFile, KeyFile, CAFile).
func LoadIdentity(dir string) (*LiveIdentity, error) {
	var b [3][]byte
	for i, f := range []string{CertFile, KeyFile, CAFile} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return nil, fmt.Errorf("pki: %w", err)
		}
		b[i] = data
	}
	return NewIdentity(b[0], b[1], b[2])
}

// Update replaces the certificate and key, which must be signed by the identity's CA
// and carry the same role and name. Handshakes from now on use them.
func (id *LiveIdentity) Update(certPEM, keyPEM []byte) error {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return fmt.Errorf("pki: certificate and key: %w", err)
	}
	leaf := pair.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return fmt.Errorf("pki: certificate: %w", err)
		}
		pair.Leaf = leaf
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: id.pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return fmt.Errorf("pki: the certificate is not signed by the cluster CA: %w", err)
	}
	role, name, ok := RoleOf(leaf)
	if !ok {
		return fmt.Errorf("pki: certificate %q carries no Berth role", leaf.Subject.CommonName)
	}
	if id.role != "" && (role != id.role || name != id.name) {
		return fmt.Errorf("pki: the new certificate is for %s %q, not %s %q", role, name, id.role, id.name)
	}
	if id.role == "" { // set once, by NewIdentity: readers never race a write
		id.role, id.name = role, name
	}
	id.pems.Store(&[2][]byte{certPEM, keyPEM})
	id.cur.Store(&pair)
	return nil
}

// Save writes the certificate, key and CA to dir (made if missing), mode 0600.
func (id *LiveIdentity) Save(dir string) error {
	p := id.pems.Load()
	return WriteFiles(dir, p[0], p[1], id.caPEM)
}

// WriteFiles writes a certificate, key and CA to dir (made if missing), each mode
// 0600 and replaced whole (a reader never sees half a file).
func WriteFiles(dir string, certPEM, keyPEM, caPEM []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	for f, data := range map[string][]byte{CertFile: certPEM, KeyFile: keyPEM, CAFile: caPEM} {
		if err := writeFile(filepath.Join(dir, f), data); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, data []byte) error {
	if err := renameio.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	return nil
}

// Name is the name in the certificate (its CN).
func (id *LiveIdentity) Name() string { return id.name }

// Role is the role in the certificate.
func (id *LiveIdentity) Role() string { return id.role }

// Certificate is the current certificate (its NotAfter says when to renew).
func (id *LiveIdentity) Certificate() *x509.Certificate { return id.cur.Load().Leaf }

// CAPEM is the cluster CA certificate.
func (id *LiveIdentity) CAPEM() []byte { return id.caPEM }

// CAPool holds the cluster CA, for verifying peers.
func (id *LiveIdentity) CAPool() *x509.CertPool { return id.pool }

// ServerTLS is for listeners: see Identity.
func (id *LiveIdentity) ServerTLS(requireClientRoles ...string) *tls.Config {
	cfg := &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return id.cur.Load(), nil },
		ClientCAs:      id.pool,
		ClientAuth:     tls.VerifyClientCertIfGiven,
	}
	if len(requireClientRoles) > 0 {
		roles := append([]string(nil), requireClientRoles...)
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("pki: a client certificate is required")
			}
			return checkRole(cs.PeerCertificates[0], roles)
		}
	}
	return cfg
}

// ClientTLS is for dialers: see Identity. The peer is verified against the cluster
// CA and, when wantRole is set, its role; its host name is not checked (peers are
// dialed by address, and only the cluster CA can issue a role).
func (id *LiveIdentity) ClientTLS(wantRole string) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return id.cur.Load(), nil
		},
		InsecureSkipVerify: true, // replaced by VerifyConnection below
		VerifyConnection:   verifyPeer(id.pool, wantRole),
	}
}

// verifyPeer returns a VerifyConnection function for a dialer that trusts only
// pool (host names are not checked) and, when wantRole is set, that role.
func verifyPeer(pool *x509.CertPool, wantRole string) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("pki: the peer presented no certificate")
		}
		opts := x509.VerifyOptions{Roots: pool, Intermediates: x509.NewCertPool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
		for _, c := range cs.PeerCertificates[1:] {
			opts.Intermediates.AddCert(c)
		}
		if _, err := cs.PeerCertificates[0].Verify(opts); err != nil {
			return fmt.Errorf("pki: the peer's certificate is not from the cluster CA: %w", err)
		}
		if wantRole != "" {
			return checkRole(cs.PeerCertificates[0], []string{wantRole})
		}
		return nil
	}
}

// TrustTLS is a client configuration that trusts the CA in caPEM and presents no
// certificate (the CLI, a joiner before it has a certificate). Host names are not
// checked: the CA is the cluster's own and servers are often reached by address.
func TrustTLS(caPEM []byte) (*tls.Config, error) {
	ca, err := ParseCertificate(caPEM)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: true, VerifyConnection: verifyPeer(pool, "")}, nil
}
