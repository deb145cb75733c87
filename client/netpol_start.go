package client

import (
	"context"
	"os"

	"github.com/berth-dev/berth/client/netpol"
)

// runNetworkPolicy enforces the cluster's NetworkPolicies for this node's pods
// (client/netpol) until ctx ends. It needs root (iptables); without it the
// agent runs on with every pod open and says so once.
func (a *Agent) runNetworkPolicy(ctx context.Context) {
	if os.Geteuid() != 0 {
		a.log.Warn("network policies not enforced: it needs root to program iptables (run as root, or pass --network-policy=false)")
		return
	}
	cfg := netpol.DefaultConfig()
	cfg.API = poolAPI{a.apis}
	cfg.Node = a.cfg.Name
	cfg.ClusterCIDR = a.cluster()
	cfg.Logger = a.log
	e, err := netpol.New(cfg)
	if err != nil {
		a.log.Error("network policies not enforced", "err", err)
		return
	}
	a.netpolRan.Store(true)
	if err := e.Run(ctx); err != nil {
		a.log.Error("network policy enforcer stopped", "err", err)
	}
}

// cleanupNetworkPolicy removes this node's policy rules (Shutdown with
// removePods, what `berth dev` does on Ctrl-C); other nodes' stay.
func (a *Agent) cleanupNetworkPolicy(ctx context.Context) error {
	if !a.netpolRan.Load() {
		return nil
	}
	return netpol.CleanupNode(ctx, nil, "", a.cluster(), a.cfg.Name)
}
