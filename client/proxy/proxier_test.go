package proxy

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/iptables/iptablestest"
	"github.com/berth-dev/berth/server/servertest"
)

// recorder is an Executor that keeps what it was asked to apply, and the
// bridges it was asked to prepare.
type recorder struct {
	iptablestest.Recorder
	mu      sync.Mutex
	bridges []netip.Prefix
}

func (r *recorder) PrepareBridges(p netip.Prefix) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bridges = append(r.bridges, p)
	return nil
}

func mustCreate(t *testing.T, c *api.Client, obj api.Object) api.Object {
	t.Helper()
	out, err := c.Create(context.Background(), obj)
	if err != nil {
		t.Fatalf("create %T: %v", obj, err)
	}
	return out
}

// TestProxierFollowsEndpoints runs a Proxier against a real server with a
// recording executor: the rules appear once Services and Endpoints are
// listed, follow an endpoint change well within a second, and go with the
// Service.
func TestProxierFollowsEndpoints(t *testing.T) {
	ts := servertest.Start(t, nil)
	rec := &recorder{}
	cfg := DefaultConfig()
	cfg.API, cfg.Executor, cfg.ClusterCIDR = ts.Client, rec, testCIDR
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})

	svc := service("default", "web", "ClusterIP", "10.96.5.5", api.ServicePort{Name: "http", Port: 80, TargetPort: api.FromInt(8080)})
	svc.APIVersion, svc.Kind = "v1", "Service"
	mustCreate(t, ts.Client, svc)
	eps := endpoints("default", "web", api.EndpointSubset{
		Addresses: addrs("10.244.1.5", "10.244.2.7"), Ports: []api.EndpointPort{{Name: "http", Port: 8080}}})
	eps.APIVersion, eps.Kind = "v1", "Endpoints"
	created := mustCreate(t, ts.Client, eps).(*api.Endpoints)

	rec.WaitPayload(t, 5*time.Second, "both endpoints", func(s string) bool {
		return strings.Contains(s, "--to-destination 10.244.1.5:8080") && strings.Contains(s, "--to-destination 10.244.2.7:8080")
	})

	created.Subsets[0].NotReadyAddresses = addrs("10.244.2.7")
	created.Subsets[0].Addresses = addrs("10.244.1.5")
	start := time.Now()
	if _, err := ts.Client.Update(context.Background(), created); err != nil {
		t.Fatal(err)
	}
	at := rec.WaitPayload(t, 5*time.Second, "one endpoint", func(s string) bool {
		return strings.Contains(s, "10.244.1.5:8080") && !strings.Contains(s, "10.244.2.7:8080")
	})
	if d := at.Sub(start); d > time.Second {
		t.Errorf("endpoint change applied after %v, want within 1s", d)
	}

	if _, err := ts.Client.Delete(context.Background(), mustRes(t, "Service"), "default", "web", api.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	rec.WaitPayload(t, 5*time.Second, "no service", func(s string) bool { return !strings.Contains(s, "--to-destination") })
	if got, n := p.Syncs(), len(rec.Payloads()); got != int64(n) {
		t.Errorf("Syncs = %d, %d payloads applied", got, n)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.bridges) == 0 || rec.bridges[0] != testCIDR {
		t.Errorf("PrepareBridges calls %v, want the cluster CIDR", rec.bridges)
	}
}

func TestConfigValidate(t *testing.T) {
	ts := &api.Client{}
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"defaults with an API", func(*Config) {}, ""},
		{"no API", func(c *Config) { c.API = nil }, "API is required"},
		{"long prefix", func(c *Config) { c.Prefix = "BERTHX" }, "chain prefix"},
		{"lower-case prefix", func(c *Config) { c.Prefix = "bx" }, "chain prefix"},
		{"IPv6 cluster", func(c *Config) { c.ClusterCIDR = netip.MustParsePrefix("fd00::/64") }, "not IPv4"},
		{"zero interval", func(c *Config) { c.MinSyncInterval = 0 }, "MinSyncInterval must be positive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			c.API = ts
			tc.mutate(&c)
			err := c.Validate()
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("Validate = %v, want %q", err, tc.want)
			}
		})
	}
}

func mustRes(t *testing.T, kind string) *api.Resource {
	t.Helper()
	res, ok := api.ResourceForKind(kind)
	if !ok {
		t.Fatalf("no resource %s", kind)
	}
	return res
}
