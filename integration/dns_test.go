package integration

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/berth-dev/berth/api"
)

// The cluster DNS of `berth server --dns-port`, asked with dig (Debian's dnsutils) and
// with a Go client, from a follower: answers come from the local store.

// dnsFixture is a 3-server cluster with a fake upstream resolver and a namespace of
// services, and the follower DNS is asked on.
type dnsFixture struct {
	c        *cluster
	ns       string
	dnsAddr  string // host:port of a follower's DNS
	upstream *fakeResolver
}

func newDNSFixture(t *testing.T) *dnsFixture {
	t.Helper()
	up := startFakeResolver(t)
	c := newCluster(t, 3, "--dns-port", "6453", "--dns-upstream", up.addr)
	leader := c.waitLeader(15 * time.Second)
	f := &dnsFixture{c: c, ns: testNamespace(t, c), upstream: up}
	f.dnsAddr = net.JoinHostPort(c.followers(leader)[0].ip, "6453")
	cl := c.anyClient(t)
	ctx := context.Background()
	create := func(obj api.Object) {
		t.Helper()
		if _, err := cl.Create(ctx, obj); err != nil {
			t.Fatalf("create %s: %v", obj.GetObjectMeta().Name, err)
		}
	}
	svc := func(name, clusterIP string, ports ...api.ServicePort) *api.Service {
		return &api.Service{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Service"},
			ObjectMeta: api.ObjectMeta{Namespace: f.ns, Name: name},
			Spec:       api.ServiceSpec{ClusterIP: clusterIP, Ports: ports}}
	}
	eps := func(name string, port int32, addrs ...api.EndpointAddress) *api.Endpoints {
		return &api.Endpoints{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Endpoints"},
			ObjectMeta: api.ObjectMeta{Namespace: f.ns, Name: name},
			Subsets: []api.EndpointSubset{{Addresses: addrs,
				Ports: []api.EndpointPort{{Name: "http", Port: port}}}}}
	}
	create(svc("web", "10.96.53.10", api.ServicePort{Name: "http", Port: 80}))
	create(svc("db", api.ClusterIPNone, api.ServicePort{Name: "http", Port: 5432}))
	create(eps("db", 5432, api.EndpointAddress{IP: "10.53.0.5", Hostname: "db-0"}, api.EndpointAddress{IP: "10.53.0.6", Hostname: "db-1"}))
	create(svc("empty", api.ClusterIPNone))
	create(svc("big", api.ClusterIPNone, api.ServicePort{Name: "http", Port: 80}))
	var many []api.EndpointAddress
	for i := 1; i <= 100; i++ {
		many = append(many, api.EndpointAddress{IP: fmt.Sprintf("10.53.1.%d", i)})
	}
	create(eps("big", 80, many...))
	ext := svc("ext", "")
	ext.Spec.Type, ext.Spec.ExternalName = api.ServiceTypeExternalName, "www.example.org"
	create(ext)
	// The last object written: once it resolves, everything before it does.
	waitFor(t, 15*time.Second, "the follower's DNS to have the services", func() error {
		m, err := f.ask("ext."+f.ns+".svc.cluster.local.", dns.TypeCNAME, "udp", 0)
		if err != nil {
			return err
		}
		if len(m.Answer) == 0 {
			return fmt.Errorf("%s", dns.RcodeToString[m.Rcode])
		}
		return nil
	})
	return f
}

// ask is one query with the Go client; edns 0 sends none.
func (f *dnsFixture) ask(name string, qtype uint16, network string, edns uint16) (*dns.Msg, error) {
	q := new(dns.Msg)
	q.SetQuestion(name, qtype)
	if edns > 0 {
		q.SetEdns0(edns, false)
	}
	m, _, err := (&dns.Client{Net: network, Timeout: 2 * time.Second}).Exchange(q, f.dnsAddr)
	return m, err
}

