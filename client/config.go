package client

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"regexp"
)

// dns1123Subdomain is a Node name: lowercase alphanumerics, '-' and '.'.
var dns1123Subdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

// Default ports and names (DESIGN.md "Defaults").
const (
	// DefaultClientPort is the logs/exec endpoint's port.
	DefaultClientPort = 6450
	// DefaultGossipPort is the gossip port a client uses when it joins.
	DefaultGossipPort = 6442
	// DefaultPodNetwork is the Docker network pods join.
	DefaultPodNetwork = "berth0"
)

// Runtime names accepted in Config.Runtime.
const (
	RuntimeDocker = "docker"
	RuntimeFake   = "fake"
)

// Config is everything an agent needs. New takes it by value; nothing changes
// it afterwards.
type Config struct {
	// Name is the Node's name; unique in the cluster. Required.
	Name string
	// DataDir holds the agent's files: pod IP allocations and the files of
	// secret and configMap volumes. Required.
	DataDir string
	// Servers are API base URLs ("http://127.0.0.1:6440"); the agent rotates
	// through them when one cannot be reached. Required.
	Servers []string
	// Join lists gossip addresses (host:port) to join as role "client".
	// Empty: no gossip; the agent only talks to Servers.
	Join []string
	// BindAddr is the address the client endpoint and gossip listen on.
	BindAddr string
	// AdvertiseAddr is the address servers and peers use to reach this node
	// (the Node's InternalIP). Empty: BindAddr, which must then not be 0.0.0.0.
	AdvertiseAddr string
	// GossipPort is the gossip port when Join is set; 0 picks a free port.
	GossipPort int
	// ClientPort is the logs/exec endpoint's port; 0 picks a free port
	// (ClientAddr tells which).
	ClientPort int
	// Runtime is "docker" (the real engine) or "fake" (hollow containers).
	// Ignored by NewWithRuntime.
	Runtime string
	// DockerHost is the engine address for the docker runtime; empty means
	// DOCKER_HOST, then the platform default.
	DockerHost string
	// InfraImage is the sandbox image for the docker runtime; empty means the
	// runtime's default (berth/pause:<hash of the binary>).
	InfraImage string
	// PodNetwork is the engine network pods join; created if absent.
	PodNetwork string
	// NodeLabels are added to the Node's labels (--node-label k=v).
	NodeLabels map[string]string
	// StatusInterval is how often the Node's Ready condition is refreshed and
	// every pod is re-synced as a safety net for missed engine events.
	StatusInterval time.Duration
	// Version is reported in the Node's nodeInfo.kubeletVersion.
	Version string
	// Count is how many nodes this process runs. 0 or 1: one agent named Name
	// (New). More: that many hollow nodes on the fake runtime (NewHollow),
	// named NamePrefix-0 … NamePrefix-(Count-1), for scale tests. Hollow nodes
	// need Servers (they do not gossip) and keep nothing in DataDir.
	Count int
	// NamePrefix starts the names of hollow nodes; empty means Name.
	NamePrefix string
	// Logger receives the agent's logs; nil means slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns the settings Berth ships, each with its reason.
func DefaultConfig() Config {
	return Config{
		DataDir: "/var/lib/berth",
		// Loopback unless told otherwise: the endpoint runs exec in containers
		// and must not face a network by accident.
		BindAddr:   "127.0.0.1",
		GossipPort: DefaultGossipPort,
		ClientPort: DefaultClientPort,
		Runtime:    RuntimeDocker,
		PodNetwork: DefaultPodNetwork,
		// The kubelet's node status frequency: often enough for a node
		// lifecycle controller with a 40 s grace, rare enough that a thousand
		// nodes cost a few Raft writes a second.
		StatusInterval: 10 * time.Second,
		Version:        "dev",
	}
}

// Validate reports everything wrong with the config at once.
func (c Config) Validate() error {
	var errs []error
	switch {
	case c.Count > 1:
		errs = append(errs, c.validateHollow()...)
	case c.Count < 0:
		errs = append(errs, fmt.Errorf("client: --count %d must not be negative", c.Count))
	case c.Name == "":
		errs = append(errs, errors.New("client: --name is required"))
	case len(c.Name) > 253 || !dns1123Subdomain.MatchString(c.Name):
		errs = append(errs, fmt.Errorf("client: --name %q must be a lowercase DNS-1123 subdomain", c.Name))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("client: --data-dir is required"))
	}
	if len(c.Servers) == 0 && len(c.Join) == 0 {
		errs = append(errs, errors.New("client: give --servers URL (the API) or --join ADDR (find the servers by gossip)"))
	}
	for _, s := range c.Servers {
		if u, err := url.Parse(s); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			errs = append(errs, fmt.Errorf("client: --servers %q is not an http(s) URL", s))
		}
	}
	if net.ParseIP(c.BindAddr) == nil {
		errs = append(errs, fmt.Errorf("client: --bind %q is not an IP address", c.BindAddr))
	}
	if c.AdvertiseAddr != "" && net.ParseIP(c.AdvertiseAddr) == nil {
		errs = append(errs, fmt.Errorf("client: --advertise %q is not an IP address", c.AdvertiseAddr))
	}
	if ip := net.ParseIP(c.advertise()); ip != nil && ip.IsUnspecified() {
		errs = append(errs, errors.New("client: --advertise is required when --bind is 0.0.0.0"))
	}
	for name, p := range map[string]int{"gossip": c.GossipPort, "client": c.ClientPort} {
		if p < 0 || p > 65535 {
			errs = append(errs, fmt.Errorf("client: --%s-port %d is out of range", name, p))
		}
	}
	if c.Runtime != RuntimeDocker && c.Runtime != RuntimeFake {
		errs = append(errs, fmt.Errorf("client: --runtime %q is not docker or fake", c.Runtime))
	}
	if c.PodNetwork == "" {
		errs = append(errs, errors.New("client: --pod-network must not be empty"))
	}
	for k, v := range c.NodeLabels {
		if k == "" || len(k) > 253 || len(v) > 63 || strings.ContainsAny(k+v, " \t\n=,") {
			errs = append(errs, fmt.Errorf("client: --node-label %q=%q is not a valid label", k, v))
		}
	}
	if c.StatusInterval <= 0 {
		errs = append(errs, errors.New("client: StatusInterval must be positive"))
	}
	return errors.Join(errs...)
}

