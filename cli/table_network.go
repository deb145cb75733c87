package cli

import (
	"fmt"
	"strings"
)

var serviceTable = tableDef{
	headers: []string{"NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"},
	row: func(r rowInput) []string {
		typ := serviceType(r.u)
		clusterIP := r.u.str("spec", "clusterIP")
		if typ == "ExternalName" {
			clusterIP = "" // kubectl shows <none> even when a manifest says None
		}
		return []string{r.name, typ, orNone(clusterIP), serviceExternalIPs(r.u),
			servicePorts(r.u), age(r)}
	},
}

func serviceExternalIPs(u fields) string {
	if serviceType(u) == "ExternalName" {
		return orNone(u.str("spec", "externalName"))
	}
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

// endpointsList prints up to max ready "ip:port" pairs and how many more there are.
func endpointsList(u fields, max int) string { return endpointsOf(u, "", false, max) }
