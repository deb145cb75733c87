package server

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/berth-dev/berth/raftfsm"
	"github.com/berth-dev/berth/server/scheduler"
)

// Default ports, one per listener (DESIGN.md "Defaults").
const (
	DefaultHTTPPort   = 6440
	DefaultRaftPort   = 6441
	DefaultGossipPort = 6442
)

// Config is everything a server needs. The constructor takes it by value; nothing
// changes it afterwards.
type Config struct {
	// Name is this server's Raft id and gossip name; unique in the cluster.
	Name string
	// DataDir holds the Raft log (raft.db), snapshots and the known-peers file.
	DataDir string
	// BindAddr is the address every listener binds to.
	BindAddr string
	// AdvertiseAddr is the address peers use to reach this server; empty means BindAddr
	// (which must then not be 0.0.0.0).
	AdvertiseAddr string
	// HTTPPort, RaftPort, GossipPort: zero means pick a free port (tests), never in
	// production where peers must know them.
	HTTPPort, RaftPort, GossipPort int
	// BootstrapExpect is the number of servers that form the cluster: the first to see
	// that many servers in gossip bootstraps Raft with all of them. Zero: join an
	// existing cluster through Join.
	BootstrapExpect int
	// Join lists gossip addresses (host:port) of servers to join at start.
	Join []string

	// Raft timings. Defaults are tuned for a LAN so that a new leader is elected within
	// about a second of the old one dying; see DefaultConfig.
	HeartbeatTimeout   time.Duration
	ElectionTimeout    time.Duration
	LeaderLeaseTimeout time.Duration
	CommitTimeout      time.Duration
	// SnapshotThreshold is how many log entries since the last snapshot trigger a new one.
	SnapshotThreshold uint64
	// SnapshotInterval is how often Raft checks whether to snapshot.
	SnapshotInterval time.Duration
	// TrailingLogs is how many entries are kept behind a snapshot for slow followers.
	TrailingLogs uint64

	// MaxBatch is the most writes the leader puts in one Raft entry.
	MaxBatch int
	// MaxRequestBytes limits a request body (objects are limited to 1 MiB separately).
	MaxRequestBytes int64
	// WatchWindow is how many recent events a watcher can resume from.
	WatchWindow int
	// RequestTimeout bounds how long a write waits for Raft.
	RequestTimeout time.Duration

	// GossipProbeInterval etc. tune failure detection; zero keeps gossip's defaults.
	GossipProbeInterval time.Duration

	// EnableDebug serves Go's profiler under /debug/pprof (off: it exposes internals).
	EnableDebug bool

	// Auth turns on authentication and RBAC (`--auth`): a request without a valid
	// bearer token is 401, one its user's roles do not allow 403. Off (the default
	// until TLS lands), every request acts as the cluster administrator. Every
	// server of a cluster must agree. See auth.go.
	Auth bool
	// TLS is the cluster PKI (config_tls.go); nil is `--insecure-dev`: plain HTTP.
	// With TLS, Auth is always on.
	TLS *TLSConfig
	// AdminTokenOut receives the bootstrap admin token, printed once when this server
	// makes it (the first leader with Auth on); nil prints it nowhere but the
	// admin.token file in DataDir.
	AdminTokenOut io.Writer

	// ClusterCIDR is the IPv4 range pod addresses come from; the leader gives each Node
	// a /24 of it at creation (spec.podCIDR), so it must hold at least two /24s and at
	// most /8 (65536 nodes).
	ClusterCIDR string
	// ServiceCIDR is the IPv4 range Services' cluster IPs come from, between /12 and
	// /28; its network, broadcast and first addresses are never handed out.
	ServiceCIDR string
	// ServiceNodePortRange is the range NodePort Services' ports come from, "low-high".
	ServiceNodePortRange string

	// DNSPort is the port DNS is answered on at BindAddr, over UDP and TCP
	// (`--dns-port`): 0 picks a free port (tests), a negative port serves no DNS.
	DNSPort int
	// DNSUpstreams are the resolvers (IP or IP:port) names outside the cluster domain
	// are forwarded to (`--dns-upstream`); nil means the nameservers of
	// /etc/resolv.conf other than this server itself.
	DNSUpstreams []string

	// ReadyCheck, when set, must also pass for GET /readyz to answer 200 (berth dev
	// waits there for its node); nil means the server's own readiness only.
	ReadyCheck func() error

	// NodeMonitorGracePeriod is how long a node's client may go without a heartbeat
	// before its node is unreachable (`--node-monitor-grace-period`); a new leader
	// also waits this long before it judges silence. Zero means 40 s.
	NodeMonitorGracePeriod time.Duration
	// PodEvictionTimeout is how long pods stay on an unreachable or not-ready node
	// before they are deleted and replaced elsewhere (`--pod-eviction-timeout`); a
	// pod's tolerationSeconds wins. Zero means 5 s.
	PodEvictionTimeout time.Duration

	// SchedulerConfig configures the scheduler the leader runs (`--scheduler-config`);
	// the zero value means scheduler.DefaultConfig().
	SchedulerConfig scheduler.Config

	// Version is reported in gossip and /v1/status.
	Version string
	// Logger receives the server's logs; nil means slog.Default().
	Logger *slog.Logger
	// RaftLogLevel is the level of hashicorp/raft's own logs ("warn" by default: its
	// INFO lines are per-heartbeat noise during failures).
	RaftLogLevel string
}

