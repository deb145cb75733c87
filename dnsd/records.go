package dnsd

import (
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// Record builders. Owner names are given as the client asked (its case), targets in
// lower case.

func (s *Server) hdr(name string, t uint16) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: t, Class: dns.ClassINET, Ttl: s.ttl}
}

// addr is an A or AAAA record, by the address's family.
func (s *Server) addr(name string, ip netip.Addr) dns.RR {
	if ip.Is4() {
		b := ip.As4()
		return &dns.A{Hdr: s.hdr(name, dns.TypeA), A: b[:]}
	}
	b := ip.As16()
	return &dns.AAAA{Hdr: s.hdr(name, dns.TypeAAAA), AAAA: b[:]}
}

func (s *Server) srv(name, target string, port uint16, weight uint16) dns.RR {
	return &dns.SRV{Hdr: s.hdr(name, dns.TypeSRV), Priority: 0, Weight: weight, Port: port, Target: target}
}

func (s *Server) ptr(name, target string) dns.RR {
	return &dns.PTR{Hdr: s.hdr(name, dns.TypePTR), Ptr: target}
}

func (s *Server) cname(name, target string) dns.RR {
	return &dns.CNAME{Hdr: s.hdr(name, dns.TypeCNAME), Target: target}
}

func (s *Server) txt(name string, text ...string) dns.RR {
	return &dns.TXT{Hdr: s.hdr(name, dns.TypeTXT), Txt: text}
}

// soa is the zone's SOA; its minimum (the negative TTL) is the cluster TTL, so a
// name that appears is found within one TTL.
func (s *Server) soa() dns.RR {
	return &dns.SOA{
		Hdr:     s.hdr(s.domain, dns.TypeSOA),
		Ns:      s.nsName,
		Mbox:    s.mbox,
		Serial:  s.serial.Load(),
		Refresh: 7200,
		Retry:   1800,
		Expire:  86400,
		Minttl:  s.ttl,
	}
}

// serviceName is svc.ns.svc.<domain>.
func (s *Server) serviceName(ns, name string) string {
	return name + "." + ns + ".svc." + s.domain
}

// wantsFamily says whether qtype asks for addresses of ip's family.
func wantsFamily(qtype uint16, ip netip.Addr) bool {
	switch qtype {
	case dns.TypeA:
		return ip.Is4()
	case dns.TypeAAAA:
		return ip.Is6()
	case dns.TypeANY:
		return true
	}
	return false
}

// srvWeight spreads the weight 100 over n equal targets, as CoreDNS does.
func srvWeight(n int) uint16 {
	if n <= 1 {
		return 100
	}
	return uint16(max(1, 100/n))
}

// parseReverse reads the address of an in-addr.arpa or ip6.arpa name (lower case,
// fully qualified); partial names (a whole network) are not addresses.
func parseReverse(name string) (netip.Addr, bool) {
	switch {
	case strings.HasSuffix(name, ".in-addr.arpa."):
		rest := strings.TrimSuffix(name, ".in-addr.arpa.")
		var b [4]byte
		for i := 3; i >= 0; i-- {
			label, tail, _ := strings.Cut(rest, ".")
			n, ok := octet(label)
			if !ok {
				return netip.Addr{}, false
			}
			b[i], rest = n, tail
			if i > 0 && tail == "" {
				return netip.Addr{}, false
			}
		}
		if rest != "" {
			return netip.Addr{}, false
		}
		return netip.AddrFrom4(b), true
	case strings.HasSuffix(name, ".ip6.arpa."):
		rest := strings.TrimSuffix(name, ".ip6.arpa.")
		if len(rest) != 63 {
			return netip.Addr{}, false
		}
		var b [16]byte
		for i := 0; i < 32; i++ {
			c, sep := rest[2*i], byte('.')
			if i < 31 {
				sep = rest[2*i+1]
			}
			n, ok := nibble(c)
			if !ok || sep != '.' {
				return netip.Addr{}, false
			}
			pos := 31 - i
			b[pos/2] |= n << (4 * (1 - pos%2))
		}
		return netip.AddrFrom16(b), true
	}
	return netip.Addr{}, false
}

// octet parses a decimal 0-255 with no leading zeros.
func octet(s string) (byte, bool) {
	if s == "" || len(s) > 3 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	if n > 255 {
		return 0, false
	}
	return byte(n), true
}

func nibble(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
