package proxy

import (
	"flag"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var testCIDR = netip.MustParsePrefix("10.244.0.0/16")

func ep(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// web is a ClusterIP and NodePort service port with two endpoints.
func web() ServicePort {
	return ServicePort{
		Namespace: "default", Name: "web", PortName: "http", Protocol: "tcp",
		ClusterIP: netip.MustParseAddr("10.96.0.10"), Port: 80, NodePort: 30080,
		Endpoints: []netip.AddrPort{ep("10.244.1.5:8080"), ep("10.244.2.7:8080")},
	}
}

// TestRenderGolden pins the whole payload of a small cluster: a NodePort
// service with two endpoints, a ClientIP-affine one, and one without
// endpoints, onto a host with a stale chain of the cluster and a chain of
// another cluster.
func TestRenderGolden(t *testing.T) {
	sticky := web()
	sticky.Name, sticky.PortName, sticky.NodePort, sticky.AffinitySeconds = "sticky", "", 0, 600
	sticky.ClusterIP = netip.MustParseAddr("10.96.0.11")
	sticky.Endpoints = []netip.AddrPort{ep("10.244.1.6:9000")}
	empty := ServicePort{Namespace: "default", Name: "empty", Protocol: "udp",
		ClusterIP: netip.MustParseAddr("10.96.0.12"), Port: 53, NodePort: 30053}
	rs := Render([]ServicePort{web(), sticky, empty}, RenderOptions{ClusterCIDR: testCIDR})
	n := newNames(DefaultPrefix, ClusterTag(testCIDR))
	save := "*nat\n:PREROUTING ACCEPT [0:0]\n:" + n.chain("SVC-OLDOLDOLDOL") + " - [0:0]\n:BERTH-ZZZZZZ-SERVICES - [0:0]\n" +
		"-A PREROUTING -s 10.244.0.0/16 -j " + n.chain(kindServices) + "\nCOMMIT\n"
	got := string(rs.Payload(ParseSave([]byte(save))))
	golden := filepath.Join("testdata", "render.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("payload differs from %s (run with -update after checking):\n%s", golden, got)
	}
}

// TestRenderRules checks the rules that carry each behaviour.
func TestRenderRules(t *testing.T) {
	n := newNames(DefaultPrefix, ClusterTag(testCIDR))
	key := web().key()
	svc := n.svc(key)
	sep1, sep2 := n.sep(key, ep("10.244.1.5:8080")), n.sep(key, ep("10.244.2.7:8080"))
	masq := n.chain(kindMarkMasq)
	tests := []struct {
		name       string
		port       func() ServicePort
		opts       RenderOptions
		want, none []string // substrings of some rule / of no rule
	}{{
		name: "cluster IP portal and masquerade of off-cluster sources",
		port: web, opts: RenderOptions{ClusterCIDR: testCIDR},
		want: []string{
			"-A " + n.chain(kindServices) + " -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -m comment --comment \"default/web:http/tcp cluster IP\" -j " + svc,
			"-A " + svc + " ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j " + masq,
			"-A " + sep1 + " -p tcp -m tcp -j DNAT --to-destination 10.244.1.5:8080",
			"-A " + sep2 + " -p tcp -m tcp -j DNAT --to-destination 10.244.2.7:8080",
		},
	}, {
		name: "unknown cluster CIDR masquerades nothing for its source",
		port: web, opts: RenderOptions{},
		none: []string{"--dport 80 -j " + masq},
	}, {
		name: "node port marks for masquerade, then the service chain",
		port: web, opts: RenderOptions{ClusterCIDR: testCIDR},
		want: []string{
			"-A " + n.chain(kindNodePorts) + " -p tcp -m tcp --dport 30080 -m comment --comment \"default/web:http/tcp node port\" -j " + masq,
			"-A " + n.chain(kindNodePorts) + " -p tcp -m tcp --dport 30080 -m comment --comment \"default/web:http/tcp node port\" -j " + svc,
		},
	}, {
		name: "hairpin: an endpoint reaching itself is masqueraded",
		port: web, opts: RenderOptions{ClusterCIDR: testCIDR},
		want: []string{"-A " + sep1 + " -s 10.244.1.5/32 -j " + masq, "-A " + sep2 + " -s 10.244.2.7/32 -j " + masq},
	}, {
		name: "random choice over two endpoints",
		port: web, opts: RenderOptions{ClusterCIDR: testCIDR},
		want: []string{"-A " + svc + " -m statistic --mode random --probability 0.5000000000 -j " + sep1, "-A " + svc + " -j " + sep2},
		none: []string{"-m recent"},
	}, {
		name: "ClientIP affinity with the service's timeout",
		port: func() ServicePort { sp := web(); sp.AffinitySeconds = 600; return sp },
		opts: RenderOptions{ClusterCIDR: testCIDR},
		want: []string{
			"-A " + svc + " -m recent --name " + sep1 + " --rcheck --seconds 600 --reap -j " + sep1,
			"-A " + svc + " -m recent --name " + sep2 + " --rcheck --seconds 600 --reap -j " + sep2,
			"-A " + sep1 + " -p tcp -m recent --name " + sep1 + " --set -m tcp -j DNAT --to-destination 10.244.1.5:8080",
		},
	}, {
		name: "no endpoints: REJECT in filter, no service chain",
		port: func() ServicePort { sp := web(); sp.Endpoints = nil; return sp },
		opts: RenderOptions{ClusterCIDR: testCIDR},
		want: []string{
			"-A " + n.chain(kindReject) + " -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -m comment --comment \"default/web:http/tcp has no endpoints\" -j REJECT --reject-with icmp-port-unreachable",
			"-A " + n.chain(kindExtReject) + " -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 30080 -m comment --comment \"default/web:http/tcp has no endpoints\" -j REJECT --reject-with icmp-port-unreachable",
		},
		none: []string{svc, "--to-destination"},
	}, {
		name: "udp",
		port: func() ServicePort { sp := web(); sp.Protocol = "udp"; return sp },
		opts: RenderOptions{ClusterCIDR: testCIDR},
		want: []string{"-p udp -m udp --dport 80", "-p udp -m udp -j DNAT --to-destination 10.244.1.5:8080"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := Render([]ServicePort{tc.port()}, tc.opts)
			all := strings.Join(append(rs.Rules(tableNAT), rs.Rules(tableFilter)...), "\n")
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("no rule %q in\n%s", w, all)
				}
			}
			for _, w := range tc.none {
				if strings.Contains(all, w) {
					t.Errorf("a rule has %q:\n%s", w, all)
				}
			}
		})
	}
}

