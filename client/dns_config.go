package client

import (
	"fmt"
	"net/netip"

	"github.com/miekg/dns"

	"github.com/berth-dev/berth/dnsd"
)

// DefaultClusterDomain is the cluster's DNS domain unless --cluster-domain says
// otherwise (Kubernetes' default).
const DefaultClusterDomain = "cluster.local"

// validateDNS checks the DNS settings of the config.
func (c Config) validateDNS() []error {
	var errs []error
	if c.DNSPort > 65535 {
		errs = append(errs, fmt.Errorf("client: --dns-port %d is out of range", c.DNSPort))
	}
	for _, u := range c.DNSUpstreams {
		if _, err := dnsd.NormalizeUpstream(u); err != nil {
			errs = append(errs, fmt.Errorf("client: --dns-upstream: %w", err))
		}
	}
	for _, s := range c.ClusterDNS {
		if _, err := netip.ParseAddr(s); err != nil {
			errs = append(errs, fmt.Errorf("client: --cluster-dns %q is not an IP address (a pod's resolver always uses port 53)", s))
		}
	}
	if _, ok := dns.IsDomainName(c.clusterDomain()); !ok {
		errs = append(errs, fmt.Errorf("client: --cluster-domain %q is not a domain name", c.ClusterDomain))
	}
	return errs
}

// clusterDomain is ClusterDomain or its default.
func (c Config) clusterDomain() string {
	if c.ClusterDomain == "" {
		return DefaultClusterDomain
	}
	return c.ClusterDomain
}
