package docker

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// TestEnsureNetworkShared: several agents of one engine ensuring the same
// network over the cluster CIDR at once (--shared-pod-network) all succeed,
// though the engine answers the losers with a pool overlap, not a name
// conflict; each /24 inside it is then accepted.
func TestEnsureNetworkShared(t *testing.T) {
	r := mustNewRuntime(t)
	ctx := testCtx(t)
	for range 20 {
		name := "bt" + randHex(8)
		cluster := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(200 + randInt(50)), 0, 0}), 16)
		errs := make([]error, 4)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() { errs[i] = r.EnsureNetwork(ctx, name, cluster) })
		}
		wg.Wait()
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, _ = r.cli.NetworkRemove(ctx, name, client.NetworkRemoveOptions{})
		})
		failed := 0
		for _, err := range errs {
			if err != nil {
				failed++
				if !strings.Contains(err.Error(), "overlap") {
					t.Fatalf("concurrent EnsureNetwork(%s, %v): %v", name, cluster, err)
				}
			}
		}
		if failed == len(errs) {
			continue // the /16 overlaps a network of someone else: try another
		}
		if failed > 0 {
			t.Fatalf("%d of %d concurrent EnsureNetwork calls failed: %v", failed, len(errs), errs)
		}
		for _, third := range []byte{0, 7, 255} {
			node := netip.PrefixFrom(netip.AddrFrom4([4]byte{cluster.Addr().As4()[0], cluster.Addr().As4()[1], third, 0}), 24)
			if err := r.EnsureNetwork(ctx, name, node); err != nil {
				t.Errorf("EnsureNetwork(%s, node CIDR %v) = %v", name, node, err)
			}
		}
		return
	}
	t.Fatal("no free /16 for a test network")
}
