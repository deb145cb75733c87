package endpoint

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/pki"
)

// mustTLSEndpoint serves the endpoint over TLS with a client identity of a fresh CA
// and returns its address and the CA.
func mustTLSEndpoint(t *testing.T) (string, *pki.CA) {
	t.Helper()
	ca, err := pki.NewCA("test-ca")
	if err != nil {
		t.Fatal(err)
	}
	agent, err := ca.NewIdentity(pki.RoleClient, "node-1", []string{"127.0.0.1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: New(&fakeBackend{lines: []string{"hello"}}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(TLSListener(ln, agent))
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), ca
}

func TestTLSEndpointOnlyServersMayCall(t *testing.T) {
	addr, ca := mustTLSEndpoint(t)
	other, err := pki.NewCA("other-ca")
	if err != nil {
		t.Fatal(err)
	}
	identity := func(ca *pki.CA, role string) pki.Identity {
		id, err := ca.NewIdentity(role, role+"-x", []string{"127.0.0.1"}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	get := func(scheme string, cfg *tls.Config) (string, error) {
		tr := &http.Transport{TLSClientConfig: cfg}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get(scheme + "://" + addr + "/v1/pods/default/web/log")
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("status %d: %s", resp.StatusCode, b)
		}
		return string(b), nil
	}
	withID := func(id pki.Identity) *tls.Config { return DialTLS(id) }
	tests := []struct {
		name   string
		scheme string
		cfg    *tls.Config
		ok     bool
	}{
		{"a server of the cluster", "https", withID(identity(ca, pki.RoleServer)), true},
		{"plaintext", "http", nil, false},
		{"another node", "https", withID(identity(ca, pki.RoleClient)), false},
		{"a user", "https", withID(identity(ca, pki.RoleUser)), false},
		{"a server of another cluster", "https", withID(identity(other, pki.RoleServer)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := get(tt.scheme, tt.cfg)
			if tt.ok {
				if err != nil || !strings.Contains(body, "hello") {
					t.Fatalf("got %q, %v; want the log", body, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("the endpoint served %q to a caller that is not a server of the cluster", body)
			}
		})
	}
}