// DefaultConfig returns the settings Berth ships, each with its reason.
func DefaultConfig() Config {
	return Config{
		DataDir:    "/var/lib/berth",
		BindAddr:   "127.0.0.1",
		HTTPPort:   DefaultHTTPPort,
		RaftPort:   DefaultRaftPort,
		GossipPort: DefaultGossipPort,
		// Every server answers DNS from its local store (DESIGN.md): 6453 because 53
		// needs root and is usually the machine's own resolver's.
		DNSPort: DefaultDNSPort,
		// hashicorp/raft's 1 s defaults take about 2 s to elect after a crash; on a LAN a
		// round trip is well under a millisecond, so 500 ms leaves two orders of
		// magnitude of margin while a follower notices a dead leader in 0.5-1 s.
		HeartbeatTimeout: 500 * time.Millisecond,
		ElectionTimeout:  500 * time.Millisecond,
		// The lease must be below the heartbeat timeout: a leader that has not heard from
		// a quorum for 250 ms steps down before followers elect another.
		LeaderLeaseTimeout: 250 * time.Millisecond,
		// Followers learn the commit index on the next heartbeat; 20 ms keeps follower
		// reads and watches close to the leader when writes are sparse.
		CommitTimeout: 20 * time.Millisecond,
		// A snapshot of 10,000 objects is a few MB; taking one every 8192 entries keeps
		// the log (and restart replay) short without snapshotting constantly.
		SnapshotThreshold: 8192,
		SnapshotInterval:  30 * time.Second,
		TrailingLogs:      10240,
		// 512 writes of ~400 bytes is ~200 KB: one disk write and one replication round
		// instead of 512, still small enough not to stall heartbeats.
		MaxBatch: 512,
		// An object is at most 1 MiB of JSON; YAML and whitespace may add to it.
		MaxRequestBytes: 3 << 20,
		WatchWindow:     raftfsm.DefaultWatchWindow,
		// Long enough to ride out one election (about 1 s) plus a slow disk.
		RequestTimeout: 10 * time.Second,
		// Kubernetes' (flannel's) default: 256 nodes of 254 pods, and rarely in use on
		// a LAN already.
		ClusterCIDR:  "10.244.0.0/16",
		Version:      "dev",
		RaftLogLevel: "warn",

		// Kubernetes' (kubeadm's) defaults: 65,533 Services, and node ports above the
		// ports most hosts' own listeners use and below Linux's ephemeral range.
		ServiceCIDR:          "10.96.0.0/16",
		ServiceNodePortRange: "30000-32767",

		// Kubernetes' default: four missed heartbeats of a client posting every 10 s.
		// Gossip finds a dead client in 2-3 s; this grace is for nodes gossip knows
		// nothing of (hollow nodes) and for a new leader, which has heard no heartbeat.
		NodeMonitorGracePeriod: 40 * time.Second,
		// A client restarted at once (kill -9, then up again) keeps its pods; pods of a
		// dead one run elsewhere within about 10 s of its death.
		PodEvictionTimeout: 5 * time.Second,

		// Kubernetes' plugins and weights.
		SchedulerConfig: scheduler.DefaultConfig(),
	}
}

