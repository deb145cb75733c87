package client

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/runtime/fake"
)

// TestNodeLocalDNS: with --dns the agent answers the cluster's names from its own
// copy, fed by a watch of the API, and follows changes.
func TestNodeLocalDNS(t *testing.T) {
	base, c := mustStartServer(t)
	cfg := DefaultConfig()
	cfg.Name, cfg.DataDir, cfg.Servers = "n1", t.TempDir(), []string{base}
	cfg.ClientPort, cfg.StatusInterval, cfg.Logger = 0, time.Second, discardLogger()
	cfg.DNS, cfg.DNSPort, cfg.DNSUpstreams = true, 0, []string{}
	a, err := NewWithRuntime(cfg, fake.New(fake.Config{Hostname: "n1"}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	waitFor(t, 15*time.Second, "the node-local DNS to listen", func() error {
		if a.DNSAddr() == "" {
			return fmt.Errorf("no address yet")
		}
		return nil
	})

	mustCreate(t, c, &api.Service{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web"},
		Spec:       api.ServiceSpec{ClusterIP: "10.96.0.77", Ports: []api.ServicePort{{Name: "http", Port: 80}}}})
	lookup := func(name string) (*dns.Msg, error) {
		q := new(dns.Msg)
		q.SetQuestion(name, dns.TypeA)
		m, _, err := (&dns.Client{Timeout: time.Second}).Exchange(q, a.DNSAddr())
		return m, err
	}
	waitFor(t, 10*time.Second, "web.default to resolve on the node", func() error {
		m, err := lookup("web.default.svc.cluster.local.")
		if err != nil {
			return err
		}
		if len(m.Answer) != 1 || m.Answer[0].(*dns.A).A.String() != "10.96.0.77" {
			return fmt.Errorf("answer %v", m.Answer)
		}
		return nil
	})
	res, _ := api.ResourceForKind("Service")
	if _, err := c.Delete(context.Background(), res, "default", "web", api.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the deleted service to be NXDOMAIN on the node", func() error {
		m, err := lookup("web.default.svc.cluster.local.")
		if err != nil {
			return err
		}
		if m.Rcode != dns.RcodeNameError {
			return fmt.Errorf("rcode %s", dns.RcodeToString[m.Rcode])
		}
		return nil
	})
}
