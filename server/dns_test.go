package server

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/berth-dev/berth/api"
)

// TestServerDNSFollowsStore: a Service and its Endpoints written through the API are
// answered over DNS from the local store, and their deletion is seen too.
func TestServerDNSFollowsStore(t *testing.T) {
	ts := mustStartServer(t, func(c *Config) { c.DNSUpstreams = []string{} })
	addr := ts.s.DNSAddr()
	if addr == "" {
		t.Fatal("no DNS address")
	}
	ctx := context.Background()
	svc := &api.Service{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "db"},
		Spec:       api.ServiceSpec{ClusterIP: api.ClusterIPNone, Ports: []api.ServicePort{{Name: "pg", Port: 5432}}}}
	if _, err := ts.client.Create(ctx, svc); err != nil {
		t.Fatal(err)
	}
	ep := &api.Endpoints{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Endpoints"},
		ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "db"},
		Subsets: []api.EndpointSubset{{
			Addresses: []api.EndpointAddress{{IP: "10.244.0.5", Hostname: "db-0"}},
			Ports:     []api.EndpointPort{{Name: "pg", Port: 5432}},
		}}}
	if _, err := ts.client.Create(ctx, ep); err != nil {
		t.Fatal(err)
	}
	c := &dns.Client{Timeout: time.Second}
	lookup := func(name string, qtype uint16) (*dns.Msg, error) {
		q := new(dns.Msg)
		q.SetQuestion(name, qtype)
		m, _, err := c.Exchange(q, addr)
		return m, err
	}
	waitFor(t, 10*time.Second, "db-0.db.default.svc.cluster.local to resolve", func() error {
		m, err := lookup("db-0.db.default.svc.cluster.local.", dns.TypeA)
		if err != nil {
			return err
		}
		if len(m.Answer) != 1 {
			return fmt.Errorf("%s with %d answers", dns.RcodeToString[m.Rcode], len(m.Answer))
		}
		return nil
	})
	m, err := lookup("_pg._tcp.db.default.svc.cluster.local.", dns.TypeSRV)
	if err != nil || len(m.Answer) != 1 {
		t.Fatalf("SRV: %v %v", m, err)
	}

	res, _ := api.ResourceForKind("Service")
	if _, err := ts.client.Delete(ctx, res, "default", "db", api.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the deleted service to be NXDOMAIN", func() error {
		m, err := lookup("db.default.svc.cluster.local.", dns.TypeA)
		if err != nil {
			return err
		}
		if m.Rcode != dns.RcodeNameError {
			return fmt.Errorf("rcode %s", dns.RcodeToString[m.Rcode])
		}
		return nil
	})
}

// TestDNSConfig: the DNS settings are checked with the rest.
func TestDNSConfig(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		ok   bool
	}{
		{name: "default port", edit: func(*Config) {}, ok: true},
		{name: "off", edit: func(c *Config) { c.DNSPort = -1 }, ok: true},
		{name: "port out of range", edit: func(c *Config) { c.DNSPort = 70000 }},
		{name: "upstream IP", edit: func(c *Config) { c.DNSUpstreams = []string{"10.0.0.2", "10.0.0.3:5353"} }, ok: true},
		{name: "upstream name", edit: func(c *Config) { c.DNSUpstreams = []string{"resolver.example"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			c.Name, c.BootstrapExpect = "s1", 1
			tt.edit(&c)
			if err := c.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
