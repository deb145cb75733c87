package api

import (
	"fmt"
	"net/netip"
)

// The NodePort range Berth allocates from by default, as Kubernetes'. The server
// checks a Service's node ports against its configured range (a flag), not here.
const (
	NodePortMin = 30000
	NodePortMax = 32767
)

func validateService(l *errs, svc *Service) {
	s := &svc.Spec
	l.oneOf("spec.type", s.Type, true, ServiceTypeClusterIP, ServiceTypeExternalName, ServiceTypeLoadBalancer, ServiceTypeNodePort)
	l.oneOf("spec.sessionAffinity", s.SessionAffinity, true, SessionAffinityClientIP, SessionAffinityNone)
	validateLabels(l, "spec.selector", s.Selector)
	if s.Type == ServiceTypeExternalName {
		validateExternalNameService(l, s)
		return
	}
	if s.ExternalName != "" {
		l.forbidden("spec.externalName", "may only be set when `type` is 'ExternalName'")
	}
	headless := s.ClusterIP == ClusterIPNone
	if len(s.Ports) == 0 && !headless {
		l.required("spec.ports", "")
	}
	validateClusterIPs(l, s)
	validateServicePorts(l, s)
	switch s.ExternalTrafficPolicy {
	case "":
	case "Cluster", "Local":
		if s.Type != ServiceTypeNodePort && s.Type != ServiceTypeLoadBalancer {
			l.invalid("spec.externalTrafficPolicy", s.ExternalTrafficPolicy, "may only be set when `type` is 'NodePort' or 'LoadBalancer'")
		}
	default:
		l.unsupported("spec.externalTrafficPolicy", s.ExternalTrafficPolicy, "Cluster", "Local")
	}
	if s.InternalTrafficPolicy != nil {
		l.oneOf("spec.internalTrafficPolicy", *s.InternalTrafficPolicy, false, "Cluster", "Local")
	}
	for i, ip := range s.ExternalIPs {
		if _, err := netip.ParseAddr(ip); err != nil {
			l.invalid(fmt.Sprintf("spec.externalIPs[%d]", i), ip, "must be a valid IP address")
		}
	}
	if s.SessionAffinityConfig != nil && s.SessionAffinityConfig.ClientIP != nil {
		if t := s.SessionAffinityConfig.ClientIP.TimeoutSeconds; t != nil && (*t <= 0 || *t > 86400) {
			l.invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds", *t, "must be greater than 0 and less than 86400")
		}
	}
}

func validateExternalNameService(l *errs, s *ServiceSpec) {
	if s.ExternalName == "" {
		l.required("spec.externalName", "")
	} else {
		l.name("spec.externalName", s.ExternalName, isDNS1123Subdomain)
	}
	if s.ClusterIP != "" && s.ClusterIP != ClusterIPNone {
		l.forbidden("spec.clusterIP", "may not be set for ExternalName services")
	}
	for i, p := range s.Ports {
		l.portNumber(fmt.Sprintf("spec.ports[%d].port", i), p.Port)
	}
}

func validateClusterIPs(l *errs, s *ServiceSpec) {
	if s.ClusterIP != "" && s.ClusterIP != ClusterIPNone {
		if _, err := netip.ParseAddr(s.ClusterIP); err != nil {
			l.invalid("spec.clusterIP", s.ClusterIP, "must be empty, 'None', or a valid IP address")
		}
	}
	if len(s.ClusterIPs) > 0 && s.ClusterIP != "" && s.ClusterIPs[0] != s.ClusterIP {
		l.invalid("spec.clusterIPs", s.ClusterIPs[0], "must match `clusterIP` when set")
	}
	if s.ClusterIP == ClusterIPNone && s.Type != "" && s.Type != ServiceTypeClusterIP {
		l.invalid("spec.clusterIP", s.ClusterIP, "may not be set to 'None' for "+s.Type+" services")
	}
}

func validateServicePorts(l *errs, s *ServiceSpec) {
	names := map[string]bool{}
	type portKey struct {
		port     int32
		protocol string
	}
	seen := map[portKey]bool{}
	for i, p := range s.Ports {
		f := fmt.Sprintf("spec.ports[%d]", i)
		switch {
		case len(s.Ports) > 1 && p.Name == "":
			l.required(f+".name", "")
		case p.Name != "" && names[p.Name]:
			l.duplicate(f+".name", p.Name)
		case p.Name != "":
			l.name(f+".name", p.Name, isDNS1123Label)
		}
		names[p.Name] = true
		l.portNumber(f+".port", p.Port)
		l.oneOf(f+".protocol", p.Protocol, true, ProtocolSCTP, ProtocolTCP, ProtocolUDP)
		key := portKey{p.Port, p.Protocol}
		if key.protocol == "" {
			key.protocol = ProtocolTCP
		}
		if seen[key] {
			l.duplicate(f, fmt.Sprintf("%d/%s", p.Port, key.protocol))
		}
		seen[key] = true
		if !p.TargetPort.IsZero() {
			validatePortRef(l, f+".targetPort", p.TargetPort)
		}
		if p.NodePort != 0 {
			if s.Type == "" || s.Type == ServiceTypeClusterIP {
				l.forbidden(f+".nodePort", "may not be used when `type` is 'ClusterIP'")
			} else {
				l.portNumber(f+".nodePort", p.NodePort)
			}
		}
	}
}
