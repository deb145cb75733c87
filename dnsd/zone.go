package dnsd

import (
	"strings"

	"github.com/miekg/dns"
)

// result is an answer from the cluster zone before it becomes a message: rcode
// NXDOMAIN, or success with records (none: NODATA). chase is the target of an
// ExternalName CNAME the answer should be completed with.
type result struct {
	rcode  int
	answer []dns.RR
	extra  []dns.RR
	chase  string
}

var (
	nxdomain = result{rcode: dns.RcodeNameError}
	nodata   = result{rcode: dns.RcodeSuccess}
)

// maxLabels is the deepest name the zone has: _port._proto.svc.ns.svc.
const maxLabels = 5

// zone answers a name of the cluster domain. qname is the name as asked, lname the
// same in lower case.
func (s *Server) zone(qname, lname string, qtype uint16) result {
	rel := strings.TrimSuffix(strings.TrimSuffix(lname, s.domain), ".")
	if rel == "" {
		if qtype == dns.TypeSOA || qtype == dns.TypeANY {
			soa := s.soa()
			soa.Header().Name = qname
			return result{answer: []dns.RR{soa}}
		}
		return nodata
	}
	var l [maxLabels]string
	n := 0
	for rel != "" {
		if n == maxLabels {
			return nxdomain
		}
		label, tail, _ := strings.Cut(rel, ".")
		l[n], n, rel = label, n+1, tail
	}
	if n == 1 && l[0] == "dns-version" {
		if qtype == dns.TypeTXT || qtype == dns.TypeANY {
			return result{answer: []dns.RR{s.txt(qname, SpecVersion)}}
		}
		return nodata
	}
	if l[n-1] != "svc" {
		return nxdomain
	}
	switch n {
	case 1: // svc.<domain>: an empty non-terminal
		return nodata
	case 2: // ns.svc.<domain>
		if s.cat.HasNamespace(l[0]) {
			return nodata
		}
		return nxdomain
	case 3:
		return s.service(qname, l[1], l[0], qtype)
	case 4:
		v := s.cat.Service(l[2], l[1])
		if strings.HasPrefix(l[0], "_") { // _proto.svc.ns.svc: exists when a named port speaks it
			if v != nil && v.ExternalName == "" && v.hasProto(l[0][1:]) {
				return nodata
			}
			return nxdomain
		}
		return s.endpoint(qname, v, l[0], qtype)
	default:
		if !strings.HasPrefix(l[0], "_") || !strings.HasPrefix(l[1], "_") {
			return nxdomain
		}
		return s.srvRecords(qname, s.cat.Service(l[3], l[2]), l[0][1:], l[1][1:], qtype)
	}
}

// service answers svc.ns.svc.<domain>.
func (s *Server) service(qname, ns, name string, qtype uint16) result {
	v := s.cat.Service(ns, name)
	switch {
	case v == nil:
		return nxdomain
	case v.ExternalName != "":
		r := result{answer: []dns.RR{s.cname(qname, v.ExternalName)}}
		if qtype != dns.TypeCNAME && qtype != dns.TypeANY {
			r.chase = v.ExternalName
		}
		return r
	case v.Headless:
		if len(v.Endpoints) == 0 {
			return nxdomain
		}
		if qtype == dns.TypeSRV {
			return s.headlessSRV(qname, v, "", "")
		}
		var r result
		n := len(v.Endpoints)
		// Rotate, so that clients that take the first address spread over all.
		start := int(s.rotate.Add(1) % uint32(n))
		for i := range n {
			if ip := v.Endpoints[(start+i)%n].IP; wantsFamily(qtype, ip) {
				r.answer = append(r.answer, s.addr(qname, ip))
			}
		}
		return r
	}
	var r result
	switch qtype {
	case dns.TypeSRV:
		target := s.serviceName(ns, name)
		for _, p := range v.Ports {
			r.answer = append(r.answer, s.srv(qname, target, p.Port, srvWeight(len(v.Ports))))
		}
		r.extra = s.addrs(target, v, dns.TypeANY)
	default:
		r.answer = s.addrs(qname, v, qtype)
	}
	return r
}

// addrs are the ClusterIP records of v that qtype asks for.
func (s *Server) addrs(name string, v *Service, qtype uint16) []dns.RR {
	var out []dns.RR
	for _, ip := range v.ClusterIPs {
		if wantsFamily(qtype, ip) {
			out = append(out, s.addr(name, ip))
		}
	}
	return out
}

// endpoint answers label.svc.ns.svc.<domain>: the endpoint with that hostname or
// dashed address.
func (s *Server) endpoint(qname string, v *Service, label string, qtype uint16) result {
	if v == nil || v.ExternalName != "" || !v.hasEndpoint(label) {
		return nxdomain
	}
	var r result
	for _, e := range v.Endpoints {
		if e.Label == label && wantsFamily(qtype, e.IP) {
			r.answer = append(r.answer, s.addr(qname, e.IP))
		}
	}
	return r
}

// srvRecords answers _port._proto.svc.ns.svc.<domain>.
func (s *Server) srvRecords(qname string, v *Service, port, proto string, qtype uint16) result {
	if v == nil || v.ExternalName != "" {
		return nxdomain
	}
	var r result
	if v.Headless {
		r = s.headlessSRV(qname, v, port, proto)
	} else {
		target := s.serviceName(v.Namespace, v.Name)
		var match []Port
		for _, p := range v.Ports {
			if p.Name != "" && p.Name == port && p.Proto == proto {
				match = append(match, p)
			}
		}
		for _, p := range match {
			r.answer = append(r.answer, s.srv(qname, target, p.Port, srvWeight(len(match))))
		}
		if len(match) > 0 {
			r.extra = s.addrs(target, v, dns.TypeANY)
		}
	}
	switch {
	case len(r.answer) == 0:
		return nxdomain
	case qtype != dns.TypeSRV && qtype != dns.TypeANY:
		return nodata
	}
	return r
}

// headlessSRV is one SRV per endpoint and matching port (every port when port is
// empty), each targeting the endpoint's own name, with its address as extra.
func (s *Server) headlessSRV(qname string, v *Service, port, proto string) result {
	var r result
	base := s.serviceName(v.Namespace, v.Name)
	type hit struct {
		target string
		port   uint16
	}
	var hits []hit
	for _, e := range v.Endpoints {
		target := ""
		for _, p := range e.Ports {
			if port != "" && (p.Name == "" || p.Name != port || p.Proto != proto) {
				continue
			}
			if target == "" {
				target = e.Label + "." + base
				r.extra = append(r.extra, s.addr(target, e.IP))
			}
			hits = append(hits, hit{target, p.Port})
		}
	}
	for _, h := range hits {
		r.answer = append(r.answer, s.srv(qname, h.target, h.port, srvWeight(len(hits))))
	}
	return r
}

// reverse answers a PTR name of an address the catalog knows; ok is false for any
// other address (the name is then forwarded: the reverse tree is not ours).
func (s *Server) reverse(qname, lname string, qtype uint16) (result, bool) {
	ip, ok := parseReverse(lname)
	if !ok {
		return result{}, false
	}
	targets := s.cat.PTR(ip)
	if len(targets) == 0 {
		return result{}, false
	}
	if qtype != dns.TypePTR && qtype != dns.TypeANY {
		return nodata, true
	}
	var r result
	for _, t := range targets {
		name := s.serviceName(t.Namespace, t.Name)
		if t.Label != "" {
			name = t.Label + "." + name
		}
		r.answer = append(r.answer, s.ptr(qname, name))
	}
	return r, true
}
