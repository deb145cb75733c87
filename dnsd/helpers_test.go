package dnsd

import (
	"fmt"
	"net"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/berth-dev/berth/api"
)

// recorder is a dns.ResponseWriter that keeps what the handler wrote (CoreDNS'
// test.ResponseWriter), over UDP or TCP.
type recorder struct {
	tcp    bool
	msg    *dns.Msg
	packed int // the size of the packed answer
	err    error
}

func (r *recorder) LocalAddr() net.Addr {
	if r.tcp {
		return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53}
	}
	return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53}
}

func (r *recorder) RemoteAddr() net.Addr {
	if r.tcp {
		return &net.TCPAddr{IP: net.IPv4(10, 244, 0, 9), Port: 40000}
	}
	return &net.UDPAddr{IP: net.IPv4(10, 244, 0, 9), Port: 40000}
}

func (r *recorder) WriteMsg(m *dns.Msg) error {
	b, err := m.Pack()
	if err != nil {
		r.err = err
		return err
	}
	r.msg, r.packed = m, len(b)
	return nil
}

func (r *recorder) Write(b []byte) (int, error) {
	m := new(dns.Msg)
	if err := m.Unpack(b); err != nil {
		return 0, err
	}
	r.msg, r.packed = m, len(b)
	return len(b), nil
}

func (r *recorder) Close() error        { return nil }
func (r *recorder) TsigStatus() error   { return nil }
func (r *recorder) TsigTimersOnly(bool) {}
func (r *recorder) Hijack()             {}
func (r *recorder) rcode() string       { return dns.RcodeToString[r.msg.Rcode] }
func (r *recorder) hasSOA() bool {
	return len(r.msg.Ns) == 1 && r.msg.Ns[0].Header().Rrtype == dns.TypeSOA
}
func (r *recorder) answers() []string { return rrStrings(r.msg.Answer) }
func (r *recorder) extras() []string  { return rrStrings(stripOPT(r.msg.Extra)) }

// rrStrings renders records without their TTL, sorted (headless answers rotate).
func rrStrings(rrs []dns.RR) []string {
	out := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		f := strings.Split(rr.String(), "\t")
		if len(f) > 2 {
			f = append(f[:1], f[2:]...) // drop the TTL
		}
		out = append(out, strings.Join(f, " "))
	}
	sort.Strings(out)
	return out
}

func stripOPT(rrs []dns.RR) []dns.RR {
	var out []dns.RR
	for _, rr := range rrs {
		if rr.Header().Rrtype != dns.TypeOPT {
			out = append(out, rr)
		}
	}
	return out
}

// query builds a query; edns 0 means none.
func query(name string, qtype uint16, edns uint16) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	if edns > 0 {
		m.SetEdns0(edns, false)
	}
	return m
}

func service(ns, name, clusterIP string, ports ...api.ServicePort) *api.Service {
	s := &api.Service{ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name}}
	s.Spec.ClusterIP = clusterIP
	s.Spec.Ports = ports
	return s
}

func endpoints(ns, name string, ports []api.EndpointPort, addrs ...api.EndpointAddress) *api.Endpoints {
	return &api.Endpoints{
		ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name},
		Subsets:    []api.EndpointSubset{{Addresses: addrs, Ports: ports}},
	}
}

func podRef(name string) *api.ObjectReference { return &api.ObjectReference{Kind: "Pod", Name: name} }

// mustNewFixture is a server over an index with one service of each kind.
func mustNewFixture(t testing.TB, upstreams ...string) (*Server, *Index) {
	t.Helper()
	x := NewIndex()
	http := api.ServicePort{Name: "http", Port: 80}
	x.SetService(service("default", "web", "10.96.0.10", http,
		api.ServicePort{Name: "dns", Port: 53, Protocol: "UDP"}, api.ServicePort{Port: 8080}))
	x.SetEndpoints(endpoints("default", "web", []api.EndpointPort{{Name: "http", Port: 8080}},
		api.EndpointAddress{IP: "10.244.1.2"}))
	v6 := service("default", "v6", "fd00::10", http)
	v6.Spec.ClusterIPs = []string{"fd00::10"}
	x.SetService(v6)
	x.SetService(service("default", "db", api.ClusterIPNone, api.ServicePort{Name: "pg", Port: 5432}))
	x.SetPod(&api.Pod{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "db-1"},
		Spec: api.PodSpec{Hostname: "db-1", Subdomain: "db"}})
	x.SetEndpoints(endpoints("default", "db", []api.EndpointPort{{Name: "pg", Port: 5432}},
		api.EndpointAddress{IP: "10.244.1.5", Hostname: "db-0"},
		api.EndpointAddress{IP: "10.244.1.6", TargetRef: podRef("db-1")},
		api.EndpointAddress{IP: "10.244.1.7", TargetRef: podRef("other")}))
	x.SetService(service("default", "empty", api.ClusterIPNone))
	ext := service("default", "ext", "")
	ext.Spec.Type, ext.Spec.ExternalName = api.ServiceTypeExternalName, "example.com"
	x.SetService(ext)
	inner := service("default", "alias", "")
	inner.Spec.Type, inner.Spec.ExternalName = api.ServiceTypeExternalName, "web.default.svc.cluster.local"
	x.SetService(inner)
	x.SetService(service("default", "big", api.ClusterIPNone, api.ServicePort{Name: "http", Port: 80}))
	var many []api.EndpointAddress
	for i := 1; i <= 100; i++ {
		many = append(many, api.EndpointAddress{IP: fmt.Sprintf("10.244.2.%d", i)})
	}
	x.SetEndpoints(endpoints("default", "big", []api.EndpointPort{{Name: "http", Port: 80}}, many...))
	x.SetService(service("other", "web", "10.96.0.20"))
	cfg := DefaultConfig()
	cfg.Upstreams = upstreams
	s, err := New(cfg, x)
	if err != nil {
		t.Fatal(err)
	}
	return s, x
}

// ask sends one query through ServeDNS.
func ask(t testing.TB, s *Server, m *dns.Msg, tcp bool) *recorder {
	t.Helper()
	w := &recorder{tcp: tcp}
	s.ServeDNS(w, m)
	if w.err != nil {
		t.Fatalf("%v: the answer does not pack: %v", m.Question, w.err)
	}
	if w.msg == nil {
		t.Fatalf("%v: no answer", m.Question)
	}
	return w
}

// soaSerial matches the serial of a rendered SOA, which is the server's start time.
var soaSerial = regexp.MustCompile(` [0-9]{6,} `)

func mustReverse(t testing.TB, ip string) string {
	t.Helper()
	r, err := dns.ReverseAddr(ip)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }
