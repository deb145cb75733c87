package dnsd

import (
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// fakeUpstream is a resolver on loopback (UDP and TCP) with a few fixed names; it
// counts the queries it gets.
type fakeUpstream struct {
	addr    string
	queries atomic.Int64
}

func mustNewUpstream(t *testing.T) *fakeUpstream {
	t.Helper()
	u := &fakeUpstream{}
	// The UDP port is picked first; TCP may find it taken, so try again.
	var pc net.PacketConn
	var ln net.Listener
	for attempt := 0; ln == nil; attempt++ {
		var err error
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if ln, err = net.Listen("tcp", pc.LocalAddr().String()); err != nil {
			pc.Close()
			if attempt == 10 {
				t.Fatal(err)
			}
		}
	}
	u.addr = pc.LocalAddr().String()
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: u}, {Listener: ln, Handler: u}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go func() { _ = srv.ActivateAndServe() }()
		<-started
		t.Cleanup(func() { _ = srv.Shutdown() })
	}
	return u
}

func (u *fakeUpstream) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	u.queries.Add(1)
	m := new(dns.Msg)
	m.SetReply(r)
	m.RecursionAvailable = true
	q := r.Question[0]
	soa := &dns.SOA{Hdr: dns.RR_Header{Name: "example.org.", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 60},
		Ns: "ns.example.org.", Mbox: "h.example.org.", Serial: 1, Minttl: 30}
	switch strings.ToLower(q.Name) {
	case "www.example.org.", "example.com.":
		if q.Qtype == dns.TypeA {
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(93, 184, 216, 34)})
		}
	case "big.example.org.":
		for i := range 100 {
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(10, 0, 0, byte(i))})
		}
	case "zero.example.org.":
		m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 0}, A: net.IPv4(10, 0, 0, 1)})
	case "fail.example.org.":
		m.Rcode = dns.RcodeServerFailure
	case "9.9.9.9.in-addr.arpa.":
		m.Answer = append(m.Answer, &dns.PTR{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: 60}, Ptr: "dns9.quad9.net."})
	default:
		m.Rcode = dns.RcodeNameError
		m.Ns = []dns.RR{soa}
	}
	if o := r.IsEdns0(); o != nil {
		m.SetEdns0(o.UDPSize(), false)
	}
	if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
		size := dns.MinMsgSize
		if o := r.IsEdns0(); o != nil {
			size = int(o.UDPSize())
		}
		m.Truncate(size)
	}
	_ = w.WriteMsg(m)
}

// TestForward: names outside the zone go upstream and come back in the client's case,
// through the cache, re-asked over TCP when the upstream truncates, and SERVFAIL when
// no upstream answers.
func TestForward(t *testing.T) {
	up := mustNewUpstream(t)
	s, _ := mustNewFixture(t, up.addr)

	w := ask(t, s, query("WWW.Example.ORG.", dns.TypeA, 0), false)
	if w.msg.Rcode != dns.RcodeSuccess || len(w.msg.Answer) != 1 || w.msg.Authoritative {
		t.Fatalf("forwarded answer: %v", w.msg)
	}
	if got := w.msg.Answer[0].Header().Name; got != "WWW.Example.ORG." {
		t.Errorf("owner %q, want the client's case", got)
	}
	if !w.msg.RecursionAvailable {
		t.Errorf("RA not set by a forwarding server")
	}
	before := up.queries.Load()
	w = ask(t, s, query("www.example.org.", dns.TypeA, 0), false)
	if up.queries.Load() != before {
		t.Errorf("second query went upstream: the cache missed")
	}
	if ttl := w.msg.Answer[0].Header().Ttl; ttl > 60 || ttl < 58 {
		t.Errorf("cached TTL %d, want about 60", ttl)
	}

	tests := []struct {
		name    string
		qname   string
		qtype   uint16
		tcp     bool
		rcode   int
		answers int
		tc      bool
		soa     bool
	}{
		{name: "NXDOMAIN keeps the upstream SOA", qname: "nope.example.org.", qtype: dns.TypeA, rcode: dns.RcodeNameError, soa: true},
		{name: "upstream SERVFAIL is SERVFAIL", qname: "fail.example.org.", qtype: dns.TypeA, rcode: dns.RcodeServerFailure},
		{name: "truncated upstream is re-asked over TCP, then truncated for a UDP client", qname: "big.example.org.", qtype: dns.TypeA, answers: -1, tc: true},
		{name: "a TCP client gets the whole upstream answer", qname: "big.example.org.", qtype: dns.TypeA, tcp: true, answers: 100},
		{name: "PTR of an address not in the cluster goes upstream", qname: "9.9.9.9.in-addr.arpa.", qtype: dns.TypePTR, answers: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := ask(t, s, query(tt.qname, tt.qtype, 0), tt.tcp)
			m := w.msg
			if m.Rcode != tt.rcode {
				t.Fatalf("rcode %s, want %s", dns.RcodeToString[m.Rcode], dns.RcodeToString[tt.rcode])
			}
			switch {
			case tt.answers > 0 && len(m.Answer) != tt.answers:
				t.Errorf("%d answers, want %d", len(m.Answer), tt.answers)
			case tt.answers < 0 && (len(m.Answer) == 0 || len(m.Answer) == 100):
				t.Errorf("%d answers, want some but not all", len(m.Answer))
			}
			if m.Truncated != tt.tc || (!tt.tcp && w.packed > dns.MinMsgSize) {
				t.Errorf("TC %v (%d bytes), want %v", m.Truncated, w.packed, tt.tc)
			}
			if w.hasSOA() != tt.soa {
				t.Errorf("SOA %v, want %v", w.hasSOA(), tt.soa)
			}
		})
	}

	t.Run("ExternalName is completed through the upstream", func(t *testing.T) {
		w := ask(t, s, query("ext.default.svc.cluster.local.", dns.TypeA, 0), false)
		got := w.answers()
		want := []string{"example.com. IN A 93.184.216.34", "ext.default.svc.cluster.local. IN CNAME example.com."}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("a zero TTL is not cached", func(t *testing.T) {
		before := up.queries.Load()
		ask(t, s, query("zero.example.org.", dns.TypeA, 0), false)
		ask(t, s, query("zero.example.org.", dns.TypeA, 0), false)
		if n := up.queries.Load() - before; n != 2 {
			t.Errorf("%d upstream queries, want 2", n)
		}
	})
}

// TestForwardDeadUpstream: an upstream that does not answer costs one timeout, then
// the next upstream answers; with none left the client gets SERVFAIL.
func TestForwardDeadUpstream(t *testing.T) {
	dead, err := net.ListenPacket("udp", "127.0.0.1:0") // bound, never answers
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	up := mustNewUpstream(t)
	cfg := DefaultConfig()
	cfg.Upstreams = []string{dead.LocalAddr().String(), up.addr}
	cfg.UpstreamTimeout = 200 * time.Millisecond
	s, err := New(cfg, NewIndex())
	if err != nil {
		t.Fatal(err)
	}
	if w := ask(t, s, query("www.example.org.", dns.TypeA, 0), false); w.msg.Rcode != dns.RcodeSuccess {
		t.Fatalf("with one live upstream: %s", w.rcode())
	}
	start := time.Now()
	ask(t, s, query("other.example.org.", dns.TypeA, 0), false)
	if d := time.Since(start); d > 150*time.Millisecond {
		t.Errorf("second query took %v: the dead upstream was tried first again", d)
	}

	cfg.Upstreams = []string{dead.LocalAddr().String()}
	s, _ = New(cfg, NewIndex())
	if w := ask(t, s, query("www.example.org.", dns.TypeA, 0), false); w.msg.Rcode != dns.RcodeServerFailure {
		t.Fatalf("with no live upstream: %s, want SERVFAIL", w.rcode())
	}
}

// TestCacheBounded: the cache never holds more than its size and expires entries.
func TestCacheBounded(t *testing.T) {
	c := newCache(3)
	now := time.Unix(1000, 0)
	m := new(dns.Msg)
	for i := range 10 {
		c.put(fmt.Sprintf("k%d", i), m, time.Minute, now)
	}
	if c.len() != 3 {
		t.Fatalf("%d entries, want 3", c.len())
	}
	if _, ok := c.get("k9", now); !ok {
		t.Errorf("newest entry missing")
	}
	if _, ok := c.get("k0", now); ok {
		t.Errorf("oldest entry kept")
	}
	if _, ok := c.get("k9", now.Add(time.Minute)); ok {
		t.Errorf("expired entry returned")
	}
}

// TestConfig: defaults validate; bad values are named.
func TestConfig(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string // "" = valid
	}{
		{name: "defaults", edit: func(*Config) {}},
		{name: "upstream with port", edit: func(c *Config) { c.Upstreams = []string{"10.0.0.2:5353", "fd00::1"} }},
		{name: "upstream name", edit: func(c *Config) { c.Upstreams = []string{"dns.google"} }, want: `upstream "dns.google"`},
		{name: "bad domain", edit: func(c *Config) { c.Domain = "" }, want: "domain"},
		{name: "ttl zero", edit: func(c *Config) { c.TTL = 0 }, want: "ttl"},
		{name: "negative cache", edit: func(c *Config) { c.CacheSize = -1 }, want: "cache size"},
		{name: "tiny udp size", edit: func(c *Config) { c.MaxUDPSize = 100 }, want: "max udp size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.edit(&c)
			err := c.Validate()
			if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestUpstreamsFromResolvConf: nameservers become host:port, the server's own
// address is left out.
func TestUpstreamsFromResolvConf(t *testing.T) {
	path := t.TempDir() + "/resolv.conf"
	if err := writeFile(path, "search example.org\nnameserver 10.0.0.2\nnameserver 127.0.0.1\nnameserver fd00::53\n"); err != nil {
		t.Fatal(err)
	}
	got, err := UpstreamsFromResolvConf(path, "127.0.0.1:53")
	if err != nil {
		t.Fatal(err)
	}
	if want := "[10.0.0.2:53 [fd00::53]:53]"; fmt.Sprint(got) != want {
		t.Errorf("got %v, want %s", got, want)
	}
	if _, err := UpstreamsFromResolvConf(t.TempDir() + "/none"); err == nil {
		t.Errorf("a missing file is not an error")
	}
}
