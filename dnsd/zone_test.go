package dnsd

import (
	"slices"
	"testing"

	"github.com/miekg/dns"
)

// TestZoneAnswers: query → answer for every record type and edge of the Kubernetes
// DNS specification the zone implements.
func TestZoneAnswers(t *testing.T) {
	s, _ := mustNewFixture(t)
	const z = "svc.cluster.local."
	tests := []struct {
		name   string
		qname  string
		qtype  uint16
		rcode  int
		answer []string // rendered without TTL, sorted
		extra  []string
		soa    bool // SOA in the authority section (negative answers)
	}{
		{name: "service A", qname: "web.default." + z, qtype: dns.TypeA,
			answer: []string{"web.default.svc.cluster.local. IN A 10.96.0.10"}},
		{name: "case is kept", qname: "WEB.Default.SVC.Cluster.Local.", qtype: dns.TypeA,
			answer: []string{"WEB.Default.SVC.Cluster.Local. IN A 10.96.0.10"}},
		{name: "service AAAA of an IPv4 service is NODATA", qname: "web.default." + z, qtype: dns.TypeAAAA, soa: true},
		{name: "IPv6 service AAAA", qname: "v6.default." + z, qtype: dns.TypeAAAA,
			answer: []string{"v6.default.svc.cluster.local. IN AAAA fd00::10"}},
		{name: "TXT on a service is NODATA", qname: "web.default." + z, qtype: dns.TypeTXT, soa: true},
		{name: "unknown service is NXDOMAIN", qname: "nope.default." + z, qtype: dns.TypeA, rcode: dns.RcodeNameError, soa: true},
		{name: "service in another namespace", qname: "web.other." + z, qtype: dns.TypeA,
			answer: []string{"web.other.svc.cluster.local. IN A 10.96.0.20"}},
		{name: "namespace is NODATA", qname: "default." + z, qtype: dns.TypeA, soa: true},
		{name: "unknown namespace is NXDOMAIN", qname: "nons." + z, qtype: dns.TypeA, rcode: dns.RcodeNameError, soa: true},
		{name: "svc is NODATA", qname: z, qtype: dns.TypeA, soa: true},
		{name: "apex SOA", qname: "cluster.local.", qtype: dns.TypeSOA,
			answer: []string{"cluster.local. IN SOA ns.dns.cluster.local. hostmaster.cluster.local. SERIAL 7200 1800 86400 5"}},
		{name: "apex A is NODATA", qname: "cluster.local.", qtype: dns.TypeA, soa: true},
		{name: "outside svc is NXDOMAIN", qname: "foo.cluster.local.", qtype: dns.TypeA, rcode: dns.RcodeNameError, soa: true},
		{name: "too deep is NXDOMAIN", qname: "a.b.c.d.e.f.cluster.local.", qtype: dns.TypeA, rcode: dns.RcodeNameError, soa: true},
		{name: "dns-version TXT", qname: "dns-version.cluster.local.", qtype: dns.TypeTXT,
			answer: []string{`dns-version.cluster.local. IN TXT "1.1.0"`}},
		{name: "dns-version A is NODATA", qname: "dns-version.cluster.local.", qtype: dns.TypeA, soa: true},

		{name: "SRV of a named port", qname: "_http._tcp.web.default." + z, qtype: dns.TypeSRV,
			answer: []string{"_http._tcp.web.default.svc.cluster.local. IN SRV 0 100 80 web.default.svc.cluster.local."},
			extra:  []string{"web.default.svc.cluster.local. IN A 10.96.0.10"}},
		{name: "SRV of a UDP port", qname: "_dns._udp.web.default." + z, qtype: dns.TypeSRV,
			answer: []string{"_dns._udp.web.default.svc.cluster.local. IN SRV 0 100 53 web.default.svc.cluster.local."},
			extra:  []string{"web.default.svc.cluster.local. IN A 10.96.0.10"}},
		{name: "SRV with the wrong protocol is NXDOMAIN", qname: "_http._udp.web.default." + z, qtype: dns.TypeSRV, rcode: dns.RcodeNameError, soa: true},
		{name: "SRV of an unknown port is NXDOMAIN", qname: "_ftp._tcp.web.default." + z, qtype: dns.TypeSRV, rcode: dns.RcodeNameError, soa: true},
		{name: "A at an SRV name is NODATA", qname: "_http._tcp.web.default." + z, qtype: dns.TypeA, soa: true},
		{name: "protocol name is NODATA", qname: "_tcp.web.default." + z, qtype: dns.TypeSRV, soa: true},
		{name: "SRV of every port at the service name", qname: "web.default." + z, qtype: dns.TypeSRV,
			answer: []string{
				"web.default.svc.cluster.local. IN SRV 0 33 53 web.default.svc.cluster.local.",
				"web.default.svc.cluster.local. IN SRV 0 33 80 web.default.svc.cluster.local.",
				"web.default.svc.cluster.local. IN SRV 0 33 8080 web.default.svc.cluster.local.",
			},
			extra: []string{"web.default.svc.cluster.local. IN A 10.96.0.10"}},
		{name: "headless SRV targets each endpoint", qname: "_pg._tcp.db.default." + z, qtype: dns.TypeSRV,
			answer: []string{
				"_pg._tcp.db.default.svc.cluster.local. IN SRV 0 33 5432 10-244-1-7.db.default.svc.cluster.local.",
				"_pg._tcp.db.default.svc.cluster.local. IN SRV 0 33 5432 db-0.db.default.svc.cluster.local.",
				"_pg._tcp.db.default.svc.cluster.local. IN SRV 0 33 5432 db-1.db.default.svc.cluster.local.",
			},
			extra: []string{
				"10-244-1-7.db.default.svc.cluster.local. IN A 10.244.1.7",
				"db-0.db.default.svc.cluster.local. IN A 10.244.1.5",
				"db-1.db.default.svc.cluster.local. IN A 10.244.1.6",
			}},

		{name: "headless A is the endpoints", qname: "db.default." + z, qtype: dns.TypeA,
			answer: []string{
				"db.default.svc.cluster.local. IN A 10.244.1.5",
				"db.default.svc.cluster.local. IN A 10.244.1.6",
				"db.default.svc.cluster.local. IN A 10.244.1.7",
			}},
		{name: "headless AAAA without IPv6 endpoints is NODATA", qname: "db.default." + z, qtype: dns.TypeAAAA, soa: true},
		{name: "headless without endpoints is NXDOMAIN", qname: "empty.default." + z, qtype: dns.TypeA, rcode: dns.RcodeNameError, soa: true},
		{name: "endpoint hostname", qname: "db-0.db.default." + z, qtype: dns.TypeA,
			answer: []string{"db-0.db.default.svc.cluster.local. IN A 10.244.1.5"}},
		{name: "pod hostname.subdomain", qname: "db-1.db.default." + z, qtype: dns.TypeA,
			answer: []string{"db-1.db.default.svc.cluster.local. IN A 10.244.1.6"}},
		{name: "endpoint by dashed address", qname: "10-244-1-7.db.default." + z, qtype: dns.TypeA,
			answer: []string{"10-244-1-7.db.default.svc.cluster.local. IN A 10.244.1.7"}},
		{name: "endpoint with a hostname is not found by address", qname: "10-244-1-5.db.default." + z, qtype: dns.TypeA, rcode: dns.RcodeNameError, soa: true},
		{name: "unknown endpoint is NXDOMAIN", qname: "db-9.db.default." + z, qtype: dns.TypeA, rcode: dns.RcodeNameError, soa: true},
		{name: "endpoint AAAA is NODATA", qname: "db-0.db.default." + z, qtype: dns.TypeAAAA, soa: true},

		{name: "ExternalName is a CNAME", qname: "ext.default." + z, qtype: dns.TypeCNAME,
			answer: []string{"ext.default.svc.cluster.local. IN CNAME example.com."}},
		{name: "ExternalName A without upstreams is the CNAME alone", qname: "ext.default." + z, qtype: dns.TypeA,
			answer: []string{"ext.default.svc.cluster.local. IN CNAME example.com."}},
		{name: "ExternalName inside the zone is followed", qname: "alias.default." + z, qtype: dns.TypeA,
			answer: []string{
				"alias.default.svc.cluster.local. IN CNAME web.default.svc.cluster.local.",
				"web.default.svc.cluster.local. IN A 10.96.0.10",
			}},
		{name: "no SRV under an ExternalName", qname: "_http._tcp.ext.default." + z, qtype: dns.TypeSRV, rcode: dns.RcodeNameError, soa: true},

		{name: "PTR of a ClusterIP", qname: "10.0.96.10.in-addr.arpa.", qtype: dns.TypePTR,
			answer: []string{"10.0.96.10.in-addr.arpa. IN PTR web.default.svc.cluster.local."}},
		{name: "PTR of an IPv6 ClusterIP", qname: mustReverse(t, "fd00::10"), qtype: dns.TypePTR,
			answer: []string{mustReverse(t, "fd00::10") + " IN PTR v6.default.svc.cluster.local."}},
		{name: "PTR of an endpoint with a hostname", qname: "5.1.244.10.in-addr.arpa.", qtype: dns.TypePTR,
			answer: []string{"5.1.244.10.in-addr.arpa. IN PTR db-0.db.default.svc.cluster.local."}},
		{name: "PTR of an endpoint without one", qname: "7.1.244.10.in-addr.arpa.", qtype: dns.TypePTR,
			answer: []string{"7.1.244.10.in-addr.arpa. IN PTR 10-244-1-7.db.default.svc.cluster.local."}},
		{name: "A at a known PTR name is NODATA", qname: "10.0.96.10.in-addr.arpa.", qtype: dns.TypeA, soa: true},
		{name: "unknown address without upstreams is REFUSED", qname: "9.9.9.9.in-addr.arpa.", qtype: dns.TypePTR, rcode: dns.RcodeRefused},
		{name: "outside name without upstreams is REFUSED", qname: "example.org.", qtype: dns.TypeA, rcode: dns.RcodeRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := ask(t, s, query(tt.qname, tt.qtype, 0), false)
			m := w.msg
			if m.Rcode != tt.rcode {
				t.Fatalf("rcode %s, want %s (%v)", dns.RcodeToString[m.Rcode], dns.RcodeToString[tt.rcode], m)
			}
			if m.Id != 0 && !m.Response {
				t.Errorf("not a response")
			}
			if len(m.Question) != 1 || m.Question[0].Name != tt.qname {
				t.Errorf("question %v, want %s echoed", m.Question, tt.qname)
			}
			got := w.answers()
			for i := range got {
				got[i] = soaSerial.ReplaceAllString(got[i], " SERIAL ")
			}
			if !slices.Equal(got, tt.answer) {
				t.Errorf("answer\n got %q\nwant %q", got, tt.answer)
			}
			if tt.extra != nil && !slices.Equal(w.extras(), tt.extra) {
				t.Errorf("extra\n got %q\nwant %q", w.extras(), tt.extra)
			}
			if w.hasSOA() != tt.soa {
				t.Errorf("SOA in authority: %v, want %v (%v)", w.hasSOA(), tt.soa, m.Ns)
			}
			inZone := dns.IsSubDomain("cluster.local.", dns.CanonicalName(tt.qname)) || tt.rcode == dns.RcodeSuccess
			if m.Authoritative != inZone {
				t.Errorf("authoritative %v, want %v", m.Authoritative, inZone)
			}
			for _, rr := range m.Answer {
				if rr.Header().Ttl != 5 {
					t.Errorf("TTL %d, want 5: %v", rr.Header().Ttl, rr)
				}
			}
		})
	}
}
