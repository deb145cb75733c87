package integration

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
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// ingressSetup is a one-server cluster and one Docker client whose ingress listens
// on the client's loopback address, with two demo Deployments (app-a, app-b) behind
// two Services and an Ingress that routes two hosts and two paths to them, TLS from
// one Secret per host.
type ingressSetup struct {
	c                   *cluster
	a                   *agent
	ns                  string
	httpAddr, httpsAddr string
	roots               *x509.CertPool // trusts the two Secrets' certificates
}

const ingressManifests = `
apiVersion: v1
kind: Service
metadata: {name: app-a}
spec:
  selector: {app: app-a}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: app-b}
spec:
  selector: {app: app-b}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  tls:
  - {hosts: [a.example.test], secretName: a-tls}
  - {hosts: [b.example.test], secretName: b-tls}
  rules:
  - host: a.example.test
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: app-a, port: {number: 80}}}}
      - {path: /other, pathType: Prefix, backend: {service: {name: app-b, port: {name: http}}}}
  - host: b.example.test
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: app-b, port: {name: http}}}}
      - {path: /other, pathType: Exact, backend: {service: {name: app-a, port: {number: 80}}}}
`

func setupIngress(t *testing.T) *ingressSetup {
	t.Helper()
	buildDemoImage(t)
	c := newCluster(t, 1)
	a := c.startAgent(t, "node-a", "docker")
	s := &ingressSetup{c: c, a: a, roots: x509.NewCertPool()}
	// The harness starts clients without an ingress: restart this one with its ports.
	httpPort, httpsPort := freePort(t, a.ip), freePort(t, a.ip)
	a.term(t)
	a.argv = func() []string {
		return append(a.clientArgs(), "--ingress-http-port", strconv.Itoa(httpPort), "--ingress-https-port", strconv.Itoa(httpsPort))
	}
	a.start(t)
	s.httpAddr = net.JoinHostPort(a.ip, strconv.Itoa(httpPort))
	s.httpsAddr = net.JoinHostPort(a.ip, strconv.Itoa(httpsPort))

	s.ns = testNamespace(t, c)
	for _, host := range []string{"a", "b"} {
		sec, cert := tlsSecret(t, s.ns, host+"-tls", host+".example.test")
		if _, err := c.anyClient(t).Create(context.Background(), sec); err != nil {
			t.Fatal(err)
		}
		s.roots.AddCert(cert)
	}
	applyYAML(t, c.nodes[0], s.ns, deploymentYAML("app-a", 1, demoImage, "", "")+"---\n"+
		deploymentYAML("app-b", 1, demoImage, "", "")+"---\n"+ingressManifests)
	waitReadyPods(t, c, s.ns, "app=app-a", 1, 90*time.Second)
	waitReadyPods(t, c, s.ns, "app=app-b", 1, 90*time.Second)
	waitFor(t, 30*time.Second, "the ingress to route to both services", func() error {
		for _, host := range []string{"a.example.test", "b.example.test"} {
			r, err := s.get("http", host, "/", nil)
			if err != nil {
				return err
			}
			if want := "app-" + host[:1] + "-"; r.code != 200 || !strings.HasPrefix(r.Hostname, want) {
				return fmt.Errorf("%s: %d from %q: %s", host, r.code, r.Hostname, r.body)
			}
		}
		return nil
	})
	return s
}

// freePort is a port nothing listens on at ip just now.
func freePort(t *testing.T, ip string) int {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// tlsSecret makes a kubernetes.io/tls Secret with a fresh self-signed certificate
// for host, and returns the certificate to trust.
func tlsSecret(t *testing.T, ns, name, host string) (*api.Secret, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: host},
		DNSNames:              []string{host},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &api.Secret{
		TypeMeta:   api.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: ns},
		Type:       api.SecretTypeTLS,
		Data: map[string][]byte{
			"tls.crt": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			"tls.key": pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
		},
	}, cert
}

// ingressReply is the demo's answer to GET / as the ingress passed it on.
type ingressReply struct {
	code     int
	body     string
	Hostname string      `json:"hostname"`
	Host     string      `json:"host"`
	Path     string      `json:"path"`
	Headers  http.Header `json:"headers"`
	cert     *x509.Certificate
}

