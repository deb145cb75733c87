package dnsd

import "net/netip"

// Catalog is what the DNS server reads: the services of the cluster as DNS sees them.
// Implementations must be safe for concurrent use; what they return is shared and
// never modified by the caller. Names are lower case.
type Catalog interface {
	// Service returns the service ns/name, or nil when there is none.
	Service(ns, name string) *Service
	// HasNamespace reports whether ns holds any service, which makes
	// `<ns>.svc.<domain>` an existing name without records (NODATA, not NXDOMAIN).
	HasNamespace(ns string) bool
	// PTR returns what an address maps back to: the services whose ClusterIP it is
	// and the endpoints that have it.
	PTR(ip netip.Addr) []PTRTarget
}

// Service is a service as DNS sees it. It is built once per change and shared.
type Service struct {
	Namespace, Name string
	// ExternalName is the target of an ExternalName service, as an FQDN; empty for
	// every other type.
	ExternalName string
	// Headless services (clusterIP None) answer with their endpoints' addresses.
	Headless bool
	// ClusterIPs are the service's virtual addresses (none for headless and
	// ExternalName services, and before one is allocated).
	ClusterIPs []netip.Addr
	// Ports are the service's ports.
	Ports []Port
	// Endpoints are the addresses DNS publishes: the ready ones, and the not-ready
	// ones too when the service has publishNotReadyAddresses.
	Endpoints []Endpoint
}

// Port is one port of a service or of an endpoint.
type Port struct {
	Name  string // lower case; empty for an unnamed port (no SRV record)
	Proto string // "tcp", "udp" or "sctp"
	Port  uint16
}

// Endpoint is one backend address of a service.
type Endpoint struct {
	IP netip.Addr
	// Label names the endpoint under its service: its hostname, or its address with
	// dashes (10-244-1-5) when it has none.
	Label string
	// Ports are the ports of the endpoint's subset.
	Ports []Port
}

// PTRTarget is one name an address maps back to: the service ns/name itself (Label
// empty) or one of its endpoints (Label set).
type PTRTarget struct {
	Namespace, Name, Label string
}

// hasEndpoint reports whether an endpoint carries label.
func (s *Service) hasEndpoint(label string) bool {
	for i := range s.Endpoints {
		if s.Endpoints[i].Label == label {
			return true
		}
	}
	return false
}

// hasProto reports whether a named port of the service (or, for a headless one, of
// its endpoints) speaks proto: `_proto.svc.ns.svc.<domain>` then exists.
func (s *Service) hasProto(proto string) bool {
	for _, p := range s.Ports {
		if p.Name != "" && p.Proto == proto {
			return true
		}
	}
	return false
}