// MaxHollowNodes bounds Count: a /8 cluster CIDR holds 65,536 pod CIDRs.
const MaxHollowNodes = 65536

// validateHollow checks what running Count > 1 hollow nodes needs.
func (c Config) validateHollow() []error {
	var errs []error
	if c.Count > MaxHollowNodes {
		errs = append(errs, fmt.Errorf("client: --count %d is more than %d", c.Count, MaxHollowNodes))
	}
	if c.Runtime != RuntimeFake {
		errs = append(errs, fmt.Errorf("client: --count %d needs --runtime fake (hollow nodes), not %q", c.Count, c.Runtime))
	}
	if len(c.Servers) == 0 {
		errs = append(errs, errors.New("client: --count > 1 needs --servers: hollow nodes do not gossip"))
	}
	last := c.nodeName(c.Count - 1)
	if len(last) > 253 || !dns1123Subdomain.MatchString(last) {
		errs = append(errs, fmt.Errorf("client: --name-prefix %q gives node names like %q that are not lowercase DNS-1123 subdomains", c.prefix(), last))
	}
	return errs
}

// NodeNames lists the names of the nodes this config runs: Name alone, or the
// Count hollow nodes.
func (c Config) NodeNames() []string {
	if c.Count <= 1 {
		return []string{c.Name}
	}
	out := make([]string, c.Count)
	for i := range out {
		out[i] = c.nodeName(i)
	}
	return out
}

func (c Config) prefix() string {
	if c.NamePrefix != "" {
		return c.NamePrefix
	}
	return c.Name
}

// nodeName is the name of hollow node i.
func (c Config) nodeName(i int) string { return c.prefix() + "-" + strconv.Itoa(i) }

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