// TestRenderProbabilities checks that the cascade of random matches gives
// every one of n endpoints the same share.
func TestRenderProbabilities(t *testing.T) {
	for _, count := range []int{1, 2, 3, 7, 100} {
		t.Run(strconv.Itoa(count), func(t *testing.T) {
			sp := web()
			sp.Endpoints = nil
			for i := range count {
				sp.Endpoints = append(sp.Endpoints, netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 244, byte(1 + i/200), byte(2 + i%200)}), 8080))
			}
			rs := Render([]ServicePort{sp}, RenderOptions{ClusterCIDR: testCIDR})
			svc := rs.names.svc(sp.key())
			remaining, shares := 1.0, []float64{}
			for _, r := range rs.Rules(tableNAT) {
				if !strings.HasPrefix(r, "-A "+svc+" ") || strings.Contains(r, "! -s") {
					continue
				}
				p := 1.0
				if _, after, ok := strings.Cut(r, "--probability "); ok {
					v, err := strconv.ParseFloat(strings.Fields(after)[0], 64)
					if err != nil {
						t.Fatal(err)
					}
					p = v
				}
				shares = append(shares, remaining*p)
				remaining *= 1 - p
			}
			if len(shares) != count {
				t.Fatalf("%d choices for %d endpoints", len(shares), count)
			}
			for i, s := range shares {
				if math.Abs(s-1/float64(count)) > 1e-6 {
					t.Errorf("endpoint %d gets %.8f, want %.8f", i, s, 1/float64(count))
				}
			}
		})
	}
}

func TestChainNamesFitIPTables(t *testing.T) {
	rs := Render([]ServicePort{web()}, RenderOptions{ClusterCIDR: testCIDR})
	for _, table := range tables {
		for _, c := range rs.Chains(table) {
			if len(c) > maxChainName {
				t.Errorf("chain %q is %d characters, iptables takes %d", c, len(c), maxChainName)
			}
		}
	}
	other := Render([]ServicePort{web()}, RenderOptions{ClusterCIDR: netip.MustParsePrefix("10.245.0.0/16")})
	if rs.Chains(tableNAT)[0] == other.Chains(tableNAT)[0] {
		t.Errorf("two clusters share chain %s", rs.Chains(tableNAT)[0])
	}
}