// TestDNSGoClient: every kind of answer, through the Go client, from a follower.
func TestDNSGoClient(t *testing.T) {
	f := newDNSFixture(t)
	z := "." + f.ns + ".svc.cluster.local."
	tests := []struct {
		name    string
		qname   string
		qtype   uint16
		network string
		edns    uint16
		rcode   int
		answers int  // -1: some, fewer than 100
		tc      bool // truncated
		soa     bool // SOA in the authority section
		has     string
	}{
		{name: "A", qname: "web" + z, qtype: dns.TypeA, answers: 1, has: "10.96.53.10"},
		{name: "A in another case", qname: "WEB" + strings.ToUpper(z), qtype: dns.TypeA, answers: 1, has: "10.96.53.10"},
		{name: "SRV", qname: "_http._tcp.web" + z, qtype: dns.TypeSRV, answers: 1, has: "80 web" + z},
		{name: "PTR", qname: "10.53.96.10.in-addr.arpa.", qtype: dns.TypePTR, answers: 1, has: "web" + z},
		{name: "headless", qname: "db" + z, qtype: dns.TypeA, answers: 2, has: "10.53.0.6"},
		{name: "headless hostname", qname: "db-1.db" + z, qtype: dns.TypeA, answers: 1, has: "10.53.0.6"},
		{name: "headless SRV", qname: "_http._tcp.db" + z, qtype: dns.TypeSRV, answers: 2, has: "5432 db-0.db" + z},
		{name: "headless without endpoints is NXDOMAIN", qname: "empty" + z, qtype: dns.TypeA, rcode: dns.RcodeNameError, soa: true},
		{name: "ExternalName", qname: "ext" + z, qtype: dns.TypeA, answers: 2, has: "CNAME\twww.example.org."},
		{name: "NXDOMAIN with SOA", qname: "nope" + z, qtype: dns.TypeA, rcode: dns.RcodeNameError, soa: true},
		{name: "NODATA with SOA", qname: "web" + z, qtype: dns.TypeAAAA, soa: true},
		{name: "TXT dns-version", qname: "dns-version.cluster.local.", qtype: dns.TypeTXT, answers: 1, has: "1.1.0"},
		{name: "100 endpoints over UDP are truncated", qname: "big" + z, qtype: dns.TypeA, answers: -1, tc: true},
		{name: "100 endpoints over UDP with EDNS0 4096", qname: "big" + z, qtype: dns.TypeA, edns: 4096, answers: 100},
		{name: "100 endpoints over TCP", qname: "big" + z, qtype: dns.TypeA, network: "tcp", answers: 100},
		{name: "upstream-forwarded name", qname: "www.example.org.", qtype: dns.TypeA, answers: 1, has: "93.184.216.34"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			network := tt.network
			if network == "" {
				network = "udp"
			}
			m, err := f.ask(tt.qname, tt.qtype, network, tt.edns)
			if err != nil {
				t.Fatal(err)
			}
			if m.Rcode != tt.rcode {
				t.Fatalf("rcode %s, want %s", dns.RcodeToString[m.Rcode], dns.RcodeToString[tt.rcode])
			}
			switch {
			case tt.answers >= 0 && len(m.Answer) != tt.answers:
				t.Errorf("%d answers, want %d: %v", len(m.Answer), tt.answers, m.Answer)
			case tt.answers < 0 && (len(m.Answer) == 0 || len(m.Answer) >= 100):
				t.Errorf("%d answers, want some but not all", len(m.Answer))
			}
			if m.Truncated != tt.tc {
				t.Errorf("TC %v, want %v", m.Truncated, tt.tc)
			}
			if soa := len(m.Ns) == 1 && m.Ns[0].Header().Rrtype == dns.TypeSOA; soa != tt.soa {
				t.Errorf("SOA in authority %v, want %v", soa, tt.soa)
			}
			if tt.has != "" && !strings.Contains(fmt.Sprint(m.Answer), tt.has) {
				t.Errorf("answer %v lacks %q", m.Answer, tt.has)
			}
		})
	}
}

// TestDNSDig: the same server asked with dig, as an operator would.
func TestDNSDig(t *testing.T) {
	if _, err := exec.LookPath("dig"); err != nil {
		t.Skip("dig is not installed (Debian: apt-get install dnsutils; .ci/run installs it)")
	}
	f := newDNSFixture(t)
	host, port, _ := net.SplitHostPort(f.dnsAddr)
	dig := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("dig", append([]string{"@" + host, "-p", port, "+time=2", "+tries=1"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("dig %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	z := "." + f.ns + ".svc.cluster.local"
	tests := []struct {
		name string
		args []string
		want []string // substrings of dig's output
	}{
		{name: "A", args: []string{"web" + z, "A", "+short"}, want: []string{"10.96.53.10"}},
		{name: "SRV", args: []string{"_http._tcp.web" + z, "SRV", "+short"}, want: []string{"0 100 80 web" + z + "."}},
		{name: "PTR", args: []string{"-x", "10.96.53.10", "+short"}, want: []string{"web" + z + "."}},
		{name: "headless", args: []string{"db" + z, "+short"}, want: []string{"10.53.0.5", "10.53.0.6"}},
		{name: "ExternalName", args: []string{"ext" + z, "+short"}, want: []string{"www.example.org.", "93.184.216.34"}},
		{name: "NXDOMAIN with SOA", args: []string{"nope" + z}, want: []string{"status: NXDOMAIN", "flags: qr aa", "AUTHORITY: 1", "SOA"}},
		{name: "NODATA with SOA", args: []string{"web" + z, "AAAA"}, want: []string{"status: NOERROR", "ANSWER: 0, AUTHORITY: 1", "SOA"}},
		{name: "TCP", args: []string{"+tcp", "big" + z}, want: []string{"ANSWER: 100"}},
		{name: "truncated over UDP", args: []string{"+ignore", "+noedns", "big" + z}, want: []string{"flags: qr aa tc"}},
		{name: "dig retries a truncated answer over TCP", args: []string{"+noedns", "big" + z}, want: []string{"Truncated, retrying in TCP mode", "ANSWER: 100"}},
		{name: "upstream-forwarded name", args: []string{"www.example.org", "+short"}, want: []string{"93.184.216.34"}},
		{name: "dns-version", args: []string{"dns-version.cluster.local", "TXT", "+short"}, want: []string{`"1.1.0"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := dig(tt.args...)
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("dig %s: output lacks %q:\n%s", strings.Join(tt.args, " "), w, out)
				}
			}
		})
	}
}

// fakeResolver is an upstream resolver on loopback (UDP and TCP) that knows one
// name, so that forwarding is tested without the Internet.
type fakeResolver struct{ addr string }

func startFakeResolver(t *testing.T) *fakeResolver {
	t.Helper()
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
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.RecursionAvailable = true
		if q := r.Question[0]; strings.EqualFold(q.Name, "www.example.org.") && q.Qtype == dns.TypeA {
			m.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
				A: net.IPv4(93, 184, 216, 34)}}
		} else {
			m.Rcode = dns.RcodeNameError
		}
		_ = w.WriteMsg(m)
	})
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: h}, {Listener: ln, Handler: h}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go func() { _ = srv.ActivateAndServe() }()
		<-started
		t.Cleanup(func() { _ = srv.Shutdown() })
	}
	return &fakeResolver{addr: pc.LocalAddr().String()}
}
