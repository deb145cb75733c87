package dnsd

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Sentinel errors of the package.
var (
	// ErrConfig: the configuration cannot be used (Validate's errors wrap it).
	ErrConfig = errors.New("dnsd: invalid config")
	// ErrUpstream: no upstream resolver answered (the client gets SERVFAIL).
	ErrUpstream = errors.New("dnsd: upstream failed")
)

// DefaultPort is the DNS port of a server (DESIGN.md "Defaults"): 53 needs root and is
// usually taken by the machine's own resolver, so a server listens on 6453 unless told.
const DefaultPort = 6453

// SpecVersion is what TXT dns-version.<domain> answers (Kubernetes DNS spec).
const SpecVersion = "1.1.0"

// Config is everything a dnsd Server needs. New takes it by value; nothing changes
// it afterwards.
type Config struct {
	// Domain is the cluster domain the server is authoritative for.
	Domain string
	// TTL is the time to live of every cluster answer, and the SOA's negative TTL.
	TTL time.Duration
	// Upstreams are the resolvers (host:port, or a bare IP for port 53) every name
	// outside Domain is forwarded to, tried in order. Empty: such names are REFUSED.
	Upstreams []string
	// UpstreamTimeout bounds one exchange with one upstream.
	UpstreamTimeout time.Duration
	// CacheSize is how many upstream answers are kept; 0 disables the cache.
	CacheSize int
	// MaxCacheTTL caps how long an upstream answer is kept, whatever its TTL says.
	MaxCacheTTL time.Duration
	// MaxUDPSize caps the EDNS0 buffer size a client may ask for; it is also the size
	// this server advertises in its own OPT record.
	MaxUDPSize int
	// Logger receives the server's logs; nil means slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns the settings Berth ships, each with its reason.
func DefaultConfig() Config {
	return Config{
		// Kubernetes' default cluster domain: users' manifests and habits name it.
		Domain: "cluster.local",
		// CoreDNS' kubernetes plugin default: a pod that moves is found again within
		// seconds, and a resolver still does not ask for every connection.
		TTL: 5 * time.Second,
		// Two seconds is far beyond a LAN resolver's round trip and well inside the
		// five seconds a glibc stub waits before it retries.
		UpstreamTimeout: 2 * time.Second,
		// A few thousand names cover what a node's pods look up outside the cluster;
		// at a few hundred bytes each that is about a megabyte.
		CacheSize: 4096,
		// Upstream answers are kept at most 30 s so that a changed external record
		// shows quickly, while hot names still hit the cache.
		MaxCacheTTL: 30 * time.Second,
		// RFC 6891 lets clients ask for up to 64 KiB; 4096 is what BIND and CoreDNS
		// accept, which holds 100 A records without fragmenting badly on a LAN.
		MaxUDPSize: 4096,
	}
}

// Validate reports everything wrong with the config at once.
func (c Config) Validate() error {
	var errs []error
	if _, ok := dns.IsDomainName(c.Domain); !ok || c.Domain == "" || c.Domain == "." {
		errs = append(errs, fmt.Errorf("%w: domain %q is not a domain name", ErrConfig, c.Domain))
	}
	if c.TTL < time.Second || c.TTL > 24*time.Hour {
		errs = append(errs, fmt.Errorf("%w: ttl %v must be between 1s and 24h", ErrConfig, c.TTL))
	}
	for _, u := range c.Upstreams {
		if _, err := NormalizeUpstream(u); err != nil {
			errs = append(errs, err)
		}
	}
	if len(c.Upstreams) > 0 && c.UpstreamTimeout <= 0 {
		errs = append(errs, fmt.Errorf("%w: upstream timeout must be positive", ErrConfig))
	}
	if c.CacheSize < 0 {
		errs = append(errs, fmt.Errorf("%w: cache size %d is negative", ErrConfig, c.CacheSize))
	}
	if c.CacheSize > 0 && c.MaxCacheTTL <= 0 {
		errs = append(errs, fmt.Errorf("%w: max cache ttl must be positive with a cache", ErrConfig))
	}
	if c.MaxUDPSize < dns.MinMsgSize || c.MaxUDPSize > dns.MaxMsgSize {
		errs = append(errs, fmt.Errorf("%w: max udp size %d must be between %d and %d", ErrConfig, c.MaxUDPSize, dns.MinMsgSize, dns.MaxMsgSize))
	}
	return errors.Join(errs...)
}

// NormalizeUpstream turns "10.0.0.2" or "10.0.0.2:5353" or "[fd00::1]:53" into
// host:port; anything else (names included: a resolver must not need a resolver) is
// an error that names it.
func NormalizeUpstream(s string) (string, error) {
	if ip, err := netip.ParseAddr(s); err == nil {
		return net.JoinHostPort(ip.String(), "53"), nil
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil || ap.Port() == 0 {
		return "", fmt.Errorf("%w: upstream %q is not an IP or IP:port", ErrConfig, s)
	}
	return ap.String(), nil
}

// UpstreamsFromResolvConf reads the nameservers of a resolv.conf file (host:port
// each), leaving out the addresses in exclude (the server's own listeners: a server
// that forwards to itself loops).
func UpstreamsFromResolvConf(path string, exclude ...string) ([]string, error) {
	cc, err := dns.ClientConfigFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("dnsd: %s: %w", path, err)
	}
	skip := map[string]bool{}
	for _, e := range exclude {
		if n, err := NormalizeUpstream(e); err == nil {
			skip[n] = true
		}
	}
	var out []string
	for _, s := range cc.Servers {
		n, err := NormalizeUpstream(net.JoinHostPort(strings.Trim(s, "[]"), cc.Port))
		if err != nil || skip[n] {
			continue
		}
		out = append(out, n)
	}
	return out, nil
}

func (c Config) fqdnDomain() string { return dns.CanonicalName(c.Domain) }

func (c Config) ttl() uint32 { return uint32(c.TTL / time.Second) }

func (c Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}
