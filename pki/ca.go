package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"time"
)

// Errors of the package.
var (
	// ErrNoPEM means the input holds no PEM block of the wanted type.
	ErrNoPEM = errors.New("pki: no PEM data")
	// ErrCAMismatch means a CA certificate's SHA-256 is not the one a join token pins.
	ErrCAMismatch = errors.New("pki: the cluster's CA does not match the join token")
	// ErrBadRole means a role other than RoleServer, RoleClient or RoleUser.
	ErrBadRole = errors.New("pki: unknown role")
)

// CALifetime is how long a CA made by NewCA is valid: ten years, since replacing a
// cluster's CA means rejoining every node.
const CALifetime = 10 * 365 * 24 * time.Hour

// DefaultCertLifetime is how long an issued certificate lives: thirty days, renewed at
// two thirds of that, so a node can be down for ten days and still renew.
const DefaultCertLifetime = 30 * 24 * time.Hour

// clockSkew backdates NotBefore so a peer whose clock is a little behind accepts a
// certificate issued a moment ago.
const clockSkew = 5 * time.Minute

// CA is a cluster certificate authority: a self-signed ECDSA P-256 certificate and
// its key.
type CA struct {
	Cert    *x509.Certificate
	Key     *ecdsa.PrivateKey
	CertPEM []byte
	KeyPEM  []byte
}

// NewCA makes a new self-signed CA named cn.
func NewCA(cn string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("pki: generating the CA key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          newSerial(),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"Berth"}},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              now.Add(CALifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("pki: signing the CA: %w", err)
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return nil, err
	}
	return ParseCA(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM)
}

// ParseCA reads a CA certificate and its key (an operator's own CA: `--ca-cert`,
// `--ca-key`). The key must be ECDSA (SEC 1 or PKCS #8) and match the certificate.
func ParseCA(certPEM, keyPEM []byte) (*CA, error) {
	cert, err := ParseCertificate(certPEM)
	if err != nil {
		return nil, err
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("pki: certificate %q is not a CA (basicConstraints CA:FALSE)", cert.Subject.CommonName)
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, err
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || !pub.Equal(&key.PublicKey) {
		return nil, errors.New("pki: the CA key does not match the CA certificate")
	}
	return &CA{Cert: cert, Key: key, CertPEM: certPEM, KeyPEM: keyPEM}, nil
}

// Fingerprint is the hex SHA-256 of the CA certificate's DER, what join tokens pin.
func (ca *CA) Fingerprint() string { return fingerprintDER(ca.Cert.Raw) }

// Issue makes a key and a certificate for role and name, valid for lifetime (zero:
// DefaultCertLifetime) and for hosts (IP addresses or DNS names). It is how a server
// with the CA key certifies itself; joiners send a CSR instead (SignCSR).
func (ca *CA) Issue(role, name string, hosts []string, lifetime time.Duration) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: generating a key: %w", err)
	}
	certPEM, err = ca.sign(&key.PublicKey, role, name, hosts, lifetime)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err = encodeKey(key)
	return certPEM, keyPEM, err
}

// NewIdentity issues a certificate and returns it as an Identity (tests, and a
// server certifying itself).
func (ca *CA) NewIdentity(role, name string, hosts []string, lifetime time.Duration) (*LiveIdentity, error) {
	certPEM, keyPEM, err := ca.Issue(role, name, hosts, lifetime)
	if err != nil {
		return nil, err
	}
	return NewIdentity(certPEM, keyPEM, ca.CertPEM)
}

// SignCSR certifies the key of a certificate request for role and name, which the
// signer decides (from the join token or the current certificate), not the request.
// The request's IP and DNS SANs are kept.
func (ca *CA) SignCSR(csrPEM []byte, role, name string, lifetime time.Duration) ([]byte, error) {
	b, _ := pem.Decode(csrPEM)
	if b == nil || b.Type != "CERTIFICATE REQUEST" {
		return nil, fmt.Errorf("%w: want a CERTIFICATE REQUEST", ErrNoPEM)
	}
	csr, err := x509.ParseCertificateRequest(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("pki: certificate request: %w", err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("pki: certificate request signature: %w", err)
	}
	pub, ok := csr.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return nil, errors.New("pki: certificate request key is not ECDSA")
	}
	var hosts []string
	for _, ip := range csr.IPAddresses {
		hosts = append(hosts, ip.String())
	}
	hosts = append(hosts, csr.DNSNames...)
	return ca.sign(pub, role, name, hosts, lifetime)
}

func (ca *CA) sign(pub *ecdsa.PublicKey, role, name string, hosts []string, lifetime time.Duration) ([]byte, error) {
	if !validRole(role) {
		return nil, fmt.Errorf("%w %q", ErrBadRole, role)
	}
	if name == "" {
		return nil, errors.New("pki: a certificate needs a name")
	}
	if lifetime <= 0 {
		lifetime = DefaultCertLifetime
	}
	now := time.Now()
	backdate := min(clockSkew, lifetime/4) // a short-lived certificate is not mostly in the past
	notAfter := now.Add(lifetime)
	if notAfter.After(ca.Cert.NotAfter) {
		notAfter = ca.Cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber: newSerial(),
		Subject:      pkix.Name{CommonName: name, Organization: []string{"Berth"}, OrganizationalUnit: []string{role}},
		NotBefore:    now.Add(-backdate),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		// Servers and clients both listen and dial (the Raft stream, the client's
		// logs/exec endpoint), so every certificate serves both.
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		URIs:        []*url.URL{roleURI(role, name)},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, pub, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("pki: signing a certificate: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

// ParseCertificate reads the first CERTIFICATE block of a PEM.
func ParseCertificate(certPEM []byte) (*x509.Certificate, error) {
	for rest := certPEM; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, fmt.Errorf("%w: want a CERTIFICATE", ErrNoPEM)
		}
		if b.Type == "CERTIFICATE" {
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("pki: certificate: %w", err)
			}
			return c, nil
		}
	}
}

// CAFingerprint is the hex SHA-256 of the DER of the first certificate in caPEM.
func CAFingerprint(caPEM []byte) (string, error) {
	c, err := ParseCertificate(caPEM)
	if err != nil {
		return "", err
	}
	return fingerprintDER(c.Raw), nil
}

func fingerprintDER(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

func newSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic("pki: crypto/rand failed: " + err.Error()) // the system is broken
	}
	return n.Add(n, big.NewInt(1))
}

func encodeKey(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("pki: encoding a key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

func parseKey(keyPEM []byte) (*ecdsa.PrivateKey, error) {
	for rest := keyPEM; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, fmt.Errorf("%w: want an EC PRIVATE KEY or PRIVATE KEY", ErrNoPEM)
		}
		switch b.Type {
		case "EC PRIVATE KEY":
			k, err := x509.ParseECPrivateKey(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("pki: key: %w", err)
			}
			return k, nil
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("pki: key: %w", err)
			}
			ek, ok := k.(*ecdsa.PrivateKey)
			if !ok {
				return nil, errors.New("pki: the key is not ECDSA")
			}
			return ek, nil
		}
	}
}

// RenewAt is when a certificate should be renewed: at two thirds of its life.
func RenewAt(c *x509.Certificate) time.Time {
	return c.NotBefore.Add(c.NotAfter.Sub(c.NotBefore) * 2 / 3)
}
