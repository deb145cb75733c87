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
	// Token is the bearer token the agent sends to the servers (`--token`); "" sends
	// none, which only a cluster without --auth accepts. It should authenticate a
	// user in group system:nodes (ClusterRole berth:node).
	Token string
	// TLS is the node's certificate and how it gets one (tls.go); nil is
	// `--insecure-dev`: plain HTTP to the servers.
	TLS *TLSConfig
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
	// SharedPodNetwork makes PodNetwork's subnet the whole cluster CIDR (asked
	// of the servers), so every client on one engine can join the same network
	// and their pods reach each other; each client still hands out addresses
	// from its own /24. False: the network holds the node's /24 only, one
	// network per client (a machine per client, the default).
	SharedPodNetwork bool
	// Proxy runs the service proxy (client/proxy): iptables rules for every
	// ClusterIP and NodePort. It needs root and the docker runtime. False (the
	// library default; `berth client` turns it on with docker): no Services.
	Proxy bool
	// NetworkPolicy enforces the cluster's NetworkPolicies for this node's pods
	// (client/netpol): iptables filter rules. It needs root and the docker
	// runtime. False (the library default; `berth client` turns it on with
	// docker): every pod is open.
	NetworkPolicy bool
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
	// IngressHTTPPort and IngressHTTPSPort serve the cluster's Ingresses over HTTP
	// and HTTPS (client/ingress); 0 leaves that listener off, the default.
	IngressHTTPPort, IngressHTTPSPort int
	// IngressBindAddr is the address the ingress listens on; empty means BindAddr.
	IngressBindAddr string
	// DNS runs a node-local copy of the cluster DNS fed by a watch of the API
	// (`--dns`) and makes it the nameserver of ClusterFirst pods, which reach it
	// on the pod network's gateway address, port 53 (root needed).
	DNS bool
	// DNSPort is where the node-local DNS also answers the host, at BindAddr
	// (`--dns-port`, 53): 0 picks a free port, negative answers pods only.
	DNSPort int
	// DNSUpstreams are the resolvers of the node-local DNS for names outside the
	// cluster (`--dns-upstream`); nil means the nameservers of /etc/resolv.conf.
	DNSUpstreams []string
	// ClusterDNS are the nameserver addresses ClusterFirst pods get without DNS
	// (`--cluster-dns`, the kubelet's flag): servers answering on port 53 at an
	// address pods reach. Empty (and no DNS): such pods fall back to "Default".
	ClusterDNS []string
	// ClusterDomain is the cluster's DNS domain (`--cluster-domain`); empty means
	// cluster.local.
	ClusterDomain string
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
		// A pod's resolver always asks port 53; the host's stub resolvers too.
		DNSPort:       53,
		ClusterDomain: DefaultClusterDomain,
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
	if c.IngressBindAddr != "" && net.ParseIP(c.IngressBindAddr) == nil {
		errs = append(errs, fmt.Errorf("client: --ingress-bind %q is not an IP address", c.IngressBindAddr))
	}
	for name, p := range map[string]int{"gossip": c.GossipPort, "client": c.ClientPort,
		"ingress-http": c.IngressHTTPPort, "ingress-https": c.IngressHTTPSPort} {
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
	if c.Proxy && c.Runtime != RuntimeDocker {
		errs = append(errs, fmt.Errorf("client: --proxy needs --runtime docker, not %q (hollow pods have no network)", c.Runtime))
	}
	if c.NetworkPolicy && c.Runtime != RuntimeDocker {
		errs = append(errs, fmt.Errorf("client: --network-policy needs --runtime docker, not %q (hollow pods have no network)", c.Runtime))
	}
	for k, v := range c.NodeLabels {
		if k == "" || len(k) > 253 || len(v) > 63 || strings.ContainsAny(k+v, " \t\n=,") {
			errs = append(errs, fmt.Errorf("client: --node-label %q=%q is not a valid label", k, v))
		}
	}
	if c.StatusInterval <= 0 {
		errs = append(errs, errors.New("client: StatusInterval must be positive"))
	}
	errs = append(errs, c.validateDNS()...)
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
