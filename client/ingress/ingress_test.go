package ingress

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// waitFor polls cond until it returns nil or the deadline passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %v", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tlsSecret makes a kubernetes.io/tls Secret with a fresh self-signed certificate
// for hosts, whose common name is cn.
func tlsSecret(t *testing.T, name, cn string, hosts ...string) *api.Secret {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		DNSNames:     hosts,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &api.Secret{
		TypeMeta:   api.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Type:       api.SecretTypeTLS,
		Data: map[string][]byte{
			"tls.crt": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			"tls.key": pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
		},
	}
}

// startIngress runs an Ingress on loopback ports over the fake API until the test ends.
func startIngress(t *testing.T, f *fakeAPI) *Ingress {
	t.Helper()
	ig, err := New(Config{HTTPAddr: "127.0.0.1:0", HTTPSAddr: "127.0.0.1:0", Logger: quiet}, f.client(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ig.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	waitFor(t, 10*time.Second, "the ingress to list everything", func() error {
		if !ig.Synced() {
			return errors.New("not synced")
		}
		return nil
	})
	return ig
}

// over sends GET https://host/path to the ingress (SNI host), or plain HTTP when
// scheme is "http", and returns the status, the backend's name and the name on the
// certificate the server showed.
func over(t *testing.T, ig *Ingress, scheme, host, path string) (int, string, string) {
	t.Helper()
	addr := ig.HTTPAddr()
	if scheme == "https" {
		addr = ig.HTTPSAddr()
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{ServerName: host, InsecureSkipVerify: true}}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodGet, scheme+"://"+addr+path, nil)
	req.Host = host
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s%s: %v", scheme, host, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	cn := ""
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		cn = resp.TLS.PeerCertificates[0].Subject.CommonName
	}
	var e echoReply
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatalf("body %q: %v", b, err)
		}
		if proto := e.Headers.Get("X-Forwarded-Proto"); proto != scheme {
			t.Errorf("X-Forwarded-Proto = %q over %s", proto, scheme)
		}
	}
	return resp.StatusCode, e.Name, cn
}

// The done criterion of the issue, in process: two hosts and two paths to two
// services, TLS terminated with each Secret's certificate by SNI, a self-signed one
// for other names; a changed Secret is served without a restart; a watch that is
// too old lists again.
func TestIngressServesTwoHostsWithTLS(t *testing.T) {
	a, b := newBackend(t, "a"), newBackend(t, "b")
	f := newFakeAPI(t)
	ing := mustIngress(t, 0, `
metadata: {name: web}
spec:
  tls:
  - {hosts: [a.example.com], secretName: a-tls}
  - {secretName: b-tls}
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: app-a, port: {number: 80}}}}
      - {path: /b, pathType: Prefix, backend: {service: {name: app-b, port: {number: 80}}}}
  - host: "*.b.example.com"
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: app-b, port: {number: 80}}}}
      - {path: /a, pathType: Exact, backend: {service: {name: app-a, port: {number: 80}}}}
`)
	f.set(ing, tlsSecret(t, "a-tls", "cert-a", "a.example.com"), tlsSecret(t, "b-tls", "cert-b", "*.b.example.com"))
	f.set(serviceFor(t, "app-a", a.URL)...)
	f.set(serviceFor(t, "app-b", b.URL)...)
	ig := startIngress(t, f)

	tests := []struct {
		name, scheme, host, path string
		code                     int
		backend, cert            string
	}{
		{"host a", "http", "a.example.com", "/", 200, "a", ""},
		{"host a, path b", "http", "a.example.com", "/b/c", 200, "b", ""},
		{"wildcard host", "http", "x.b.example.com", "/", 200, "b", ""},
		{"wildcard host, exact path", "http", "x.b.example.com", "/a", 200, "a", ""},
		{"unknown host", "http", "c.example.com", "/", 404, "", ""},
		{"TLS host a", "https", "a.example.com", "/", 200, "a", "cert-a"},
		{"TLS wildcard from the certificate's names", "https", "y.b.example.com", "/", 200, "b", "cert-b"},
		{"TLS other name: default certificate", "https", "c.example.com", "/", 404, "", DefaultCertificateName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, backend, cert := over(t, ig, tt.scheme, tt.host, tt.path)
			if code != tt.code || backend != tt.backend || cert != tt.cert {
				t.Errorf("got %d from %q with certificate %q; want %d from %q with %q", code, backend, cert, tt.code, tt.backend, tt.cert)
			}
		})
	}

	t.Run("secret change reloads the certificate", func(t *testing.T) {
		f.set(tlsSecret(t, "a-tls", "cert-a-renewed", "a.example.com"))
		waitFor(t, 10*time.Second, "the renewed certificate", func() error {
			if _, _, cert := over(t, ig, "https", "a.example.com", "/"); cert != "cert-a-renewed" {
				return fmt.Errorf("certificate %q", cert)
			}
			return nil
		})
	})

	t.Run("a watch too old lists again", func(t *testing.T) {
		before := f.listCount("services")
		f.refuseWatches("services", 1)
		waitFor(t, 10*time.Second, "a re-list of services", func() error {
			if n := f.listCount("services"); n <= before {
				return fmt.Errorf("%d lists", n)
			}
			return nil
		})
		f.remove(service("app-b"))
		waitFor(t, 10*time.Second, "app-b gone", func() error {
			if code, _, _ := over(t, ig, "http", "x.b.example.com", "/"); code != http.StatusServiceUnavailable {
				return fmt.Errorf("status %d", code)
			}
			return nil
		})
		f.set(serviceFor(t, "app-b", b.URL)[0])
		waitFor(t, 10*time.Second, "app-b back", func() error {
			if code, backend, _ := over(t, ig, "http", "x.b.example.com", "/"); code != 200 || backend != "b" {
				return fmt.Errorf("status %d from %q", code, backend)
			}
			return nil
		})
	})
}

func TestNewErrors(t *testing.T) {
	f := newFakeAPI(t)
	busy, err := New(Config{HTTPAddr: "127.0.0.1:0", Logger: quiet}, f.client(t))
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		name string
		cfg  Config
		src  Source
		want error
		has  string
	}{
		{"no listener", Config{}, f.client(t), ErrConfig, "neither an HTTP nor an HTTPS address"},
		{"bad address", Config{HTTPSAddr: "localhost"}, f.client(t), ErrConfig, `HTTPS address "localhost" is not host:port`},
		{"no source", Config{HTTPAddr: "127.0.0.1:0"}, nil, ErrConfig, "no Source"},
		{"port in use", Config{HTTPAddr: busy.HTTPAddr()}, f.client(t), ErrListen, "address already in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ig, err := New(tt.cfg, tt.src)
			if err == nil {
				ig.Close()
				t.Fatal("no error")
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.has) {
				t.Errorf("error %v, want %v containing %q", err, tt.want, tt.has)
			}
		})
	}
}
