package proxy

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/server/servertest"
)

// recorder is an Executor that keeps what it was asked to apply.
type recorder struct {
	mu       sync.Mutex
	payloads []string
	bridges  []netip.Prefix
	at       []time.Time
}

func (r *recorder) Save(context.Context) ([]byte, error) { return nil, nil }

func (r *recorder) Restore(_ context.Context, p []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.payloads = append(r.payloads, string(p))
	r.at = append(r.at, time.Now())
	return nil
}

func (r *recorder) PrepareBridges(p netip.Prefix) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bridges = append(r.bridges, p)
	return nil
}

// waitPayload waits until the last payload satisfies ok and returns when it
// was applied.
func (r *recorder) waitPayload(t *testing.T, timeout time.Duration, what string, ok func(string) bool) time.Time {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r.mu.Lock()
		n := len(r.payloads)
		var last string
		var at time.Time
		if n > 0 {
			last, at = r.payloads[n-1], r.at[n-1]
		}
		r.mu.Unlock()
		if n > 0 && ok(last) {
			return at
		}
		if time.Now().After(deadline) {
			t.Fatalf("no payload with %s within %v; last:\n%s", what, timeout, last)
		}
		time.Sleep(10 * time.Millisecond)
	}
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

	rec.waitPayload(t, 5*time.Second, "both endpoints", func(s string) bool {
		return strings.Contains(s, "--to-destination 10.244.1.5:8080") && strings.Contains(s, "--to-destination 10.244.2.7:8080")
	})

	created.Subsets[0].NotReadyAddresses = addrs("10.244.2.7")
	created.Subsets[0].Addresses = addrs("10.244.1.5")
	start := time.Now()
	if _, err := ts.Client.Update(context.Background(), created); err != nil {
		t.Fatal(err)
	}
	at := rec.waitPayload(t, 5*time.Second, "one endpoint", func(s string) bool {
		return strings.Contains(s, "10.244.1.5:8080") && !strings.Contains(s, "10.244.2.7:8080")
	})
	if d := at.Sub(start); d > time.Second {
		t.Errorf("endpoint change applied after %v, want within 1s", d)
	}

	if _, err := ts.Client.Delete(context.Background(), mustRes(t, "Service"), "default", "web", api.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	rec.waitPayload(t, 5*time.Second, "no service", func(s string) bool { return !strings.Contains(s, "--to-destination") })
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if got := p.Syncs(); got != int64(len(rec.payloads)) {
		t.Errorf("Syncs = %d, %d payloads applied", got, len(rec.payloads))
	}
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
