package dnsd

import (
	"testing"

	"github.com/miekg/dns"
)

// BenchmarkServeDNS is the handler alone (no sockets): what one query costs in CPU
// and allocations, packing included.
func BenchmarkServeDNS(b *testing.B) {
	s, _ := mustNewFixture(b)
	for _, bc := range []struct {
		name  string
		qname string
		qtype uint16
	}{
		{"service_A", "web.default.svc.cluster.local.", dns.TypeA},
		{"headless_100_A", "big.default.svc.cluster.local.", dns.TypeA},
		{"SRV", "_http._tcp.web.default.svc.cluster.local.", dns.TypeSRV},
		{"NXDOMAIN", "nope.default.svc.cluster.local.", dns.TypeA},
	} {
		b.Run(bc.name, func(b *testing.B) {
			q := query(bc.qname, bc.qtype, 1232)
			w := &recorder{}
			b.ReportAllocs()
			for b.Loop() {
				s.ServeDNS(w, q)
			}
		})
	}
}
