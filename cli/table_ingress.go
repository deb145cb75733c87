package cli

import (
	"fmt"
	"strings"
)

// The Ingress and IngressClass tables, in kubectl's columns.
func init() {
	tableDefs["ingresses"] = ingressTable
	tableDefs["ingressclasses"] = ingressClassTable
}

var ingressTable = tableDef{
	headers: []string{"NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"},
	row: func(r rowInput) []string {
		return []string{r.name, orNone(r.u.str("spec", "ingressClassName")), ingressHosts(r.u),
			ingressAddress(r.u), ingressPorts(r.u), age(r)}
	},
}

// ingressHosts lists the rules' hosts, "*" when no rule names one, at most three
// then how many more (kubectl's formatHosts).
func ingressHosts(u fields) string {
	var hosts []string
	for _, r := range u.list("spec", "rules") {
		if h := r.str("host"); h != "" {
			hosts = append(hosts, h)
		}
	}
	switch {
	case len(hosts) == 0:
		return "*"
	case len(hosts) > 3:
		return strings.Join(hosts[:3], ",") + fmt.Sprintf(" + %d more...", len(hosts)-3)
	}
	return strings.Join(hosts, ",")
}

// ingressAddress lists the ingress points of the status, IPs or host names.
func ingressAddress(u fields) string {
	var addrs []string
	for _, ing := range u.list("status", "loadBalancer", "ingress") {
		if ip := ing.str("ip"); ip != "" {
			addrs = append(addrs, ip)
		} else if host := ing.str("hostname"); host != "" {
			addrs = append(addrs, host)
		}
	}
	return strings.Join(addrs, ",")
}

// ingressPorts is "80", or "80, 443" when the Ingress terminates TLS.
func ingressPorts(u fields) string {
	if len(u.list("spec", "tls")) > 0 {
		return "80, 443"
	}
	return "80"
}

var ingressClassTable = tableDef{
	headers: []string{"NAME", "CONTROLLER", "PARAMETERS", "AGE"},
	row: func(r rowInput) []string {
		params := "<none>"
		if p := r.u.obj("spec", "parameters"); p != nil {
			kind := p.str("kind")
			if g := p.str("apiGroup"); g != "" {
				kind += "." + g
			}
			params = kind + "/" + p.str("name")
		}
		return []string{r.name, r.u.str("spec", "controller"), params, age(r)}
	},
}
