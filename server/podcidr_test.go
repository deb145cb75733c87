package server

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/berth-dev/berth/api"
)

func TestPodCIDRAllocatorReserve(t *testing.T) {
	tests := []struct {
		name     string
		cluster  string
		held     []string
		inFlight []string
		want     string
		wantGot  string // "" means exhausted
	}{
		{name: "first of an empty cluster", cluster: "10.244.0.0/16", wantGot: "10.244.0.0/24"},
		{name: "skips held ranges", cluster: "10.244.0.0/16", held: []string{"10.244.0.0/24", "10.244.2.0/24"}, wantGot: "10.244.1.0/24"},
		{name: "skips in-flight ranges", cluster: "10.244.0.0/16", inFlight: []string{"10.244.0.0/24"}, wantGot: "10.244.1.0/24"},
		{name: "honors a free request", cluster: "10.244.0.0/16", want: "10.244.7.0/24", wantGot: "10.244.7.0/24"},
		{name: "request held by another", cluster: "10.244.0.0/16", held: []string{"10.244.7.0/24"}, want: "10.244.7.0/24", wantGot: "10.244.0.0/24"},
		{name: "request outside the cluster", cluster: "10.244.0.0/16", want: "10.9.0.0/24", wantGot: "10.244.0.0/24"},
		{name: "request of another size", cluster: "10.244.0.0/16", want: "10.244.8.0/23", wantGot: "10.244.0.0/24"},
		{name: "request with host bits", cluster: "10.244.0.0/16", want: "10.244.8.1/24", wantGot: "10.244.0.0/24"},
		{name: "wide held range", cluster: "10.244.0.0/16", held: []string{"10.244.0.0/22"}, wantGot: "10.244.4.0/24"},
		{name: "narrow held range", cluster: "10.244.0.0/16", held: []string{"10.244.0.128/25"}, wantGot: "10.244.1.0/24"},
		{name: "garbage and IPv6 held ranges are ignored", cluster: "10.244.0.0/16", held: []string{"nope", "fd00::/64"}, wantGot: "10.244.0.0/24"},
		{name: "last of the cluster", cluster: "10.244.0.0/23", held: []string{"10.244.0.0/24"}, wantGot: "10.244.1.0/24"},
		{name: "exhausted", cluster: "10.244.0.0/23", held: []string{"10.244.0.0/24"}, inFlight: []string{"10.244.1.0/24"}},
		{name: "crosses an octet", cluster: "10.0.0.0/8", held: heldRange("10.0.", 256), wantGot: "10.1.0.0/24"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newPodCIDRAllocator(netip.MustParsePrefix(tt.cluster))
			for _, c := range tt.inFlight {
				a.inFlight[netip.MustParsePrefix(c)] = true
			}
			got, ok := a.reserve(tt.want, func() []string { return tt.held })
			if tt.wantGot == "" {
				if ok {
					t.Fatalf("reserved %s, want exhaustion", got)
				}
				return
			}
			if !ok || got.String() != tt.wantGot {
				t.Fatalf("reserved %v (ok %v), want %s", got, ok, tt.wantGot)
			}
			if !a.inFlight[got] {
				t.Fatalf("%s is not held in flight", got)
			}
		})
	}
}

// heldRange lists the n /24s prefix+"0.0/24", prefix+"1.0/24", ...
func heldRange(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d.0/24", prefix, i)
	}
	return out
}

func TestPodCIDRAllocatorRelease(t *testing.T) {
	a := newPodCIDRAllocator(netip.MustParsePrefix("10.244.0.0/16"))
	none := func() []string { return nil }
	first, _ := a.reserve("", none)
	second, _ := a.reserve("", none)
	if first == second {
		t.Fatalf("the same range twice while in flight: %s", first)
	}
	a.release(first)
	if again, _ := a.reserve("", none); again != first {
		t.Fatalf("after release got %s, want %s back", again, first)
	}
}

func TestConfigClusterCIDR(t *testing.T) {
	tests := []struct {
		name    string
		cidr    string
		wantErr string
	}{
		{name: "default", cidr: "10.244.0.0/16"},
		{name: "widest", cidr: "10.0.0.0/8"},
		{name: "narrowest", cidr: "10.1.2.0/23"},
		{name: "host bits are masked", cidr: "10.244.3.0/16"},
		{name: "empty", cidr: "", wantErr: "not an IPv4 CIDR"},
		{name: "garbage", cidr: "ten/16", wantErr: "not an IPv4 CIDR"},
		{name: "IPv6", cidr: "fd00::/48", wantErr: "not an IPv4 CIDR"},
		{name: "too narrow", cidr: "10.1.2.0/24", wantErr: "between /8 and /23"},
		{name: "too wide", cidr: "10.0.0.0/7", wantErr: "between /8 and /23"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Name, cfg.BootstrapExpect, cfg.ClusterCIDR = "s1", 1, tt.cidr
			err := cfg.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "--cluster-cidr") {
				t.Fatalf("Validate = %v, want an error naming --cluster-cidr with %q", err, tt.wantErr)
			}
		})
	}
}

