package dnsd

import (
	"testing"

	"github.com/miekg/dns"
)

// FuzzServeDNS: no packet crashes the handler, every answer packs, and an answer over
// UDP fits the client's buffer. Packets the parser refuses never reach the handler
// (the dns.Server answers them FORMERR), exactly as here.
func FuzzServeDNS(f *testing.F) {
	seeds := []*dns.Msg{
		query("web.default.svc.cluster.local.", dns.TypeA, 0),
		query("big.default.svc.cluster.local.", dns.TypeA, 1232),
		query("_pg._tcp.db.default.svc.cluster.local.", dns.TypeSRV, 4096),
		query("db-1.db.default.svc.cluster.local.", dns.TypeAAAA, 0),
		query("ext.default.svc.cluster.local.", dns.TypeA, 0),
		query("alias.default.svc.cluster.local.", dns.TypeANY, 0),
		query("10.0.96.10.in-addr.arpa.", dns.TypePTR, 0),
		query("0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa.", dns.TypePTR, 0),
		query("dns-version.cluster.local.", dns.TypeTXT, 0),
		query("cluster.local.", dns.TypeSOA, 512),
		query("example.org.", dns.TypeMX, 0),
	}
	for _, m := range seeds {
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0})
	s, _ := mustNewFixture(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		r := new(dns.Msg)
		if err := r.Unpack(b); err != nil {
			return
		}
		for _, tcp := range []bool{false, true} {
			w := &recorder{tcp: tcp}
			s.ServeDNS(w, r)
			if w.err != nil {
				t.Fatalf("answer does not pack: %v\n%v", w.err, r)
			}
			if w.msg == nil {
				if !r.Response {
					t.Fatalf("no answer to a query:\n%v", r)
				}
				continue
			}
			if !tcp {
				limit := dns.MinMsgSize
				if o := r.IsEdns0(); o != nil {
					limit = min(max(int(o.UDPSize()), dns.MinMsgSize), s.cfg.MaxUDPSize)
				}
				if w.packed > limit {
					t.Fatalf("UDP answer of %d bytes for a %d-byte buffer", w.packed, limit)
				}
			}
		}
		if s.panics.Load() > 0 {
			t.Fatalf("handler panicked on:\n%v", r)
		}
	})
}
