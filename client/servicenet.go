package client

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/proxy"
)

// The agent's part in service networking: learning the cluster CIDR, sizing
// the pod network, and running the service proxy (client/proxy).

// needsClusterCIDR reports whether the agent must learn the cluster CIDR.
func (a *Agent) needsClusterCIDR() bool {
	return a.cfg.SharedPodNetwork || a.cfg.Proxy || a.cfg.NetworkPolicy
}

// learnClusterCIDR asks the servers for the cluster CIDR (GET /v1/status),
// retrying until one answers. A server that does not report it is an error
// with --shared-pod-network (the network could not be sized); for the proxy
// alone the node's pod CIDR stands in (its chains are then the node's own).
func (a *Agent) learnClusterCIDR(ctx context.Context) error {
	if !a.needsClusterCIDR() {
		return nil
	}
	var st *api.ServerStatus
	err := retryUntil(ctx, time.Second, func() error {
		return a.apis.do(ctx, func(c *api.Client) error {
			var err error
			st, err = c.ServerStatus(ctx)
			return err
		})
	}, a.log, "read the cluster CIDR")
	if err != nil {
		return err
	}
	p, perr := netip.ParsePrefix(st.ClusterCIDR)
	own := a.podCIDR()
	switch {
	case perr == nil && p.Addr().Is4() && p.Masked().Contains(own.Addr()) && p.Bits() <= own.Bits():
		p = p.Masked()
	case a.cfg.SharedPodNetwork:
		return fmt.Errorf("%w: --shared-pod-network needs the cluster CIDR, and the servers report %q (node pod CIDR %v)",
			ErrConfig, st.ClusterCIDR, own)
	default:
		a.log.Warn("the servers report no usable cluster CIDR; the service proxy uses the node's pod CIDR", "reported", st.ClusterCIDR)
		p = own
	}
	a.mu.Lock()
	a.clusterCIDR = p
	a.mu.Unlock()
	return nil
}

// networkSubnet is the subnet of the pod network: the cluster CIDR when it is
// shared by every client on the engine (each still hands out addresses from
// its own /24 only), else the node's pod CIDR.
func (a *Agent) networkSubnet() netip.Prefix {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cfg.SharedPodNetwork && a.clusterCIDR.IsValid() {
		return a.clusterCIDR
	}
	return a.node.cidr
}

func (a *Agent) cluster() netip.Prefix {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.clusterCIDR
}

// runProxy runs the service proxy until ctx ends. It needs root (iptables);
// without it the agent runs on without Services and says so once.
func (a *Agent) runProxy(ctx context.Context) {
	if os.Geteuid() != 0 {
		a.log.Warn("service proxy off: it needs root to program iptables (run as root, or pass --proxy=false)")
		return
	}
	cfg := proxy.DefaultConfig()
	cfg.API = poolAPI{a.apis}
	cfg.ClusterCIDR = a.cluster()
	cfg.Logger = a.log
	p, err := proxy.New(cfg)
	if err != nil {
		a.log.Error("service proxy off", "err", err)
		return
	}
	a.proxyRan.Store(true)
	if err := p.Run(ctx); err != nil {
		a.log.Error("service proxy stopped", "err", err)
	}
}

// cleanupProxy removes this cluster's proxy rules (Shutdown with removePods,
// what `berth dev` does on Ctrl-C).
func (a *Agent) cleanupProxy(ctx context.Context) error {
	if !a.proxyRan.Load() {
		return nil
	}
	return proxy.CleanupCluster(ctx, nil, "", a.cluster())
}

// poolAPI gives the proxy the agent's rotating server pool.
type poolAPI struct{ p *apiPool }

func (p poolAPI) List(ctx context.Context, res *api.Resource, ns string, opts api.ListOptions) (*api.List, error) {
	var out *api.List
	err := p.p.do(ctx, func(c *api.Client) error {
		var err error
		out, err = c.List(ctx, res, ns, opts)
		return err
	})
	return out, err
}

func (p poolAPI) Watch(ctx context.Context, res *api.Resource, ns string, opts api.WatchOptions) (*api.Watcher, error) {
	var out *api.Watcher
	err := p.p.do(ctx, func(c *api.Client) error {
		var err error
		out, err = c.Watch(ctx, res, ns, opts)
		return err
	})
	return out, err
}
