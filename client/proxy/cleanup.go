package proxy

import (
	"context"
	"net/netip"
)

// Cleanup removes every chain whose name starts with prefix (DefaultPrefix
// when empty), of every cluster, and every jump into them from the built-in
// chains: what `berth client --cleanup` does. Sysctls the proxy set on pod
// bridges (hairpin, route_localnet) stay until the bridge goes.
func Cleanup(ctx context.Context, x Executor, prefix string) error {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return cleanup(ctx, x, prefix+"-")
}

// CleanupCluster removes the chains, and the jumps into them, of the one
// cluster whose pods use clusterCIDR.
func CleanupCluster(ctx context.Context, x Executor, prefix string, clusterCIDR netip.Prefix) error {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return cleanup(ctx, x, newNames(prefix, ClusterTag(clusterCIDR)).prefix)
}

func cleanup(ctx context.Context, x Executor, chainPrefix string) error {
	if x == nil {
		x = &IPTables{}
	}
	save, err := x.Save(ctx)
	if err != nil {
		return err
	}
	payload := ParseSave(save).cleanupPayload(chainPrefix)
	if payload == nil {
		return nil
	}
	return x.Restore(ctx, payload)
}
