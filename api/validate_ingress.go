package api

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// wildcardDNS1123SubdomainRe is a host of the form "*.example.com": the wildcard
// stands for exactly one label.
var wildcardDNS1123SubdomainRe = regexp.MustCompile(`^\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

// Path pieces Kubernetes refuses in Exact and Prefix paths: they would match
// differently before and after a backend normalises the path.
var (
	invalidPathSequences = []string{"//", "/./", "/../", "%2f", "%2F"}
	invalidPathSuffixes  = []string{"/..", "/."}
)

// maxIngressClassControllerLen is Kubernetes' limit on spec.controller.
const maxIngressClassControllerLen = 250

func isWildcardDNS1123Subdomain(v string) []string {
	var errs []string
	if len(v) > dns1123SubdomainMaxLen {
		errs = append(errs, tooLong(dns1123SubdomainMaxLen))
	}
	if !wildcardDNS1123SubdomainRe.MatchString(v) {
		errs = append(errs, "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid "+
			"DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' "+
			"and end with an alphanumeric character (e.g. '*.example.com')")
	}
	return errs
}

// ingressHost checks a rule's or a TLS entry's host: a DNS name, possibly with a
// one-label wildcard, never an IP address.
func (l *errs) ingressHost(field, host string) {
	if _, err := netip.ParseAddr(host); err == nil {
		l.invalid(field, host, "must be a DNS name, not an IP address")
		return
	}
	if strings.Contains(host, "*") {
		l.name(field, host, isWildcardDNS1123Subdomain)
		return
	}
	l.name(field, host, isDNS1123Subdomain)
}

func validateIngress(l *errs, ing *Ingress) {
	s := &ing.Spec
	if len(s.Rules) == 0 && s.DefaultBackend == nil {
		l.required("spec.rules", "either `defaultBackend` or `rules` must be specified")
	}
	if s.IngressClassName != nil {
		l.name("spec.ingressClassName", *s.IngressClassName, isDNS1123Subdomain)
	}
	if s.DefaultBackend != nil {
		validateIngressBackend(l, "spec.defaultBackend", s.DefaultBackend)
	}
	for i, t := range s.TLS {
		for j, h := range t.Hosts {
			l.ingressHost(fmt.Sprintf("spec.tls[%d].hosts[%d]", i, j), h)
		}
		if t.SecretName != "" {
			l.name(fmt.Sprintf("spec.tls[%d].secretName", i), t.SecretName, isDNS1123Subdomain)
		}
	}
	for i, r := range s.Rules {
		f := fmt.Sprintf("spec.rules[%d]", i)
		if r.Host != "" {
			l.ingressHost(f+".host", r.Host)
		}
		if r.HTTP == nil {
			continue
		}
		if len(r.HTTP.Paths) == 0 {
			l.required(f+".http.paths", "")
		}
		for j := range r.HTTP.Paths {
			validateIngressPath(l, fmt.Sprintf("%s.http.paths[%d]", f, j), &r.HTTP.Paths[j])
		}
	}
}

func validateIngressPath(l *errs, f string, p *HTTPIngressPath) {
	validateIngressBackend(l, f+".backend", &p.Backend)
	if p.PathType == nil {
		l.required(f+".pathType", "pathType must be specified")
		return
	}
	switch *p.PathType {
	case PathTypeExact, PathTypePrefix:
		if !strings.HasPrefix(p.Path, "/") {
			l.invalid(f+".path", p.Path, "must be an absolute path")
		}
		for _, seq := range invalidPathSequences {
			if strings.Contains(p.Path, seq) {
				l.invalid(f+".path", p.Path, fmt.Sprintf("must not contain '%s'", seq))
			}
		}
		for _, suf := range invalidPathSuffixes {
			if strings.HasSuffix(p.Path, suf) {
				l.invalid(f+".path", p.Path, fmt.Sprintf("cannot end with '%s'", suf))
			}
		}
	case PathTypeImplementationSpecific:
		if p.Path != "" && !strings.HasPrefix(p.Path, "/") {
			l.invalid(f+".path", p.Path, "must be an absolute path")
		}
	default:
		l.unsupported(f+".pathType", *p.PathType, PathTypeExact, PathTypeImplementationSpecific, PathTypePrefix)
	}
}

// validateIngressBackend wants exactly one of service and resource, and a service
// port given by exactly one of name and number.
func validateIngressBackend(l *errs, f string, b *IngressBackend) {
	switch {
	case b.Service != nil && b.Resource != nil:
		l.invalid(f, "", "cannot set both resource and service backends")
	case b.Resource != nil:
		r := b.Resource
		if r.Kind == "" {
			l.required(f+".resource.kind", "")
		}
		if r.Name == "" {
			l.required(f+".resource.name", "")
		}
		if r.APIGroup != nil && *r.APIGroup != "" {
			l.name(f+".resource.apiGroup", *r.APIGroup, isDNS1123Subdomain)
		}
	case b.Service != nil:
		svc := b.Service
		if svc.Name == "" {
			l.required(f+".service.name", "")
		} else {
			l.name(f+".service.name", svc.Name, isDNS1035Label)
		}
		switch port := svc.Port; {
		case port.Name != "" && port.Number != 0:
			l.invalid(f+".service.port", "", "cannot set both port name & port number")
		case port.Name != "":
			l.name(f+".service.port.name", port.Name, isIANASvcName)
		case port.Number != 0:
			l.portNumber(f+".service.port.number", port.Number)
		default:
			l.required(f+".service.port", "port name or number is required")
		}
	default:
		l.invalid(f, "", "resource or service backend is required")
	}
}

func validateIngressClass(l *errs, c *IngressClass) {
	ctl := c.Spec.Controller
	switch prefix, path, ok := strings.Cut(ctl, "/"); {
	case ctl == "":
		l.required("spec.controller", "")
	case len(ctl) > maxIngressClassControllerLen:
		l.tooLong("spec.controller", maxIngressClassControllerLen)
	case !ok || path == "":
		l.invalid("spec.controller", ctl, "must be a domain-prefixed path (such as \"acme.io/foo\")")
	default:
		l.name("spec.controller", prefix, isDNS1123Subdomain)
	}
	p := c.Spec.Parameters
	if p == nil {
		return
	}
	if p.Kind == "" {
		l.required("spec.parameters.kind", "")
	}
	if p.Name == "" {
		l.required("spec.parameters.name", "")
	}
	scope := "Cluster"
	if p.Scope != nil {
		scope = *p.Scope
		l.oneOf("spec.parameters.scope", scope, false, "Cluster", "Namespace")
	}
	switch {
	case scope == "Namespace" && (p.Namespace == nil || *p.Namespace == ""):
		l.required("spec.parameters.namespace", "`parameters.scope` is set to 'Namespace'")
	case scope == "Namespace":
		l.name("spec.parameters.namespace", *p.Namespace, isDNS1123Label)
	case p.Namespace != nil:
		l.forbidden("spec.parameters.namespace", "`parameters.scope` is set to 'Cluster'")
	}
}

// ingressWarnings names the backends Berth's ingress does not serve: it routes to
// Services only.
func ingressWarnings(w []string, ing *Ingress) []string {
	const why = ": Berth's ingress routes to Services only, ignored"
	if b := ing.Spec.DefaultBackend; b != nil && b.Resource != nil {
		w = append(w, "spec.defaultBackend.resource"+why)
	}
	for i, r := range ing.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for j, p := range r.HTTP.Paths {
			if p.Backend.Resource != nil {
				w = append(w, fmt.Sprintf("spec.rules[%d].http.paths[%d].backend.resource%s", i, j, why))
			}
		}
	}
	return w
}
