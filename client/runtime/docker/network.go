package docker

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/berth-dev/berth/client/runtime"
)

// maxBridgeName is Linux's IFNAMSIZ minus the NUL: longer interface names
// are refused, so only short network names also name the bridge.
const maxBridgeName = 15

// EnsureNetwork implements runtime.Runtime.
func (r *Runtime) EnsureNetwork(ctx context.Context, name string, subnet netip.Prefix) error {
	if name == "" || !subnet.IsValid() {
		return fmt.Errorf("%w: network %q subnet %v", runtime.ErrInvalidConfig, name, subnet)
	}
	subnet = subnet.Masked()
	err := r.checkNetwork(ctx, name, subnet)
	if !cerrdefs.IsNotFound(err) {
		return err
	}
	opts := client.NetworkCreateOptions{
		Driver: "bridge",
		IPAM:   &network.IPAM{Config: []network.IPAMConfig{{Subnet: subnet}}},
		Labels: map[string]string{runtime.LabelManaged: "true"},
	}
	if len(name) <= maxBridgeName {
		// A predictable interface name lets the proxy find the bridge
		// (hairpin mode, iptables rules) without asking the engine.
		opts.Options = map[string]string{"com.docker.network.bridge.name": name}
	}
	if _, err := r.cli.NetworkCreate(ctx, name, opts); err != nil {
		if cerrdefs.IsConflict(err) {
			// Another agent on this engine won the race: judge its network.
			return r.checkNetwork(ctx, name, subnet)
		}
		// A network shared by several agents (--shared-pod-network) may be being
		// made by another with the same pool: the engine then reports the overlap,
		// not the name, before that network is visible. Judge it once it is.
		if cerr := r.awaitNetwork(ctx, name, subnet); !cerrdefs.IsNotFound(cerr) {
			return cerr
		}
		return translate(err, "create network "+name)
	}
	return nil
}

// awaitNetwork is checkNetwork, retried for a moment while the network is
// not found.
func (r *Runtime) awaitNetwork(ctx context.Context, name string, subnet netip.Prefix) error {
	var err error
	for range 20 {
		if err = r.checkNetwork(ctx, name, subnet); !cerrdefs.IsNotFound(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
	return err
}

// checkNetwork returns a NotFound engine error when the network is absent
// (so the caller can create it), nil when it is usable, and
// ErrNetworkConflict when it exists but cannot hold subnet.
func (r *Runtime) checkNetwork(ctx context.Context, name string, subnet netip.Prefix) error {
	res, err := r.cli.NetworkInspect(ctx, name, client.NetworkInspectOptions{})
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return err
		}
		return translate(err, "inspect network "+name)
	}
	n := res.Network
	if n.Name != name {
		// The engine also matches ID prefixes; a different name is not ours.
		return cerrdefs.ErrNotFound.WithMessage("network " + name)
	}
	if n.Driver != "bridge" {
		return fmt.Errorf("%w: network %s has driver %q, want bridge", runtime.ErrNetworkConflict, name, n.Driver)
	}
	for _, c := range n.IPAM.Config {
		if c.Subnet.IsValid() && c.Subnet.Bits() <= subnet.Bits() && c.Subnet.Contains(subnet.Addr()) {
			return nil
		}
	}
	return fmt.Errorf("%w: network %s has subnets %v, none contains %v",
		runtime.ErrNetworkConflict, name, subnets(n.IPAM.Config), subnet)
}

func subnets(cfgs []network.IPAMConfig) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(cfgs))
	for _, c := range cfgs {
		out = append(out, c.Subnet)
	}
	return out
}

// RemoveNetwork implements runtime.Runtime. A network Berth did not create
// (one shared through --pod-network) is left alone.
func (r *Runtime) RemoveNetwork(ctx context.Context, name string) error {
	res, err := r.cli.NetworkInspect(ctx, name, client.NetworkInspectOptions{})
	if err != nil {
		return translate(ignoreNotFound(err), "inspect network "+name)
	}
	if res.Network.Name != name || !runtime.IsManaged(res.Network.Labels) {
		return nil
	}
	_, err = r.cli.NetworkRemove(ctx, res.Network.ID, client.NetworkRemoveOptions{})
	return translate(ignoreNotFound(err), "remove network "+name)
}
