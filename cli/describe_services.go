package cli

import (
	"fmt"
	"strings"

	"github.com/berth-dev/berth/api"
)

// describeService prints a Service as `kubectl describe service` does: type, IP
// families and addresses, then per port its target, node port and endpoints.
func describeService(d *describer, u fields) {
	d.pairs(0, "Selector", u.strMap("spec", "selector"))
	typ := serviceType(u)
	d.line(0, "Type", typ)
	if p := u.str("spec", "ipFamilyPolicy"); p != "" {
		d.line(0, "IP Family Policy", p)
	}
	if f := u.strs("spec", "ipFamilies"); len(f) > 0 {
		d.line(0, "IP Families", strings.Join(f, ","))
	}
	if typ != "ExternalName" {
		d.line(0, "IP", orNone(u.str("spec", "clusterIP")))
		if ips := u.strs("spec", "clusterIPs"); len(ips) > 0 {
			d.line(0, "IPs", strings.Join(ips, ","))
		}
	}
	if ips := u.strs("spec", "externalIPs"); len(ips) > 0 {
		d.line(0, "External IPs", strings.Join(ips, ","))
	}
	if typ == "ExternalName" {
		d.line(0, "External Name", u.str("spec", "externalName"))
	}
	ep := d.serviceEndpoints(u)
	for _, p := range u.list("spec", "ports") {
		proto := p.str("protocol")
		if proto == "" {
			proto = "TCP"
		}
		name := p.str("name")
		label := name
		if label == "" {
			label = "<unset>"
		}
		d.line(0, "Port", fmt.Sprintf("%s  %d/%s", label, p.num("port"), proto))
		target := p.str("targetPort")
		if target == "" || target == "0" {
			target = fmt.Sprint(p.num("port"))
		}
		d.line(0, "TargetPort", target+"/"+proto)
		if np := p.num("nodePort"); np != 0 {
			d.line(0, "NodePort", fmt.Sprintf("%s  %d/%s", label, np, proto))
		}
		d.line(0, "Endpoints", endpointsOf(ep, name, true, 3))
	}
	if len(u.list("spec", "ports")) == 0 {
		d.line(0, "Endpoints", endpointsOf(ep, "", false, 3))
	}
	aff := u.str("spec", "sessionAffinity")
	if aff == "" {
		aff = "None"
	}
	d.line(0, "Session Affinity", aff)
	if aff == "ClientIP" {
		if t := u.num("spec", "sessionAffinityConfig", "clientIP", "timeoutSeconds"); t != 0 {
			d.line(0, "Session Affinity Timeout", fmt.Sprintf("%ds", t))
		}
	}
	if p := u.str("spec", "externalTrafficPolicy"); p != "" {
		d.line(0, "External Traffic Policy", p)
	}
	if p := u.str("spec", "internalTrafficPolicy"); p != "" {
		d.line(0, "Internal Traffic Policy", p)
	}
}

func serviceType(u fields) string {
	if typ := u.str("spec", "type"); typ != "" {
		return typ
	}
	return "ClusterIP"
}

// serviceEndpoints reads the Endpoints of the Service u, nil when it has none (yet).
func (d *describer) serviceEndpoints(u fields) fields {
	res, ok := api.ResourceForKind("Endpoints")
	if !ok {
		return nil
	}
	obj, err := d.c.Get(d.ctx, res, u.namespace(), u.name(), api.GetOptions{Consistent: !d.o.stale})
	if err != nil {
		return nil
	}
	it, err := newItem(res, obj)
	if err != nil {
		return nil
	}
	return it.u
}

// endpointsOf lists the ready "ip:port" pairs of an Endpoints, of the ports named
// port only when byName is set, at most max of them, as kubectl does:
// "10.244.1.5:8080,10.244.2.7:8080 + 1 more...". A headless Service without ports
// has bare addresses.
func endpointsOf(ep fields, port string, byName bool, max int) string {
	var eps []string
	for _, s := range ep.list("subsets") {
		ports := s.list("ports")
		if len(ports) == 0 {
			for _, a := range s.list("addresses") {
				eps = append(eps, a.str("ip"))
			}
			continue
		}
		for _, p := range ports {
			if byName && p.str("name") != port {
				continue
			}
			for _, a := range s.list("addresses") {
				eps = append(eps, hostPort(a.str("ip"), p.num("port")))
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

// hostPort joins an address and a port, bracketing an IPv6 address.
func hostPort(ip string, port int64) string {
	if strings.Contains(ip, ":") {
		return fmt.Sprintf("[%s]:%d", ip, port)
	}
	return fmt.Sprintf("%s:%d", ip, port)
}

// describeEndpoints prints each subset's ready and not-ready addresses and its
// ports, as `kubectl describe endpoints` does.
func describeEndpoints(d *describer, u fields) {
	d.header(0, "Subsets")
	for _, s := range u.list("subsets") {
		var ready, notReady []string
		for _, a := range s.list("addresses") {
			ready = append(ready, a.str("ip"))
		}
		for _, a := range s.list("notReadyAddresses") {
			notReady = append(notReady, a.str("ip"))
		}
		d.line(1, "Addresses", orNone(strings.Join(ready, ",")))
		d.line(1, "NotReadyAddresses", orNone(strings.Join(notReady, ",")))
		d.header(1, "Ports")
		fmt.Fprintln(d.tw, "    Name\tPort\tProtocol")
		fmt.Fprintln(d.tw, "    ----\t----\t--------")
		for _, p := range s.list("ports") {
			name := p.str("name")
			if name == "" {
				name = "<unset>"
			}
			proto := p.str("protocol")
			if proto == "" {
				proto = "TCP"
			}
			fmt.Fprintf(d.tw, "    %s\t%d\t%s\n", name, p.num("port"), proto)
		}
		fmt.Fprintln(d.tw)
	}
}
