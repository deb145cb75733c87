package netpol

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

var testCIDR = netip.MustParsePrefix("10.244.0.0/16")

func testOptions(node string) RenderOptions {
	return RenderOptions{ClusterCIDR: testCIDR, Node: node}
}

// dbRules: db isolated for ingress (api on 8080/tcp, anyone on udp 53-60),
// web isolated for egress with nothing allowed.
func dbRules() []PodRules {
	return []PodRules{
		{Namespace: "prod", Name: "db", IP: netip.MustParseAddr("10.244.1.2"), Ingress: &Isolation{Allows: []Allow{
			{Policy: "prod/api", Peers: []netip.Prefix{netip.MustParsePrefix("10.244.1.3/32"), netip.MustParsePrefix("10.244.2.0/24")},
				Ports: []PortRange{{Protocol: "tcp", First: 8080, Last: 8080}}},
			{Policy: "prod/dns", AllPeers: true, Ports: []PortRange{{Protocol: "udp", First: 53, Last: 60}, {Protocol: "sctp"}}},
		}}},
		{Namespace: "prod", Name: "web", IP: netip.MustParseAddr("10.244.1.4"), Egress: &Isolation{}},
	}
}

func TestRender(t *testing.T) {
	rs := Render(dbRules(), testOptions(testNode))
	n := newNames("", testCIDR, testNode)
	entry, dbIn, webOut := n.entry(), n.ingress("prod/db"), n.egress("prod/web")
	for _, c := range []string{entry, dbIn, webOut} {
		if len(c) > 28 || !strings.HasPrefix(c, "BERTH-") {
			t.Errorf("chain name %q: want BERTH-… of at most 28 characters", c)
		}
	}
	if want := []string{entry, dbIn, webOut}; !slices.Equal(rs.Chains(), want) {
		t.Errorf("chains %v, want %v", rs.Chains(), want)
	}
	want := []string{
		"-A " + entry + " -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN",
		"-A " + entry + ` -d 10.244.1.2/32 -m comment --comment "prod/db ingress" -j ` + dbIn,
		"-A " + dbIn + ` -s 10.244.1.3/32 -p tcp -m tcp --dport 8080 -m comment --comment "prod/api" -j RETURN`,
		"-A " + dbIn + ` -s 10.244.2.0/24 -p tcp -m tcp --dport 8080 -m comment --comment "prod/api" -j RETURN`,
		"-A " + dbIn + ` -p udp -m udp --dport 53:60 -m comment --comment "prod/dns" -j RETURN`,
		"-A " + dbIn + ` -p sctp -m comment --comment "prod/dns" -j RETURN`,
		"-A " + dbIn + ` -m comment --comment "prod/db ingress isolated by policy" -j DROP`,
		"-A " + entry + ` -s 10.244.1.4/32 -m comment --comment "prod/web egress" -j ` + webOut,
		"-A " + webOut + ` -m comment --comment "prod/web egress isolated by policy" -j DROP`,
	}
	got := rs.Rules()
	// The entry chain's lines are written as pods come, the pod chains' too:
	// compare per chain, in order.
	for _, c := range rs.Chains() {
		if g, w := rulesOf(got, c), rulesOf(want, c); !slices.Equal(g, w) {
			t.Errorf("chain %s:\n  %s\nwant:\n  %s", c, strings.Join(g, "\n  "), strings.Join(w, "\n  "))
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d rules, want %d", len(got), len(want))
	}
	if other := Render(dbRules(), testOptions("n2")); other.Chains()[0] == entry || other.Chains()[1] == dbIn {
		t.Error("two nodes share chain names")
	}
	if empty := Render(nil, testOptions(testNode)); len(empty.Rules()) != 0 || len(empty.Chains()) != 1 {
		t.Errorf("no isolated pod: chains %v rules %v, want the empty entry chain", empty.Chains(), empty.Rules())
	}
}

func rulesOf(rules []string, chain string) []string {
	var out []string
	for _, r := range rules {
		if strings.HasPrefix(r, "-A "+chain+" ") {
			out = append(out, r)
		}
	}
	return out
}

func TestPayload(t *testing.T) {
	rs := Render(dbRules(), testOptions(testNode))
	n := rs.names
	entry := n.entry()
	jump := `-m comment --comment "berth cluster 10.244.0.0/16" -j ` + entry
	staleA, staleB := n.ingress("prod/gone"), n.egress("prod/moved")
	otherNode := newNames("", testCIDR, "n2")
	proxyJump := `-m comment --comment "berth cluster 10.244.0.0/16" -j ` + n.cluster + "FORWARD"
	tests := []struct {
		name    string
		save    string
		applied []string
		want    []string // lines the payload must hold, in this order
		not     []string // lines it must not hold
	}{
		{"fresh host without Docker: the jump goes into FORWARD",
			"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\nCOMMIT\n", nil,
			[]string{"*filter", ":" + entry + " - [0:0]", "-A " + entry, "-I FORWARD 1 " + jump, "COMMIT"}, []string{"-X", "DOCKER-USER"}},
		{"Docker: the jump goes into DOCKER-USER",
			"*filter\n:FORWARD DROP [0:0]\n:DOCKER-USER - [0:0]\n-A FORWARD -j DOCKER-USER\n-A DOCKER-USER -j RETURN\nCOMMIT\n", nil,
			[]string{"-I DOCKER-USER 1 " + jump}, []string{"-I FORWARD"}},
		{"jump in place ahead of the proxy's: left alone",
			"*filter\n:DOCKER-USER - [0:0]\n:" + entry + " - [0:0]\n-A DOCKER-USER " + jump + "\n-A DOCKER-USER " + proxyJump + "\nCOMMIT\n", nil,
			nil, []string{"-I DOCKER-USER", "-D DOCKER-USER"}},
		{"the proxy's jump ahead of ours: ours moves to the top",
			"*filter\n:DOCKER-USER - [0:0]\n:" + entry + " - [0:0]\n-A DOCKER-USER " + proxyJump + "\n-A DOCKER-USER " + jump + "\nCOMMIT\n", nil,
			[]string{"-D DOCKER-USER " + jump, "-I DOCKER-USER 1 " + jump}, nil},
		{"another node's jump ahead of ours: no fight",
			"*filter\n:DOCKER-USER - [0:0]\n-A DOCKER-USER -j " + otherNode.entry() + "\n-A DOCKER-USER " + jump + "\n-A DOCKER-USER " + proxyJump + "\nCOMMIT\n", nil,
			nil, []string{"-I DOCKER-USER", "-D DOCKER-USER"}},
		{"stale pod chains go, found from the entry chain and from the last restore; another node's stay",
			"*filter\n:DOCKER-USER - [0:0]\n:" + entry + " - [0:0]\n:" + staleA + " - [0:0]\n:" + staleB + " - [0:0]\n:" + otherNode.ingress("prod/x") + " - [0:0]\n" +
				"-A DOCKER-USER " + jump + "\n-A " + entry + " -d 10.244.1.9/32 -j " + staleA + "\n-A " + entry + " -d 10.244.1.2/32 -j " + n.ingress("prod/db") + "\nCOMMIT\n",
			[]string{staleB, n.ingress("prod/never-made")},
			[]string{":" + staleA + " - [0:0]", ":" + staleB + " - [0:0]", "-X " + staleA, "-X " + staleB, "COMMIT"},
			[]string{"-X " + n.ingress("prod/db"), otherNode.ingress("prod/x"), "prod/never-made", "-X " + entry}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload := string(rs.Payload(parseSave([]byte(tt.save)), tt.applied))
			if !strings.HasPrefix(payload, "*filter\n") || !strings.HasSuffix(payload, "COMMIT\n") {
				t.Errorf("not one filter transaction:\n%s", payload)
			}
			rest := payload
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("%q missing (or out of order) in:\n%s", w, payload)
				}
				rest = rest[i+len(w):]
			}
			for _, w := range tt.not {
				if strings.Contains(payload, w) {
					t.Errorf("payload holds %q:\n%s", w, payload)
				}
			}
		})
	}
	for _, c := range rs.Chains() {
		if !n.isPolicyChain(c) || n.isPolicyChain(n.cluster+"FORWARD") {
			t.Errorf("%s: policy chains and the proxy's are told apart wrongly", c)
		}
	}
}

