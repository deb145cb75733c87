package netpol

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"regexp"
	"time"

	"github.com/berth-dev/berth/client/informer"
	"github.com/berth-dev/berth/client/proxy"
)

// API is what the enforcer needs of the cluster: lists and watches of every
// namespace. *api.Client implements it.
type API = informer.Source

// Executor is what the enforcer changes on the host: the filter table.
// *proxy.IPTables implements it.
type Executor interface {
	// Save returns the output of iptables-save.
	Save(ctx context.Context) ([]byte, error)
	// Restore applies an iptables-restore payload without flushing the chains
	// it does not name, in one transaction.
	Restore(ctx context.Context, payload []byte) error
}

var _ Executor = (*proxy.IPTables)(nil)

// Config is everything an Enforcer needs. New takes it by value; nothing
// changes it afterwards.
type Config struct {
	// API lists and watches NetworkPolicies, Pods and Namespaces. Required.
	API API
	// Node is the name of this client's Node: its pods are the ones guarded.
	// Required.
	Node string
	// ClusterCIDR names the cluster's chains (with the service proxy's tag).
	// Zero: the tag of no cluster (fine for one cluster per host).
	ClusterCIDR netip.Prefix
	// Prefix starts every chain name: 1 to 5 upper-case letters or digits.
	// Empty means the proxy's DefaultPrefix.
	Prefix string
	// Executor changes the host; nil means the iptables tools (&proxy.IPTables{}).
	Executor Executor
	// MinSyncInterval is the least time between two syncs: changes within it
	// are applied together.
	MinSyncInterval time.Duration
	// SyncPeriod is how often the rules are rewritten even with no change, to
	// repair what someone else removed (and move the jump back ahead of a
	// service proxy jump inserted meanwhile).
	SyncPeriod time.Duration
	// RetryInterval is the first wait after a failed sync; it doubles up to
	// SyncPeriod.
	RetryInterval time.Duration
	// Logger receives the enforcer's logs; nil means slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns the settings Berth ships, each with its reason.
func DefaultConfig() Config {
	return Config{
		Prefix: proxy.DefaultPrefix,
		// A tenth of the second the issue allows for a policy change to reach
		// the rules: bursts (a Deployment's pods getting IPs) coalesce.
		MinSyncInterval: 100 * time.Millisecond,
		// The service proxy's period: a stray flush heals within a minute.
		SyncPeriod:    30 * time.Second,
		RetryInterval: time.Second,
	}
}

var prefixPattern = regexp.MustCompile(`^[A-Z0-9]{1,5}$`)

// Validate reports everything wrong with the config at once.
func (c Config) Validate() error {
	var errs []error
	if c.API == nil {
		errs = append(errs, errors.New("netpol: API is required"))
	}
	if c.Node == "" {
		errs = append(errs, errors.New("netpol: Node is required"))
	}
	if c.Prefix != "" && !prefixPattern.MatchString(c.Prefix) {
		errs = append(errs, fmt.Errorf("netpol: chain prefix %q must be 1 to 5 upper-case letters or digits", c.Prefix))
	}
	if c.ClusterCIDR.IsValid() && !c.ClusterCIDR.Addr().Is4() {
		errs = append(errs, fmt.Errorf("netpol: cluster CIDR %v is not IPv4", c.ClusterCIDR))
	}
	for name, d := range map[string]time.Duration{
		"MinSyncInterval": c.MinSyncInterval, "SyncPeriod": c.SyncPeriod, "RetryInterval": c.RetryInterval,
	} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("netpol: %s must be positive, not %v", name, d))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}

func (c Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

func (c Config) renderOptions() RenderOptions {
	return RenderOptions{Prefix: c.Prefix, ClusterCIDR: c.ClusterCIDR, Node: c.Node}
}