// TestPayloadJumpsAndStale checks that jumps are inserted only when missing
// and that only the cluster's own stale chains are deleted.
func TestPayloadJumpsAndStale(t *testing.T) {
	rs := Render(nil, RenderOptions{ClusterCIDR: testCIDR})
	n := rs.names
	empty := string(rs.Payload(ParseSave(nil)))
	if c := strings.Count(empty, "-I "); c != len(rs.Jumps) {
		t.Errorf("fresh host: %d jumps inserted, want %d:\n%s", c, len(rs.Jumps), empty)
	}
	var save strings.Builder
	for _, table := range tables {
		save.WriteString("*" + table + "\n:" + n.chain("SEP-GONEGONEGON") + " - [0:0]\n:BERTH-OTHERS-SEP-KEEPKEEPKEE - [0:0]\n")
		for _, j := range rs.Jumps {
			if j.Table == table {
				save.WriteString("-A " + j.Chain + " " + j.Spec + "\n")
			}
		}
		save.WriteString("COMMIT\n")
	}
	got := string(rs.Payload(ParseSave([]byte(save.String()))))
	if strings.Contains(got, "-I ") {
		t.Errorf("jumps inserted again:\n%s", got)
	}
	if strings.Count(got, "-X "+n.chain("SEP-GONEGONEGON")) != 2 {
		t.Errorf("stale chain not deleted in both tables:\n%s", got)
	}
	if strings.Contains(got, "KEEPKEEPKEE") {
		t.Errorf("another cluster's chain touched:\n%s", got)
	}

	// With Docker, FORWARD's jumps go to DOCKER-USER, which Docker keeps ahead
	// of the ACCEPTs it inserts for each new bridge.
	docker := string(rs.Payload(ParseSave([]byte("*filter\n:FORWARD DROP [0:0]\n:DOCKER-USER - [0:0]\n-A FORWARD -j DOCKER-USER\nCOMMIT\n"))))
	if strings.Contains(docker, "-I FORWARD") || strings.Count(docker, "-I DOCKER-USER 1 ") != 2 {
		t.Errorf("with DOCKER-USER, FORWARD's two jumps should go there:\n%s", docker)
	}
	withJumps := "*filter\n:DOCKER-USER - [0:0]\n"
	for _, j := range rs.Jumps {
		if j.Chain == "FORWARD" {
			withJumps += "-A DOCKER-USER " + j.Spec + "\n"
		}
	}
	if again := string(rs.Payload(ParseSave([]byte(withJumps + "COMMIT\n")))); strings.Contains(again, "DOCKER-USER 1") {
		t.Errorf("jumps in DOCKER-USER inserted again:\n%s", again)
	}
}

func TestCleanupPayload(t *testing.T) {
	save := `# Generated by iptables-save
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:DOCKER - [0:0]
:BERTH-AAAAAA-FORWARD - [0:0]
:BERTH-BBBBBB-FORWARD - [0:0]
-A FORWARD -m comment --comment "berth cluster 10.1.0.0/16" -j BERTH-AAAAAA-FORWARD
-A FORWARD -m comment --comment "berth cluster 10.2.0.0/16" -j BERTH-BBBBBB-FORWARD
-A FORWARD -o docker0 -j DOCKER
-A BERTH-AAAAAA-FORWARD -j ACCEPT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:BERTH-AAAAAA-SERVICES - [0:0]
:BERTH-AAAAAA-SVC-XXXXXXXXXXX - [0:0]
-A PREROUTING -s 10.1.0.0/16 -m comment --comment "berth cluster 10.1.0.0/16" -j BERTH-AAAAAA-SERVICES
-A PREROUTING -s 10.1.0.0/16 -m comment --comment "berth cluster 10.1.0.0/16" -j BERTH-AAAAAA-SERVICES
-A BERTH-AAAAAA-SERVICES -j BERTH-AAAAAA-SVC-XXXXXXXXXXX
COMMIT
`
	tests := []struct {
		name, prefix string
		want, none   []string
	}{{
		name: "every cluster", prefix: "BERTH-",
		want: []string{
			"-D FORWARD -m comment --comment \"berth cluster 10.1.0.0/16\" -j BERTH-AAAAAA-FORWARD",
			"-D FORWARD -m comment --comment \"berth cluster 10.2.0.0/16\" -j BERTH-BBBBBB-FORWARD",
			"-X BERTH-AAAAAA-FORWARD", "-X BERTH-BBBBBB-FORWARD", "-X BERTH-AAAAAA-SVC-XXXXXXXXXXX",
			":BERTH-AAAAAA-SERVICES - [0:0]",
		},
		none: []string{"DOCKER"},
	}, {
		name: "one cluster", prefix: "BERTH-AAAAAA-",
		want: []string{"-X BERTH-AAAAAA-FORWARD", "-X BERTH-AAAAAA-SERVICES"},
		none: []string{"BBBBBB", "DOCKER"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := string(ParseSave([]byte(save)).cleanupPayload(tc.prefix))
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("no %q in\n%s", w, got)
				}
			}
			for _, w := range tc.none {
				if strings.Contains(got, w) {
					t.Errorf("payload has %q:\n%s", w, got)
				}
			}
			if c := strings.Count(got, "-D PREROUTING"); c != 2 {
				t.Errorf("%d PREROUTING jumps deleted, want both duplicates:\n%s", c, got)
			}
		})
	}
	if p := ParseSave([]byte("*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n")).cleanupPayload("BERTH-"); p != nil {
		t.Errorf("nothing to clean, payload %q", p)
	}
}