func newNode(name, podCIDR string) *api.Node {
	n := &api.Node{}
	n.APIVersion, n.Kind = "v1", "Node"
	n.Name = name
	n.Spec.PodCIDR = podCIDR
	return n
}

func mustCreateNode(t *testing.T, ts *testServer, name, podCIDR string) *api.Node {
	t.Helper()
	got, err := ts.client.Create(context.Background(), newNode(name, podCIDR))
	if err != nil {
		t.Fatalf("create node %s: %v", name, err)
	}
	return got.(*api.Node)
}

// TestNodePodCIDRLifecycle: assigned at create, kept on update, refused to change,
// reused after the node is deleted, and a clear error once the range is used up.
func TestNodePodCIDRLifecycle(t *testing.T) {
	ts := mustStartServer(t, func(c *Config) { c.ClusterCIDR = "10.250.0.0/23" })
	ctx := context.Background()
	n1 := mustCreateNode(t, ts, "n1", "")
	if n1.Spec.PodCIDR != "10.250.0.0/24" || len(n1.Spec.PodCIDRs) != 1 || n1.Spec.PodCIDRs[0] != n1.Spec.PodCIDR {
		t.Fatalf("n1 spec = %+v, want 10.250.0.0/24", n1.Spec)
	}
	// A second node asking for the first one's range gets the next.
	if n2 := mustCreateNode(t, ts, "n2", "10.250.0.0/24"); n2.Spec.PodCIDR != "10.250.1.0/24" {
		t.Fatalf("n2 podCIDR = %s, want 10.250.1.0/24", n2.Spec.PodCIDR)
	}

	// The agent re-registers without the CIDR: it is kept.
	re := newNode("n1", "")
	re.Labels = map[string]string{"zone": "a"}
	got, err := ts.client.Update(ctx, re)
	if err != nil {
		t.Fatalf("update without podCIDR: %v", err)
	}
	if s := got.(*api.Node).Spec; s.PodCIDR != "10.250.0.0/24" || len(s.PodCIDRs) != 1 {
		t.Fatalf("update lost the podCIDR: %+v", s)
	}
	_, err = ts.client.Update(ctx, newNode("n1", "10.250.1.0/24"))
	wantReason(t, err, api.ReasonInvalid)
	if !strings.Contains(err.Error(), "spec.podCIDR") {
		t.Fatalf("error %q does not name spec.podCIDR", err)
	}

	_, err = ts.client.Create(ctx, newNode("n3", ""))
	wantReason(t, err, api.ReasonInvalid)
	if !strings.Contains(err.Error(), "10.250.0.0/23") || !strings.Contains(err.Error(), "spec.podCIDR") {
		t.Fatalf("exhaustion error %q names neither the cluster CIDR nor the field", err)
	}

	if _, err := ts.client.Delete(ctx, mustRes(t, "Node"), "", "n1", api.DeleteOptions{}); err != nil {
		t.Fatalf("delete n1: %v", err)
	}
	if n3 := mustCreateNode(t, ts, "n3", ""); n3.Spec.PodCIDR != "10.250.0.0/24" {
		t.Fatalf("n3 podCIDR = %s, want n1's freed 10.250.0.0/24", n3.Spec.PodCIDR)
	}
}

// TestNodePodCIDRConcurrentCreates: nodes created at once never share a range.
func TestNodePodCIDRConcurrentCreates(t *testing.T) {
	ts := mustStartServer(t, nil)
	const n = 24
	cidrs := createConcurrently(t, n, "node", func(i int) (string, error) {
		got, err := ts.client.Create(context.Background(), newNode(fmt.Sprintf("node-%d", i), ""))
		if err != nil {
			return "", err
		}
		return got.(*api.Node).Spec.PodCIDR, nil
	})
	for i, c := range cidrs {
		if p := netip.MustParsePrefix(c); p.Bits() != 24 || !netip.MustParsePrefix("10.244.0.0/16").Contains(p.Addr()) {
			t.Fatalf("node-%d got %s, outside the cluster CIDR", i, c)
		}
	}
}

// createConcurrently runs create(0..n-1) at once and returns what each was given;
// it fails the test if one fails or two were given the same thing.
func createConcurrently(t *testing.T, n int, what string, create func(i int) (string, error)) []string {
	t.Helper()
	got := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { got[i], errs[i] = create(i) })
	}
	wg.Wait()
	seen := map[string]int{}
	for i, g := range got {
		if errs[i] != nil {
			t.Fatalf("create %s-%d: %v", what, i, errs[i])
		}
		if j, dup := seen[g]; dup {
			t.Fatalf("%s-%d and %s-%d both got %s", what, j, what, i, g)
		}
		seen[g] = i
	}
	return got
}