// Validate reports the first thing wrong with the config.
func (c Config) Validate() error {
	var errs []error
	if c.Name == "" {
		errs = append(errs, errors.New("server: --name is required"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("server: --data-dir is required"))
	}
	if net.ParseIP(c.BindAddr) == nil {
		errs = append(errs, fmt.Errorf("server: --bind %q is not an IP address", c.BindAddr))
	}
	if c.AdvertiseAddr != "" && net.ParseIP(c.AdvertiseAddr) == nil {
		errs = append(errs, fmt.Errorf("server: --advertise %q is not an IP address", c.AdvertiseAddr))
	}
	if ip := net.ParseIP(c.advertise()); ip != nil && ip.IsUnspecified() {
		errs = append(errs, errors.New("server: --advertise is required when --bind is 0.0.0.0"))
	}
	for name, p := range map[string]int{"http": c.HTTPPort, "raft": c.RaftPort, "gossip": c.GossipPort} {
		if p < 0 || p > 65535 {
			errs = append(errs, fmt.Errorf("server: --%s-port %d is out of range", name, p))
		}
	}
	if c.BootstrapExpect < 0 {
		errs = append(errs, errors.New("server: --bootstrap-expect must not be negative"))
	}
	if err := c.TLS.validate(); err != nil {
		errs = append(errs, err)
	}
	if c.BootstrapExpect == 0 && len(c.Join) == 0 && (c.TLS == nil || c.TLS.JoinToken == "") {
		errs = append(errs, errors.New("server: give --bootstrap-expect N (a new cluster) or --join ADDR (an existing one)"))
	}
	if c.LeaderLeaseTimeout > c.HeartbeatTimeout || c.HeartbeatTimeout > c.ElectionTimeout {
		errs = append(errs, errors.New("server: raft timings must satisfy lease <= heartbeat <= election"))
	}
	if _, err := c.clusterPrefix(); err != nil {
		errs = append(errs, err)
	}
	if err := c.validateServiceNetworks(); err != nil {
		errs = append(errs, err)
	}
	if err := c.validateDNS(); err != nil {
		errs = append(errs, err)
	}
	if c.MaxBatch < 1 {
		errs = append(errs, errors.New("server: MaxBatch must be at least 1"))
	}
	if c.NodeMonitorGracePeriod < 0 || c.PodEvictionTimeout < 0 {
		errs = append(errs, errors.New("server: --node-monitor-grace-period and --pod-eviction-timeout must not be negative"))
	}
	if err := c.SchedulerConfig.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("server: --scheduler-config: %w", err))
	}
	return errors.Join(errs...)
}

// clusterPrefix parses ClusterCIDR (host bits are ignored: 10.244.1.0/16 is
// 10.244.0.0/16).
func (c Config) clusterPrefix() (netip.Prefix, error) {
	p, err := netip.ParsePrefix(c.ClusterCIDR)
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("server: --cluster-cidr %q is not an IPv4 CIDR (e.g. 10.244.0.0/16)", c.ClusterCIDR)
	}
	if p.Bits() < 8 || p.Bits() >= podCIDRBits {
		return netip.Prefix{}, fmt.Errorf("server: --cluster-cidr %q must be between /8 and /%d: each node gets a /%d of it", c.ClusterCIDR, podCIDRBits-1, podCIDRBits)
	}
	return p.Masked(), nil
}

func (c Config) advertise() string {
	if c.AdvertiseAddr != "" {
		return c.AdvertiseAddr
	}
	return c.BindAddr
}

func (c Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}
