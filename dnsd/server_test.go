package dnsd

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/berth-dev/berth/api"
)

// TestTruncation: 100 endpoints fit neither 512 bytes nor a 1232-byte EDNS0 buffer,
// fit 4096, and always fit TCP.
func TestTruncation(t *testing.T) {
	s, _ := mustNewFixture(t)
	tests := []struct {
		name    string
		edns    uint16
		tcp     bool
		tc      bool
		all     bool
		maxSize int
	}{
		{name: "UDP without EDNS0", tc: true, maxSize: 512},
		{name: "UDP with EDNS0 1232", edns: 1232, tc: true, maxSize: 1232},
		{name: "UDP with EDNS0 4096", edns: 4096, all: true, maxSize: 4096},
		{name: "UDP with EDNS0 below 512 counts as 512", edns: 100, tc: true, maxSize: 512},
		{name: "UDP with EDNS0 beyond the server's cap is capped", edns: 65000, all: true, maxSize: 4096},
		{name: "TCP", tcp: true, all: true, maxSize: dns.MaxMsgSize},
		{name: "TCP with EDNS0 512", edns: 512, tcp: true, all: true, maxSize: dns.MaxMsgSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := ask(t, s, query("big.default.svc.cluster.local.", dns.TypeA, tt.edns), tt.tcp)
			m := w.msg
			if m.Truncated != tt.tc {
				t.Errorf("TC %v, want %v", m.Truncated, tt.tc)
			}
			if w.packed > tt.maxSize {
				t.Errorf("answer is %d bytes, more than %d", w.packed, tt.maxSize)
			}
			if tt.all && len(m.Answer) != 100 {
				t.Errorf("%d answers, want all 100", len(m.Answer))
			}
			if !tt.all && (len(m.Answer) == 0 || len(m.Answer) >= 100) {
				t.Errorf("%d answers, want as many as fit", len(m.Answer))
			}
			if (tt.edns > 0) != (m.IsEdns0() != nil) {
				t.Errorf("OPT in the answer: %v, want %v", m.IsEdns0() != nil, tt.edns > 0)
			}
		})
	}
}

// TestProtocolEdges: what is not an ordinary query still gets the right answer.
func TestProtocolEdges(t *testing.T) {
	s, _ := mustNewFixture(t)
	badvers := query("web.default.svc.cluster.local.", dns.TypeA, 1232)
	badvers.IsEdns0().SetVersion(1)
	notify := query("cluster.local.", dns.TypeSOA, 0)
	notify.Opcode = dns.OpcodeNotify
	two := query("web.default.svc.cluster.local.", dns.TypeA, 0)
	two.Question = append(two.Question, two.Question[0])
	none := query("web.default.svc.cluster.local.", dns.TypeA, 0)
	none.Question = nil
	chaos := query("version.bind.", dns.TypeTXT, 0)
	chaos.Question[0].Qclass = dns.ClassCHAOS
	tests := []struct {
		name  string
		q     *dns.Msg
		rcode int
	}{
		{name: "EDNS version 1 is BADVERS", q: badvers, rcode: dns.RcodeBadVers},
		{name: "NOTIFY is not implemented", q: notify, rcode: dns.RcodeNotImplemented},
		{name: "two questions are FORMERR", q: two, rcode: dns.RcodeFormatError},
		{name: "no question is FORMERR", q: none, rcode: dns.RcodeFormatError},
		{name: "CHAOS is REFUSED", q: chaos, rcode: dns.RcodeRefused},
		{name: "AXFR is REFUSED", q: query("cluster.local.", dns.TypeAXFR, 0), rcode: dns.RcodeRefused},
		{name: "ANY returns the addresses", q: query("web.default.svc.cluster.local.", dns.TypeANY, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := ask(t, s, tt.q, false)
			if w.msg.Rcode != tt.rcode {
				t.Fatalf("rcode %s, want %s", dns.RcodeToString[w.msg.Rcode], dns.RcodeToString[tt.rcode])
			}
			if w.msg.Id != tt.q.Id || !w.msg.Response {
				t.Errorf("id %d response %v, want id %d and a response", w.msg.Id, w.msg.Response, tt.q.Id)
			}
		})
	}
	t.Run("a response gets no answer", func(t *testing.T) {
		r := query("web.default.svc.cluster.local.", dns.TypeA, 0)
		r.Response = true
		w := &recorder{}
		s.ServeDNS(w, r)
		if w.msg != nil {
			t.Fatalf("answered a response: %v", w.msg)
		}
	})
}

