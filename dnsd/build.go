package dnsd

import (
	"net/netip"
	"strings"

	"github.com/miekg/dns"

	"github.com/berth-dev/berth/api"
)

// buildService turns a Service and its Endpoints into what DNS publishes. podHostname
// gives the hostname a pod asks for under a subdomain ("" if none).
func buildService(svc *api.Service, ep *api.Endpoints, podHostname func(ns, pod, subdomain string) string) *Service {
	v := &Service{Namespace: svc.Namespace, Name: svc.Name, Ports: servicePorts(svc.Spec.Ports)}
	if svc.Spec.Type == api.ServiceTypeExternalName {
		if name := strings.TrimSpace(svc.Spec.ExternalName); name != "" {
			if _, ok := dns.IsDomainName(name); ok {
				v.ExternalName = dns.CanonicalName(name)
			}
		}
		return v
	}
	v.Headless = svc.Spec.ClusterIP == api.ClusterIPNone
	if !v.Headless {
		v.ClusterIPs = clusterIPs(svc.Spec)
	}
	if ep != nil {
		v.Endpoints = endpointsOf(svc, ep, podHostname)
	}
	return v
}

func clusterIPs(spec api.ServiceSpec) []netip.Addr {
	raw := spec.ClusterIPs
	if len(raw) == 0 && spec.ClusterIP != "" {
		raw = []string{spec.ClusterIP}
	}
	var out []netip.Addr
	for _, s := range raw {
		if ip, err := netip.ParseAddr(s); err == nil {
			out = append(out, ip.Unmap())
		}
	}
	return out
}

func servicePorts(ps []api.ServicePort) []Port {
	out := make([]Port, 0, len(ps))
	for _, p := range ps {
		if p.Port <= 0 || p.Port > 65535 {
			continue
		}
		out = append(out, Port{Name: strings.ToLower(p.Name), Proto: protoOf(p.Protocol), Port: uint16(p.Port)})
	}
	return out
}

func endpointPorts(ps []api.EndpointPort) []Port {
	out := make([]Port, 0, len(ps))
	for _, p := range ps {
		if p.Port <= 0 || p.Port > 65535 {
			continue
		}
		out = append(out, Port{Name: strings.ToLower(p.Name), Proto: protoOf(p.Protocol), Port: uint16(p.Port)})
	}
	return out
}

// protoOf is a port's protocol as an SRV label wants it; Kubernetes' default is TCP.
func protoOf(p string) string {
	if p == "" {
		return "tcp"
	}
	return strings.ToLower(p)
}

// endpointsOf lists the addresses DNS publishes, each address once per subset.
func endpointsOf(svc *api.Service, ep *api.Endpoints, podHostname func(ns, pod, subdomain string) string) []Endpoint {
	var out []Endpoint
	seen := map[netip.Addr]bool{}
	add := func(a api.EndpointAddress, ports []Port) {
		ip, err := netip.ParseAddr(a.IP)
		if err != nil {
			return
		}
		ip = ip.Unmap()
		label := strings.ToLower(a.Hostname)
		if label == "" && a.TargetRef != nil && (a.TargetRef.Kind == "" || a.TargetRef.Kind == "Pod") {
			label = podHostname(svc.Namespace, a.TargetRef.Name, svc.Name)
		}
		if label == "" || strings.Contains(label, ".") {
			label = dashed(ip)
		}
		if seen[ip] {
			// One address in several subsets: keep one record, with every port.
			for i := range out {
				if out[i].IP == ip {
					out[i].Ports = append(out[i].Ports[:len(out[i].Ports):len(out[i].Ports)], ports...)
				}
			}
			return
		}
		seen[ip] = true
		out = append(out, Endpoint{IP: ip, Label: label, Ports: ports})
	}
	for _, ss := range ep.Subsets {
		ports := endpointPorts(ss.Ports)
		for _, a := range ss.Addresses {
			add(a, ports)
		}
		if svc.Spec.PublishNotReadyAddresses {
			for _, a := range ss.NotReadyAddresses {
				add(a, ports)
			}
		}
	}
	return out
}

// dashed writes an address as one DNS label: 10-244-1-5, or fd00--1 for IPv6.
func dashed(ip netip.Addr) string {
	if ip.Is4() {
		return strings.ReplaceAll(ip.String(), ".", "-")
	}
	return strings.ReplaceAll(ip.String(), ":", "-")
}
