package ingress

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// Sentinel errors of the ingress.
var (
	// ErrConfig: the configuration cannot be used (Validate's errors wrap it).
	ErrConfig = errors.New("ingress: invalid config")
	// ErrListen: an ingress port could not be opened.
	ErrListen = errors.New("ingress: cannot listen")
)

// Config says where the ingress listens. New takes it by value; nothing changes it
// afterwards.
type Config struct {
	// HTTPAddr is the host:port plain HTTP is served on; port 0 picks a free one.
	// Empty: no HTTP listener.
	HTTPAddr string
	// HTTPSAddr is the host:port HTTPS is served on; port 0 picks a free one.
	// Empty: no HTTPS listener.
	HTTPSAddr string
	// DialTimeout bounds one connection attempt to an endpoint before the next one
	// is tried. Zero means DefaultDialTimeout.
	DialTimeout time.Duration
	// Logger receives the ingress's logs; nil means slog.Default().
	Logger *slog.Logger
}

// DefaultDialTimeout is short because pods are on the client's own pod network:
// an endpoint that does not answer a SYN within it is gone, and the next one is.
const DefaultDialTimeout = 2 * time.Second

// Validate reports everything wrong with the config at once.
func (c Config) Validate() error {
	var errs []error
	if c.HTTPAddr == "" && c.HTTPSAddr == "" {
		errs = append(errs, errors.New("ingress: neither an HTTP nor an HTTPS address is set"))
	}
	for name, addr := range map[string]string{"HTTP": c.HTTPAddr, "HTTPS": c.HTTPSAddr} {
		if addr == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			errs = append(errs, fmt.Errorf("ingress: %s address %q is not host:port: %w", name, addr, err))
		}
	}
	if c.DialTimeout < 0 {
		errs = append(errs, fmt.Errorf("ingress: DialTimeout %v must not be negative", c.DialTimeout))
	}
	return errors.Join(errs...)
}

func (c Config) dialTimeout() time.Duration {
	if c.DialTimeout == 0 {
		return DefaultDialTimeout
	}
	return c.DialTimeout
}

func (c Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}