// TestIndexFollowsChanges: updates, deletes and re-lists show in the next answer.
func TestIndexFollowsChanges(t *testing.T) {
	s, x := mustNewFixture(t)
	a := func(name string) []string {
		return ask(t, s, query(name, dns.TypeA, 0), false).answers()
	}
	ptr := func(name string) []string {
		return ask(t, s, query(name, dns.TypePTR, 0), false).answers()
	}

	x.SetService(service("default", "web", "10.96.0.11"))
	if got := a("web.default.svc.cluster.local."); len(got) != 1 || !strings.HasSuffix(got[0], "10.96.0.11") {
		t.Fatalf("after a ClusterIP change: %q", got)
	}
	if got := ptr("10.0.96.10.in-addr.arpa."); len(got) != 0 {
		t.Errorf("the old ClusterIP still has a PTR: %q", got)
	}
	x.DeleteService("default", "web")
	if w := ask(t, s, query("web.default.svc.cluster.local.", dns.TypeA, 0), false); w.msg.Rcode != dns.RcodeNameError {
		t.Errorf("deleted service: %s", w.rcode())
	}
	if got := ptr("2.1.244.10.in-addr.arpa."); len(got) != 0 {
		t.Errorf("a deleted service's endpoint still has a PTR: %q", got)
	}

	// A pod that gains a subdomain names its endpoint; losing it unnames it.
	x.SetPod(&api.Pod{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "other"},
		Spec: api.PodSpec{Hostname: "db-2", Subdomain: "db"}})
	if got := a("db-2.db.default.svc.cluster.local."); len(got) != 1 {
		t.Errorf("pod hostname after SetPod: %q", got)
	}
	x.DeletePod("default", "other")
	if got := a("db-2.db.default.svc.cluster.local."); len(got) != 0 {
		t.Errorf("pod hostname after DeletePod: %q", got)
	}

	// A re-list replaces everything.
	x.ReplaceServices([]*api.Service{service("fresh", "one", "10.96.1.1")})
	x.ReplaceEndpoints(nil)
	x.ReplacePods(nil)
	if got := a("one.fresh.svc.cluster.local."); len(got) != 1 {
		t.Errorf("after a re-list: %q", got)
	}
	if got := a("db.default.svc.cluster.local."); len(got) != 0 {
		t.Errorf("a service gone from the re-list still answers: %q", got)
	}
	if x.Len() != 1 || x.HasNamespace("default") || !x.HasNamespace("fresh") {
		t.Errorf("index after re-list: %d services, default %v, fresh %v", x.Len(), x.HasNamespace("default"), x.HasNamespace("fresh"))
	}
	x.SetService(nil)
	x.SetEndpoints(nil)
	x.SetPod(nil)
}

// TestListenUDPAndTCP: a real listener answers the same name over both transports,
// and the Go client gets the whole of a large answer by retrying over TCP.
func TestListenUDPAndTCP(t *testing.T) {
	s, _ := mustNewFixture(t)
	l, err := s.Listen("127.0.0.1:0", ListenOptions{ReusePort: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Serve(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	for _, nw := range []string{"udp", "tcp"} {
		c := &dns.Client{Net: nw, Timeout: 2 * time.Second}
		m, err := exchange(c, query("web.default.svc.cluster.local.", dns.TypeA, 0), l.Addr())
		if err != nil {
			t.Fatalf("%s: %v", nw, err)
		}
		if len(m.Answer) != 1 {
			t.Errorf("%s: %d answers", nw, len(m.Answer))
		}
	}
	udp := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
	m, err := exchange(udp, query("big.default.svc.cluster.local.", dns.TypeA, 0), l.Addr())
	if err != nil || !m.Truncated {
		t.Fatalf("big answer over UDP: truncated %v, err %v", m != nil && m.Truncated, err)
	}
	tcp := &dns.Client{Net: "tcp", Timeout: 2 * time.Second}
	if m, err = exchange(tcp, query("big.default.svc.cluster.local.", dns.TypeA, 0), l.Addr()); err != nil || len(m.Answer) != 100 {
		t.Fatalf("big answer over TCP: err %v", err)
	}
}

// exchange asks addr once. The sockets are bound before Serve starts, so a query sent
// early waits in the socket's queue instead of being lost.
func exchange(c *dns.Client, q *dns.Msg, addr string) (*dns.Msg, error) {
	m, _, err := c.Exchange(q, addr)
	return m, err
}
