package proxy

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"regexp"
	"time"

	"github.com/berth-dev/berth/client/informer"
)

// API is what the proxy needs of the cluster: lists and watches of every
// namespace. *api.Client implements it.
type API = informer.Source

// Config is everything a Proxier needs. New takes it by value; nothing
// changes it afterwards.
type Config struct {
	// API lists and watches Services and Endpoints. Required.
	API API
	// ClusterCIDR is the range of pod addresses (see RenderOptions); it also
	// finds the pod bridges. Zero: unknown.
	ClusterCIDR netip.Prefix
	// Prefix starts every chain name: 1 to 5 upper-case letters or digits.
	// Empty means DefaultPrefix.
	Prefix string
	// Executor changes the host; nil means the iptables tools (&IPTables{}).
	Executor Executor
	// MinSyncInterval is the least time between two syncs: changes within it
	// are applied together.
	MinSyncInterval time.Duration
	// SyncPeriod is how often the rules are rewritten even with no change, to
	// repair what someone else removed.
	SyncPeriod time.Duration
	// RetryInterval is the first wait after a failed sync; it doubles up to
	// SyncPeriod.
	RetryInterval time.Duration
	// Logger receives the proxy's logs; nil means slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns the settings Berth ships, each with its reason.
func DefaultConfig() Config {
	return Config{
		Prefix: DefaultPrefix,
		// A tenth of the second the issue allows for an endpoint change to
		// reach the rules: bursts coalesce, one change lands fast.
		MinSyncInterval: 100 * time.Millisecond,
		// kube-proxy's --iptables-sync-period: rare enough to cost nothing,
		// often enough that a stray flush heals within a minute.
		SyncPeriod:    30 * time.Second,
		RetryInterval: time.Second,
	}
}

var prefixPattern = regexp.MustCompile(`^[A-Z0-9]{1,5}$`)

// Validate reports everything wrong with the config at once.
func (c Config) Validate() error {
	var errs []error
	if c.API == nil {
		errs = append(errs, errors.New("proxy: API is required"))
	}
	if c.Prefix != "" && !prefixPattern.MatchString(c.Prefix) {
		// Longer prefixes would push chain names past iptables' 28 characters.
		errs = append(errs, fmt.Errorf("proxy: chain prefix %q must be 1 to 5 upper-case letters or digits", c.Prefix))
	}
	if c.ClusterCIDR.IsValid() && !c.ClusterCIDR.Addr().Is4() {
		errs = append(errs, fmt.Errorf("proxy: cluster CIDR %v is not IPv4", c.ClusterCIDR))
	}
	for name, d := range map[string]time.Duration{
		"MinSyncInterval": c.MinSyncInterval, "SyncPeriod": c.SyncPeriod, "RetryInterval": c.RetryInterval,
	} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("proxy: %s must be positive, not %v", name, d))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}

func (c Config) prefix() string {
	if c.Prefix == "" {
		return DefaultPrefix
	}
	return c.Prefix
}

func (c Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}
