package client

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/runtime/fake"
	"github.com/berth-dev/berth/server/servertest"
)

// TestSharedPodNetwork runs two agents on one engine (one fake runtime) with
// --shared-pod-network: both join the one network, sized to the cluster CIDR
// the servers report, and each hands out addresses from its own /24.
func TestSharedPodNetwork(t *testing.T) {
	ts := servertest.Start(t, nil)
	st, err := ts.Client.ServerStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cluster := netip.MustParsePrefix(st.ClusterCIDR)
	rt := fake.New(fake.Config{Hostname: "host"})
	agents := map[string]*Agent{}
	for _, node := range []string{"n1", "n2"} {
		cfg := DefaultConfig()
		cfg.Name, cfg.DataDir, cfg.Servers = node, t.TempDir(), []string{ts.URL}
		cfg.ClientPort, cfg.StatusInterval, cfg.Logger = 0, time.Second, discardLogger()
		cfg.PodNetwork, cfg.SharedPodNetwork = "shared", true
		a, err := NewWithRuntime(cfg, rt)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run %s: %v", node, err)
			}
		})
		agents[node] = a
	}
	for node, a := range agents {
		waitFor(t, 15*time.Second, node+" ready", func() error {
			if !a.Ready() {
				return fmt.Errorf("not ready")
			}
			return nil
		})
		mustCreate(t, ts.Client, newPod("p-"+node, node, "app"))
	}
	for node, a := range agents {
		pod := waitPod(t, ts.Client, "p-"+node, "running", phaseIs(api.PodRunning))
		ip, err := netip.ParseAddr(pod.Status.PodIP)
		if err != nil || !a.podCIDR().Contains(ip) {
			t.Errorf("pod on %s has IP %q, want one of its pod CIDR %v", node, pod.Status.PodIP, a.podCIDR())
		}
		if got := a.networkSubnet(); got != cluster {
			t.Errorf("%s sizes the network to %v, want the cluster CIDR %v", node, got, cluster)
		}
	}
}
