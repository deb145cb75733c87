package cli

import (
	"fmt"
	"strings"
)

var serviceTable = tableDef{
	headers: []string{"NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"},
	row: func(r rowInput) []string {
		typ := r.u.str("spec", "type")
		if typ == "" {
			typ = "ClusterIP"
		}
		return []string{r.name, typ, orNone(r.u.str("spec", "clusterIP")), serviceExternalIPs(r.u),
			servicePorts(r.u), age(r)}
	},
}

func serviceExternalIPs(u fields) string {
	ips := u.strs("spec", "externalIPs")
	for _, ing := range u.list("status", "loadBalancer", "ingress") {
		if ip := ing.str("ip"); ip != "" {
			ips = append(ips, ip)
		} else if host := ing.str("hostname"); host != "" {
			ips = append(ips, host)
		}
	}
	if len(ips) == 0 {
		if u.str("spec", "type") == "LoadBalancer" {
			return "<pending>"
		}
		return "<none>"
	}
	return strings.Join(ips, ",")
}

// servicePorts prints "80/TCP" or "80:30080/TCP" for a node port.
func servicePorts(u fields) string {
	var parts []string
	for _, p := range u.list("spec", "ports") {
		proto := p.str("protocol")
		if proto == "" {
			proto = "TCP"
		}
		if np := p.num("nodePort"); np != 0 {
			parts = append(parts, fmt.Sprintf("%d:%d/%s", p.num("port"), np, proto))
		} else {
			parts = append(parts, fmt.Sprintf("%d/%s", p.num("port"), proto))
		}
	}
	return orNone(strings.Join(parts, ","))
}

var endpointsTable = tableDef{
	headers: []string{"NAME", "ENDPOINTS", "AGE"},
	row: func(r rowInput) []string {
		return []string{r.name, endpointsList(r.u, 3), age(r)}
	},
}

// endpointsList prints up to max "ip:port" pairs and how many more there are.
func endpointsList(u fields, max int) string {
	var eps []string
	for _, s := range u.list("subsets") {
		ports := s.list("ports")
		for _, a := range s.list("addresses") {
			ip := a.str("ip")
			if len(ports) == 0 {
				eps = append(eps, ip)
			}
			for _, p := range ports {
				eps = append(eps, fmt.Sprintf("%s:%d", ip, p.num("port")))
			}
		}
	}
	if len(eps) == 0 {
		return "<none>"
	}
	if len(eps) > max {
		return strings.Join(eps[:max], ",") + fmt.Sprintf(" + %d more...", len(eps)-max)
	}
	return strings.Join(eps, ",")
}
