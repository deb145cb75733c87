package client

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/runtime/fake"
)

func TestIngressConfigValidate(t *testing.T) {
	ok := DefaultConfig()
	ok.Name, ok.Servers = "n1", []string{"http://127.0.0.1:6440"}
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{"both ports", func(c *Config) { c.IngressHTTPPort, c.IngressHTTPSPort = 8080, 8443 }, ""},
		{"bind", func(c *Config) { c.IngressHTTPPort, c.IngressBindAddr = 80, "0.0.0.0" }, ""},
		{"http port range", func(c *Config) { c.IngressHTTPPort = 65536 }, "--ingress-http-port 65536 is out of range"},
		{"https port range", func(c *Config) { c.IngressHTTPSPort = -1 }, "--ingress-https-port -1 is out of range"},
		{"bad bind", func(c *Config) { c.IngressBindAddr = "localhost" }, `--ingress-bind "localhost" is not an IP address`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.mutate(&cfg)
			err := cfg.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want one containing %s", err, tt.wantErr)
			}
		})
	}
}

// freePort is a loopback port nothing listens on just now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// An agent given an ingress port serves the cluster's Ingresses through its servers:
// a selector-less Service with hand-made Endpoints on a local HTTP server is reached
// by host.
func TestAgentServesIngress(t *testing.T) {
	base, c := mustStartServer(t)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "backend saw %s%s", r.Host, r.URL.Path)
	}))
	defer backend.Close()
	ip, portStr, _ := net.SplitHostPort(strings.TrimPrefix(backend.URL, "http://"))
	port, _ := strconv.Atoi(portStr)

	cfg := DefaultConfig()
	cfg.Name, cfg.DataDir, cfg.Servers = "ing-node", t.TempDir(), []string{base}
	cfg.ClientPort, cfg.StatusInterval, cfg.Logger = 0, time.Second, discardLogger()
	cfg.IngressHTTPPort = freePort(t)
	a, err := NewWithRuntime(cfg, fake.New(fake.Config{Hostname: cfg.Name}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	svc := &api.Service{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "default"},
		Spec:       api.ServiceSpec{Ports: []api.ServicePort{{Name: "http", Port: 80, TargetPort: api.FromInt(port)}}}}
	ep := &api.Endpoints{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Endpoints"},
		ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "default"},
		Subsets: []api.EndpointSubset{{Addresses: []api.EndpointAddress{{IP: ip}},
			Ports: []api.EndpointPort{{Name: "http", Port: int32(port)}}}}}
	prefix := api.PathTypePrefix
	ing := &api.Ingress{TypeMeta: api.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"},
		ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: api.IngressSpec{Rules: []api.IngressRule{{Host: "web.example.test", IngressRuleValue: api.IngressRuleValue{
			HTTP: &api.HTTPIngressRuleValue{Paths: []api.HTTPIngressPath{{Path: "/", PathType: &prefix,
				Backend: api.IngressBackend{Service: &api.IngressServiceBackend{Name: "web", Port: api.ServiceBackendPort{Number: 80}}}}}}}}}}}
	for _, o := range []api.Object{svc, ep, ing} {
		mustCreate(t, c, o)
	}
	url := "http://127.0.0.1:" + strconv.Itoa(cfg.IngressHTTPPort) + "/hello"
	waitFor(t, 15*time.Second, "the ingress to route web.example.test", func() error {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Host = "web.example.test"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(b) != "backend saw web.example.test/hello" {
			return fmt.Errorf("%d: %s", resp.StatusCode, b)
		}
		return nil
	})
}
