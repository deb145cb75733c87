package proxy

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/api"
)

// DefaultAffinitySeconds is how long ClientIP affinity sticks when the
// Service does not say (Kubernetes' default: three hours).
const DefaultAffinitySeconds = 10800

// ServicePort is one port of one Service as the rules need it: where it
// listens and the ready endpoints behind it.
type ServicePort struct {
	Namespace, Name string
	// PortName is the service port's name ("" for a single unnamed port).
	PortName string
	// Protocol is "tcp", "udp" or "sctp".
	Protocol string
	// ClusterIP is the virtual IP; invalid when the Service has none (headless).
	ClusterIP netip.Addr
	Port      int32
	// NodePort is opened on every local address; 0 means none.
	NodePort int32
	// AffinitySeconds > 0 sends a client back to the endpoint it had within
	// that many seconds (sessionAffinity ClientIP).
	AffinitySeconds int32
	// Endpoints are the ready backends, sorted; empty means REJECT.
	Endpoints []netip.AddrPort
}

// key identifies the service port in chain hashes and comments.
func (sp ServicePort) key() string {
	return sp.Namespace + "/" + sp.Name + ":" + sp.portLabel() + "/" + sp.Protocol
}

// portLabel is the port's name, or its number when unnamed.
func (sp ServicePort) portLabel() string {
	if sp.PortName != "" {
		return sp.PortName
	}
	return strconv.Itoa(int(sp.Port))
}

// BuildPorts turns Services and their Endpoints (by "namespace/name") into the
// service ports the proxy serves, sorted. Services without a ClusterIP or
// NodePort (headless, ExternalName) and IPv6 addresses are left out;
// malformed fields skip the one port or address, never the rest.
func BuildPorts(services []*api.Service, endpoints map[string]*api.Endpoints) []ServicePort {
	var out []ServicePort
	for _, svc := range services {
		if svc == nil || svc.Spec.Type == api.ServiceTypeExternalName {
			continue
		}
		cip, _ := netip.ParseAddr(svc.Spec.ClusterIP)
		if !cip.Is4() {
			cip = netip.Addr{}
		}
		ep := endpoints[svc.Namespace+"/"+svc.Name]
		for _, p := range svc.Spec.Ports {
			sp := ServicePort{
				Namespace: svc.Namespace, Name: svc.Name, PortName: p.Name,
				Protocol: protocol(p.Protocol), ClusterIP: cip, Port: p.Port,
				AffinitySeconds: affinity(svc.Spec),
			}
			if hasNodePorts(svc.Spec.Type) && p.NodePort > 0 && p.NodePort <= 65535 {
				sp.NodePort = p.NodePort
			}
			if sp.Protocol == "" || (!cip.IsValid() && sp.NodePort == 0) || (cip.IsValid() && (p.Port <= 0 || p.Port > 65535)) {
				continue
			}
			sp.Endpoints = readyEndpoints(ep, p.Name, sp.Protocol)
			out = append(out, sp)
		}
	}
	slices.SortFunc(out, func(a, b ServicePort) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Port, b.Port), cmp.Compare(a.Protocol, b.Protocol), cmp.Compare(a.PortName, b.PortName))
	})
	return out
}

func hasNodePorts(typ string) bool {
	return typ == api.ServiceTypeNodePort || typ == api.ServiceTypeLoadBalancer
}

// protocol lower-cases a Kubernetes protocol ("" is TCP); unknown ones give "".
func protocol(p string) string {
	switch strings.ToUpper(p) {
	case "", "TCP":
		return "tcp"
	case "UDP":
		return "udp"
	case "SCTP":
		return "sctp"
	}
	return ""
}

// affinity is the ClientIP affinity timeout in seconds, 0 without affinity.
func affinity(spec api.ServiceSpec) int32 {
	if spec.SessionAffinity != api.SessionAffinityClientIP {
		return 0
	}
	if c := spec.SessionAffinityConfig; c != nil && c.ClientIP != nil && c.ClientIP.TimeoutSeconds != nil {
		if s := *c.ClientIP.TimeoutSeconds; s > 0 {
			return s
		}
	}
	return DefaultAffinitySeconds
}

// readyEndpoints collects the ready addresses of ep that serve the port named
// portName, deduplicated and sorted.
func readyEndpoints(ep *api.Endpoints, portName, proto string) []netip.AddrPort {
	if ep == nil {
		return nil
	}
	var out []netip.AddrPort
	for _, sub := range ep.Subsets {
		port := int32(0)
		for _, p := range sub.Ports {
			if p.Name == portName && protocol(p.Protocol) == proto {
				port = p.Port
				break
			}
		}
		if port <= 0 || port > 65535 {
			continue
		}
		for _, a := range sub.Addresses {
			ip, err := netip.ParseAddr(a.IP)
			if err != nil || !ip.Is4() {
				continue
			}
			out = append(out, netip.AddrPortFrom(ip, uint16(port)))
		}
	}
	slices.SortFunc(out, func(a, b netip.AddrPort) int { return a.Compare(b) })
	return slices.Compact(out)
}