// get sends one request through the ingress: Host header and, over https, SNI set
// to host, the server's certificate verified against the Secrets' certificates.
func (s *ingressSetup) get(scheme, host, path string, hdr http.Header) (*ingressReply, error) {
	addr := s.httpAddr
	if scheme == "https" {
		addr = s.httpsAddr
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{ServerName: host, RootCAs: s.roots}}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodGet, scheme+"://"+addr+path, nil)
	if err != nil {
		return nil, err
	}
	req.Host = host
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := &ingressReply{code: resp.StatusCode, body: string(b)}
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(b, r); err != nil {
			return nil, fmt.Errorf("reply %q: %w", b, err)
		}
	}
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		r.cert = resp.TLS.PeerCertificates[0]
	}
	return r, nil
}

// TestIngressOnDocker: the ingress of a Docker client routes two hosts and two paths
// to two services' pods over HTTP and HTTPS, terminating TLS with each host's Secret
// (verified, by SNI), with X-Forwarded-* headers; `get` and `describe` show it; a
// service scaled to zero answers 503.
func TestIngressOnDocker(t *testing.T) {
	s := setupIngress(t)
	tests := []struct {
		scheme, host, path string
		code               int
		backend            string // pod name prefix
	}{
		{"http", "a.example.test", "/", 200, "app-a-"},
		{"http", "a.example.test", "/other/page", 200, "app-b-"},
		{"http", "b.example.test", "/", 200, "app-b-"},
		{"http", "b.example.test", "/other", 200, "app-a-"},
		{"http", "b.example.test", "/other/page", 200, "app-b-"}, // Exact does not match deeper
		{"https", "a.example.test", "/x", 200, "app-a-"},
		{"https", "b.example.test", "/other", 200, "app-a-"},
		{"http", "c.example.test", "/", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.scheme+"://"+tt.host+tt.path, func(t *testing.T) {
			xff := http.Header{"X-Forwarded-For": {"203.0.113.9"}}
			r, err := s.get(tt.scheme, tt.host, tt.path, xff)
			if err != nil {
				t.Fatal(err)
			}
			if r.code != tt.code || !strings.HasPrefix(r.Hostname, tt.backend) {
				t.Fatalf("%d from %q, want %d from %s*: %s", r.code, r.Hostname, tt.code, tt.backend, r.body)
			}
			if tt.scheme == "https" && (r.cert == nil || r.cert.Subject.CommonName != tt.host) {
				t.Errorf("certificate %v, want the Secret's for %s", r.cert, tt.host)
			}
			if r.code != 200 {
				return
			}
			if r.Host != tt.host || r.Path != tt.path {
				t.Errorf("backend saw Host %q path %q", r.Host, r.Path)
			}
			h := r.Headers
			if xf := h.Get("X-Forwarded-For"); !strings.HasPrefix(xf, "203.0.113.9, ") || strings.Count(xf, ",") != 1 {
				t.Errorf("X-Forwarded-For = %q, want the client appended", xf)
			}
			if h.Get("X-Forwarded-Proto") != tt.scheme || h.Get("X-Forwarded-Host") != tt.host {
				t.Errorf("X-Forwarded-Proto %q, X-Forwarded-Host %q", h.Get("X-Forwarded-Proto"), h.Get("X-Forwarded-Host"))
			}
		})
	}

	t.Run("get and describe", func(t *testing.T) {
		out := mustCLI(t, s.c.nodes[0], "get", "ingress", "-n", s.ns)
		if !strings.Contains(out, "a.example.test,b.example.test") || !strings.Contains(out, "80, 443") {
			t.Errorf("get ingress:\n%s", out)
		}
		podA := waitReadyPods(t, s.c, s.ns, "app=app-a", 1, 10*time.Second)[0]
		out = mustCLI(t, s.c.nodes[0], "describe", "ing", "web", "-n", s.ns)
		for _, want := range []string{"a-tls terminates a.example.test", "/other (Exact)", "app-a:80 (" + podA.Status.PodIP + ":8080)"} {
			if !strings.Contains(out, want) {
				t.Errorf("describe lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("no endpoints: 503", func(t *testing.T) {
		mustCLI(t, s.c.nodes[0], "scale", "deployment/app-b", "--replicas", "0", "-n", s.ns)
		waitFor(t, 60*time.Second, "503 for app-b", func() error {
			r, err := s.get("http", "b.example.test", "/", nil)
			if err != nil {
				return err
			}
			if r.code != http.StatusServiceUnavailable || !strings.Contains(r.body, "has no ready endpoints") {
				return fmt.Errorf("%d: %s", r.code, r.body)
			}
			return nil
		})
		if r, err := s.get("http", "a.example.test", "/", nil); err != nil || r.code != 200 {
			t.Errorf("app-a after app-b went: %v %+v", err, r)
		}
	})
}
