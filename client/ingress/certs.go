package ingress

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"time"

	"github.com/berth-dev/berth/api"
)

// certs picks the certificate of a TLS handshake by its SNI name. Immutable.
type certs struct {
	exact    map[string]*tls.Certificate
	wildcard map[string]*tls.Certificate // "*.example.com" by "example.com"
	def      *tls.Certificate
}

// get is tls.Config.GetCertificate: the exact name, then a one-label wildcard,
// then the default (self-signed) certificate.
func (c *certs) get(hello *tls.ClientHelloInfo) *tls.Certificate {
	name := normalizeHost(hello.ServerName)
	if crt := c.exact[name]; crt != nil {
		return crt
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		if crt := c.wildcard[name[i+1:]]; crt != nil {
			return crt
		}
	}
	return c.def
}

// certCache keeps the parsed key pairs of Secrets by namespace/name, reparsed only
// when a Secret's resourceVersion changes. One goroutine (the builder's) uses it.
type certCache struct {
	log    *slog.Logger
	def    *tls.Certificate
	parsed map[string]parsedCert
}

type parsedCert struct {
	rv   string
	cert *tls.Certificate // nil when the Secret is not a usable key pair
}

func newCertCache(log *slog.Logger, def *tls.Certificate) *certCache {
	return &certCache{log: log, def: def, parsed: map[string]parsedCert{}}
}

// build maps the hosts of every Ingress's spec.tls to its Secret's certificate,
// oldest Ingress first so its claim of a host wins. An entry without hosts covers
// the names the certificate itself lists.
func (cc *certCache) build(s *snapshot, oldestFirst []*api.Ingress) *certs {
	c := &certs{exact: map[string]*tls.Certificate{}, wildcard: map[string]*tls.Certificate{}, def: cc.def}
	used := map[string]bool{}
	for _, ing := range oldestFirst {
		for _, t := range ing.Spec.TLS {
			if t.SecretName == "" {
				continue
			}
			key := ing.Namespace + "/" + t.SecretName
			used[key] = true
			crt := cc.load(key, s.secrets[key])
			if crt == nil {
				continue
			}
			hosts := t.Hosts
			if len(hosts) == 0 && crt.Leaf != nil {
				hosts = crt.Leaf.DNSNames
			}
			for _, h := range hosts {
				c.add(strings.ToLower(h), crt)
			}
		}
	}
	for key := range cc.parsed {
		if !used[key] {
			delete(cc.parsed, key)
		}
	}
	return c
}

func (c *certs) add(host string, crt *tls.Certificate) {
	m, key := c.exact, host
	if strings.HasPrefix(host, "*.") {
		m, key = c.wildcard, host[2:]
	}
	if _, taken := m[key]; !taken {
		m[key] = crt
	}
}

// load parses a Secret's tls.crt and tls.key once per resourceVersion; a missing
// or unusable Secret is logged once and leaves its hosts to the default.
func (cc *certCache) load(key string, sec *api.Secret) *tls.Certificate {
	if sec == nil {
		if _, known := cc.parsed[key]; !known {
			cc.log.Warn("ingress: TLS secret not found; serving the default certificate", "secret", key)
			cc.parsed[key] = parsedCert{}
		}
		return nil
	}
	if p, ok := cc.parsed[key]; ok && p.rv == sec.ResourceVersion && p.rv != "" {
		return p.cert
	}
	crt, err := keyPair(sec)
	if err != nil {
		cc.log.Warn("ingress: unusable TLS secret; serving the default certificate", "secret", key, "err", err)
	}
	cc.parsed[key] = parsedCert{rv: sec.ResourceVersion, cert: crt}
	return crt
}

// keyPair parses a kubernetes.io/tls Secret.
func keyPair(sec *api.Secret) (*tls.Certificate, error) {
	if sec.Type != api.SecretTypeTLS {
		return nil, fmt.Errorf("type is %q, not %q", sec.Type, api.SecretTypeTLS)
	}
	crt, err := tls.X509KeyPair(sec.Data["tls.crt"], sec.Data["tls.key"])
	if err != nil {
		return nil, err
	}
	if crt.Leaf == nil && len(crt.Certificate) > 0 {
		if crt.Leaf, err = x509.ParseCertificate(crt.Certificate[0]); err != nil {
			return nil, err
		}
	}
	return &crt, nil
}

// defaultCertificate is the self-signed certificate for names no Secret covers,
// as ingress-nginx's "Fake Certificate": clients see that TLS works, and that the
// name is not configured.
func defaultCertificate() (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: DefaultCertificateName, Organization: []string{"Berth"}},
		DNSNames:     []string{"ingress.local"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, errors.Join(errors.New("ingress: default certificate"), err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// DefaultCertificateName is the common name of the self-signed certificate.
const DefaultCertificateName = "Berth Ingress Default Certificate"
