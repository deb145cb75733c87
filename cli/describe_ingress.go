package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/api"
)

// The describers of Ingresses and IngressClasses, in kubectl's words.
func init() {
	kindDescribers["ingresses"] = describeIngress
	kindDescribers["ingressclasses"] = describeIngressClass
}

func describeIngress(d *describer, u fields) {
	ns := u.namespace()
	d.line(0, "Address", ingressAddress(u))
	d.line(0, "Ingress Class", orNone(u.str("spec", "ingressClassName")))
	def := "<default>"
	if b := u.obj("spec", "defaultBackend"); b != nil {
		def = d.ingressBackend(ns, b)
	}
	d.line(0, "Default backend", def)
	if tls := u.list("spec", "tls"); len(tls) > 0 {
		d.header(0, "TLS")
		for _, t := range tls {
			hosts := orNone(strings.Join(t.strs("hosts"), ","))
			if name := t.str("secretName"); name != "" {
				fmt.Fprintf(d.tw, "  %s terminates %s\n", name, hosts)
			} else {
				fmt.Fprintf(d.tw, "  SNI routes %s\n", hosts)
			}
		}
	}
	d.header(0, "Rules")
	fmt.Fprintln(d.tw, "  Host\tPath\tBackends")
	fmt.Fprintln(d.tw, "  ----\t----\t--------")
	rules := u.list("spec", "rules")
	if len(rules) == 0 {
		fmt.Fprintf(d.tw, "  *\t*\t%s\n", cell(def))
	}
	for _, r := range rules {
		host := r.str("host")
		if host == "" {
			host = "*"
		}
		fmt.Fprintf(d.tw, "  %s\t\t\n", cell(host))
		for _, p := range r.list("http", "paths") {
			path := p.str("path")
			if path == "" {
				path = "*"
			}
			if pt := p.str("pathType"); pt != "" {
				path += " (" + pt + ")"
			}
			fmt.Fprintf(d.tw, "  \t%s\t%s\n", cell(path), cell(d.ingressBackend(ns, p.obj("backend"))))
		}
	}
}

// ingressBackend prints "service:port (endpoints)" or the resource a backend names.
func (d *describer) ingressBackend(ns string, b fields) string {
	if svc := b.obj("service"); svc != nil {
		name := svc.str("name")
		port := svc.str("port", "name")
		if n := svc.num("port", "number"); n != 0 {
			port = strconv.FormatInt(n, 10)
		}
		return fmt.Sprintf("%s:%s (%s)", name, port, d.backendEndpoints(ns, name, int32(svc.num("port", "number")), svc.str("port", "name")))
	}
	if r := b.obj("resource"); r != nil {
		return fmt.Sprintf("APIGroup: %s, Kind: %s, Name: %s", r.str("apiGroup"), r.str("kind"), r.str("name"))
	}
	return "<none>"
}

// backendEndpoints lists the ready "ip:port" pairs behind one port of a Service, the
// port named by its number or its name.
func (d *describer) backendEndpoints(ns, svcName string, number int32, portName string) string {
	svcRes, _ := api.ResourceForKind("Service")
	epRes, _ := api.ResourceForKind("Endpoints")
	opts := api.GetOptions{Consistent: !d.o.stale}
	obj, err := d.c.Get(d.ctx, svcRes, ns, svcName, opts)
	if err != nil {
		return "<error: " + oneLine(err.Error()) + ">"
	}
	svc, ok := obj.(*api.Service)
	if !ok {
		return "<none>"
	}
	var sp *api.ServicePort
	for i, p := range svc.Spec.Ports {
		if (number != 0 && p.Port == number) || (portName != "" && p.Name == portName) {
			sp = &svc.Spec.Ports[i]
		}
	}
	if sp == nil {
		return fmt.Sprintf("<error: service %q has no such port>", svcName)
	}
	obj, err = d.c.Get(d.ctx, epRes, ns, svcName, opts)
	if err != nil {
		return "<error: " + oneLine(err.Error()) + ">"
	}
	ep, ok := obj.(*api.Endpoints)
	if !ok {
		return "<none>"
	}
	var eps []string
	for _, s := range ep.Subsets {
		for _, p := range s.Ports {
			if p.Name != sp.Name && len(s.Ports) > 1 {
				continue
			}
			for _, a := range s.Addresses {
				eps = append(eps, fmt.Sprintf("%s:%d", a.IP, p.Port))
			}
		}
	}
	if len(eps) == 0 {
		return "<none>"
	}
	return strings.Join(eps, ",")
}

func describeIngressClass(d *describer, u fields) {
	d.line(0, "Controller", u.str("spec", "controller"))
	p := u.obj("spec", "parameters")
	if p == nil {
		d.line(0, "Parameters", "<none>")
		return
	}
	d.header(0, "Parameters")
	d.line(1, "APIGroup", orNone(p.str("apiGroup")))
	d.line(1, "Kind", p.str("kind"))
	d.line(1, "Name", p.str("name"))
	if s := p.str("scope"); s != "" {
		d.line(1, "Scope", s)
	}
	if n := p.str("namespace"); n != "" {
		d.line(1, "Namespace", n)
	}
}
