package ingress

import (
	"net"
	"strconv"

	"github.com/berth-dev/berth/api"
)

// resolve lists the ready "ip:port" endpoints of a Service port named by an
// Ingress backend. Nil when the Service, the port or the Endpoints is missing, or
// when no endpoint is ready: the proxy answers 503.
func resolve(s *snapshot, ns string, sb *api.IngressServiceBackend) []string {
	svc := s.services[ns+"/"+sb.Name]
	if svc == nil {
		return nil
	}
	sp := servicePort(svc, sb.Port)
	if sp == nil {
		return nil
	}
	ep := s.endpoints[ns+"/"+sb.Name]
	if ep == nil {
		return nil
	}
	var out []string
	for _, sub := range ep.Subsets {
		port, ok := endpointPort(sub.Ports, sp)
		if !ok {
			continue
		}
		p := strconv.Itoa(int(port))
		for _, a := range sub.Addresses {
			if a.IP != "" {
				out = append(out, net.JoinHostPort(a.IP, p))
			}
		}
	}
	return out
}

// servicePort finds the TCP port a backend names, by number or by name.
func servicePort(svc *api.Service, want api.ServiceBackendPort) *api.ServicePort {
	for i := range svc.Spec.Ports {
		p := &svc.Spec.Ports[i]
		if p.Protocol != "" && p.Protocol != api.ProtocolTCP {
			continue
		}
		if (want.Number != 0 && p.Port == want.Number) || (want.Name != "" && p.Name == want.Name) {
			return p
		}
	}
	return nil
}

// endpointPort finds, in one subset, the port that carries a Service port: the
// one of the same name (the endpoints controller names them so), else the
// targetPort's number, else the subset's only port when the Service has a single
// unnamed one.
func endpointPort(ports []api.EndpointPort, sp *api.ServicePort) (int32, bool) {
	tcp := ports[:0:0]
	for _, p := range ports {
		if p.Protocol == "" || p.Protocol == api.ProtocolTCP {
			tcp = append(tcp, p)
		}
	}
	for _, p := range tcp {
		if p.Name == sp.Name {
			return p.Port, true
		}
	}
	target := sp.Port
	switch {
	case sp.TargetPort.Type == api.TypeString:
		target = 0 // a container port name: only the endpoints' names can tell
	case sp.TargetPort.IntVal != 0:
		target = sp.TargetPort.IntVal
	}
	for _, p := range tcp {
		if target != 0 && p.Port == target {
			return p.Port, true
		}
	}
	if len(tcp) == 1 && sp.Name == "" {
		return tcp[0].Port, true
	}
	return 0, false
}