func TestCleanupPayload(t *testing.T) {
	n := newNames("", testCIDR, testNode)
	other := newNames("", testCIDR, "n2")
	entry, pi := n.entry(), n.ingress("prod/db")
	save := "*nat\n:" + entry + " - [0:0]\nCOMMIT\n*filter\n:FORWARD DROP [0:0]\n:DOCKER-USER - [0:0]\n:" + entry + " - [0:0]\n:" + pi + " - [0:0]\n:" +
		other.entry() + " - [0:0]\n" +
		"-A FORWARD -j " + entry + "\n-A DOCKER-USER -m comment --comment \"berth cluster 10.244.0.0/16\" -j " + entry + "\n" +
		"-A DOCKER-USER -j " + other.entry() + "\n-A " + entry + " -d 10.244.1.2/32 -j " + pi + "\nCOMMIT\n"
	got := string(cleanupPayload(parseSave([]byte(save)), n))
	want := "*filter\n:" + entry + " - [0:0]\n:" + pi + " - [0:0]\n-D FORWARD -j " + entry + "\n" +
		"-D DOCKER-USER -m comment --comment \"berth cluster 10.244.0.0/16\" -j " + entry + "\n-X " + entry + "\n-X " + pi + "\nCOMMIT\n"
	if got != want {
		t.Errorf("payload:\n%s\nwant:\n%s", got, want)
	}
	if p := cleanupPayload(parseSave([]byte("*filter\n:FORWARD DROP [0:0]\nCOMMIT\n")), n); p != nil {
		t.Errorf("nothing to clean, payload %q", p)
	}
}
