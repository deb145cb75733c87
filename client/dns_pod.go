package client

import (
	"bufio"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/berth-dev/berth/api"
)

// Pod DNS: what goes into a sandbox's resolv.conf, by the pod's dnsPolicy and
// dnsConfig, as the kubelet decides it (pkg/kubelet/network/dns).

// Limits the kubelet applies to a pod's resolv.conf (glibc reads at most three
// nameservers; Kubernetes allows 32 search domains).
const (
	maxDNSNameservers = 3
	maxDNSSearches    = 32
)

// resolvConfig is the part of a resolv.conf a pod gets.
type resolvConfig struct {
	Servers  []string // nameserver addresses
	Searches []string
	Options  []string // "ndots:5", "edns0"
}

// podDNSSettings is what the agent knows when it decides a pod's DNS.
type podDNSSettings struct {
	// clusterDNS are the nameservers of dnsPolicy ClusterFirst; none means the
	// node has no cluster DNS for pods.
	clusterDNS []string
	domain     string       // the cluster domain, "cluster.local"
	host       resolvConfig // the node's own /etc/resolv.conf
}

// podDNS decides a pod's resolver settings. An empty result leaves the engine's
// default (the host's resolv.conf). warn is non-empty when the pod asked for
// something the node cannot give (no cluster DNS for ClusterFirst).
func podDNS(pod *api.Pod, s podDNSSettings) (cfg resolvConfig, warn string) {
	policy := pod.Spec.DNSPolicy
	switch {
	case policy == "":
		policy = api.DNSClusterFirst
	case policy == api.DNSClusterFirstWithHostNet:
		policy = api.DNSClusterFirst
	}
	if policy == api.DNSClusterFirst && pod.Spec.HostNetwork && pod.Spec.DNSPolicy != api.DNSClusterFirstWithHostNet {
		policy = api.DNSDefault // the kubelet's rule for host-network pods
	}
	if policy == api.DNSClusterFirst && len(s.clusterDNS) == 0 {
		warn = `the node has no cluster DNS (run the client with --dns or give --cluster-dns) and cannot create the pod with the "ClusterFirst" policy; falling back to "Default"`
		policy = api.DNSDefault
	}
	switch policy {
	case api.DNSClusterFirst:
		d := strings.TrimSuffix(s.domain, ".")
		cfg = resolvConfig{
			Servers:  slices.Clone(s.clusterDNS),
			Searches: append([]string{pod.Namespace + ".svc." + d, "svc." + d, d}, s.host.Searches...),
			Options:  []string{"ndots:5"},
		}
	case api.DNSDefault:
		if pod.Spec.DNSConfig == nil {
			return resolvConfig{}, warn // the engine copies the host's resolv.conf itself
		}
		cfg = resolvConfig{
			Servers:  reachableFromPods(s.host.Servers),
			Searches: slices.Clone(s.host.Searches),
			Options:  slices.Clone(s.host.Options),
		}
	case api.DNSNone:
		// Only what dnsConfig says.
	}
	if dc := pod.Spec.DNSConfig; dc != nil {
		cfg.Servers = appendUnique(cfg.Servers, dc.Nameservers...)
		cfg.Searches = appendUnique(cfg.Searches, dc.Searches...)
		cfg.Options = mergeDNSOptions(cfg.Options, dc.Options)
	}
	cfg.Servers = cfg.Servers[:min(len(cfg.Servers), maxDNSNameservers)]
	cfg.Searches = cfg.Searches[:min(len(cfg.Searches), maxDNSSearches)]
	return cfg, warn
}

// reachableFromPods drops loopback nameservers: inside the pod's network namespace
// they are the pod itself.
func reachableFromPods(servers []string) []string {
	var out []string
	for _, s := range servers {
		if ip, err := netip.ParseAddr(s); err == nil && !ip.IsLoopback() {
			out = append(out, s)
		}
	}
	return out
}

func appendUnique(list []string, more ...string) []string {
	for _, s := range more {
		if s != "" && !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	return list
}

// mergeDNSOptions adds the pod's options to base; a pod option replaces the base
// option of the same name (dnsConfig.options wins, as in Kubernetes).
func mergeDNSOptions(base []string, opts []api.PodDNSConfigOption) []string {
	out := slices.Clone(base)
	for _, o := range opts {
		if o.Name == "" {
			continue
		}
		v := o.Name
		if o.Value != nil {
			v += ":" + *o.Value
		}
		i := slices.IndexFunc(out, func(have string) bool {
			name, _, _ := strings.Cut(have, ":")
			return name == o.Name
		})
		if i >= 0 {
			out[i] = v
		} else {
			out = append(out, v)
		}
	}
	return out
}

// readResolvConf reads the nameservers, search domains and options of a
// resolv.conf; a missing file is an empty config.
func readResolvConf(path string) resolvConfig {
	f, err := os.Open(path)
	if err != nil {
		return resolvConfig{}
	}
	defer f.Close()
	var c resolvConfig
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || strings.HasPrefix(fields[0], "#") || strings.HasPrefix(fields[0], ";") {
			continue
		}
		switch fields[0] {
		case "nameserver":
			c.Servers = appendUnique(c.Servers, fields[1])
		case "search", "domain": // the last of them wins, as in glibc
			c.Searches = slices.Clone(fields[1:])
		case "options":
			c.Options = appendUnique(c.Options, fields[1:]...)
		}
	}
	return c
}
