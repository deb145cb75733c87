package netpol

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/berth-dev/berth/api"
)

// testNode is the node whose pods the tests guard.
const testNode = "n1"

// pod is a running pod with an IP on node; ports are "name:number[/PROTO]".
func pod(ns, name, node, ip string, labels map[string]string, ports ...string) *api.Pod {
	p := &api.Pod{}
	p.Namespace, p.Name, p.Labels = ns, name, labels
	p.Spec.NodeName = node
	p.Status.Phase, p.Status.PodIP = "Running", ip
	ctr := api.Container{Name: "app"}
	for _, s := range ports {
		name, rest, _ := strings.Cut(s, ":")
		num, proto, _ := strings.Cut(rest, "/")
		var n int32
		fmt.Sscan(num, &n)
		ctr.Ports = append(ctr.Ports, api.ContainerPort{Name: name, ContainerPort: n, Protocol: proto})
	}
	p.Spec.Containers = []api.Container{ctr}
	return p
}

// policy decodes a NetworkPolicy manifest's spec (YAML, indented two spaces)
// in namespace ns and defaults it as the API does.
func policy(t *testing.T, ns, name, spec string) *api.NetworkPolicy {
	t.Helper()
	doc := "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: " + name + ", namespace: " + ns + "}\nspec:\n" + spec
	obj, _, err := api.DecodeObject([]byte(doc))
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	if err := api.Validate(obj); err != nil {
		t.Fatalf("validate %s: %v", name, err)
	}
	api.Default(obj)
	return obj.(*api.NetworkPolicy)
}

// summary prints rules one line per isolation and allow, to compare in tables:
// "ns/pod ingress isolated", "ns/pod ingress ns/policy PEERS PORTS".
func summary(rules []PodRules) []string {
	var out []string
	for _, p := range rules {
		for _, d := range []struct {
			name string
			iso  *Isolation
		}{{"ingress", p.Ingress}, {"egress", p.Egress}} {
			if d.iso == nil {
				continue
			}
			out = append(out, p.key()+" "+d.name+" isolated")
			for _, a := range d.iso.Allows {
				peers, ports := "*", "*"
				if !a.AllPeers {
					var s []string
					for _, pr := range a.Peers {
						s = append(s, pr.String())
					}
					peers = strings.Join(s, ",")
				}
				if !a.AllPorts {
					var s []string
					for _, pr := range a.Ports {
						switch {
						case pr.First == 0:
							s = append(s, pr.Protocol+"/*")
						case pr.First == pr.Last:
							s = append(s, fmt.Sprintf("%s/%d", pr.Protocol, pr.First))
						default:
							s = append(s, fmt.Sprintf("%s/%d-%d", pr.Protocol, pr.First, pr.Last))
						}
					}
					ports = strings.Join(s, ",")
				}
				out = append(out, p.key()+" "+d.name+" "+a.Policy+" "+peers+" "+ports)
			}
		}
	}
	return out
}

// testPods: db (local, named port "pg"), two api pods (one remote), a web
// pod, an api pod in namespace "other" (team=a), and pods that are never
// peers: host network, finished, no IP.
func testPods() []*api.Pod {
	hostNet := pod("prod", "hostnet", testNode, "192.168.1.10", map[string]string{"app": "api"})
	hostNet.Spec.HostNetwork = true
	done := pod("prod", "done", "n2", "10.244.2.9", map[string]string{"app": "api"})
	done.Status.Phase = api.PodSucceeded
	return []*api.Pod{
		pod("prod", "db", testNode, "10.244.1.2", map[string]string{"app": "db"}, "pg:5432", "dns:53/UDP"),
		pod("prod", "api-1", testNode, "10.244.1.3", map[string]string{"app": "api"}, "http:8080"),
		pod("prod", "api-2", "n2", "10.244.2.3", map[string]string{"app": "api"}, "http:9090"),
		pod("prod", "web", testNode, "10.244.1.4", map[string]string{"app": "web"}),
		pod("other", "api", "n2", "10.244.2.5", map[string]string{"app": "api"}, "http:8080"),
		pod("prod", "pending", testNode, "", map[string]string{"app": "api"}),
		hostNet, done,
	}
}

func TestCompute(t *testing.T) {
	namespaces := map[string]map[string]string{"other": {"team": "a"}, "prod": {"team": "b"}}
	tests := []struct {
		name     string
		policies func(t *testing.T) []*api.NetworkPolicy
		want     []string
	}{
		{"no policy: every pod open", func(t *testing.T) []*api.NetworkPolicy { return nil }, nil},
		{"default deny ingress for app=db", func(t *testing.T) []*api.NetworkPolicy {
			return []*api.NetworkPolicy{policy(t, "prod", "deny", "  podSelector: {matchLabels: {app: db}}\n")}
		}, []string{"prod/db ingress isolated"}},
		{"a policy of another namespace selects nothing here", func(t *testing.T) []*api.NetworkPolicy {
			return []*api.NetworkPolicy{policy(t, "other", "deny", "  podSelector: {}\n")}
		}, nil},
		{"allow from app=api in the same namespace only", func(t *testing.T) []*api.NetworkPolicy {
			return []*api.NetworkPolicy{
				policy(t, "prod", "deny", "  podSelector: {matchLabels: {app: db}}\n"),
				policy(t, "prod", "api", "  podSelector: {matchLabels: {app: db}}\n  ingress: [{from: [{podSelector: {matchLabels: {app: api}}}]}]\n"),
			}
		}, []string{"prod/db ingress isolated", "prod/db ingress prod/api 10.244.1.3/32,10.244.2.3/32 *"}},
		{"namespaceSelector alone: every pod of the namespaces", func(t *testing.T) []*api.NetworkPolicy {
			return []*api.NetworkPolicy{policy(t, "prod", "ns", "  podSelector: {matchLabels: {app: db}}\n  ingress: [{from: [{namespaceSelector: {matchLabels: {team: a}}}]}]\n")}
		}, []string{"prod/db ingress isolated", "prod/db ingress prod/ns 10.244.2.5/32 *"}},
		{"pod and namespace selector in one peer: AND", func(t *testing.T) []*api.NetworkPolicy {
			return []*api.NetworkPolicy{policy(t, "prod", "and", "  podSelector: {matchLabels: {app: db}}\n"+
				"  ingress: [{from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: api}}}]}]\n")}
		}, []string{"prod/db ingress isolated", "prod/db ingress prod/and 10.244.1.3/32,10.244.2.3/32,10.244.2.5/32 *"}},
		{"two peers: OR", func(t *testing.T) []*api.NetworkPolicy {
			return []*api.NetworkPolicy{policy(t, "prod", "or", "  podSelector: {matchLabels: {app: db}}\n"+
				"  ingress: [{from: [{namespaceSelector: {matchLabels: {team: a}}}, {podSelector: {matchLabels: {app: web}}}]}]\n")}
		}, []string{"prod/db ingress isolated", "prod/db ingress prod/or 10.244.1.4/32,10.244.2.5/32 *"}},
		{"namespace by its implicit name label", func(t *testing.T) []*api.NetworkPolicy {
			return []*api.NetworkPolicy{policy(t, "prod", "byname", "  podSelector: {matchLabels: {app: db}}\n"+
				"  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: other}}}]}]\n")}
		}, []string{"prod/db ingress isolated", "prod/db ingress prod/byname 10.244.2.5/32 *"}},
		{"ipBlock with except", func(t *testing.T) []*api.NetworkPolicy {
			return []*api.NetworkPolicy{policy(t, "prod", "block", "  podSelector: {matchLabels: {app: db}}\n"+
				"  ingress: [{from: [{ipBlock: {cidr: 10.244.0.0/16, except: [10.244.1.0/24, 10.244.2.0/25]}}]}]\n")}
		}, []string{"prod/db ingress isolated", "prod/db ingress prod/block " +
			"10.244.0.0/24,10.244.2.128/25,10.244.3.0/24,10.244.4.0/22,10.244.8.0/21,10.244.16.0/20,10.244.32.0/19,10.244.64.0/18,10.244.128.0/17 *"}},
		{"ports: number, range, protocol only, named, unknown name", func(t *testing.T) []*api.NetworkPolicy {
			return []*api.NetworkPolicy{policy(t, "prod", "ports", "  podSelector: {matchLabels: {app: db}}\n"+
				"  ingress: [{ports: [{port: 80}, {port: 30000, endPort: 30100, protocol: UDP}, {protocol: SCTP}, {port: pg}, {port: dns, protocol: UDP}, {port: nope}]}]\n")}
		}, []string{"prod/db ingress isolated", "prod/db ingress prod/ports * sctp/*,tcp/80,tcp/5432,udp/53,udp/30000-30100"}},
		{"only unknown port names: the rule allows nothing", func(t *testing.T) []*api.NetworkPolicy {
			return []*api.NetworkPolicy{policy(t, "prod", "names", "  podSelector: {matchLabels: {app: db}}\n"+
				"  ingress: [{ports: [{port: nope}, {port: dns}]}]\n")}
		}, []string{"prod/db ingress isolated"}},
		{"union of policies, each pod its own", func(t *testing.T) []*api.NetworkPolicy {
			return []*api.NetworkPolicy{
				policy(t, "prod", "a", "  podSelector: {matchLabels: {app: db}}\n  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 5432}]}]\n"),
				policy(t, "prod", "b", "  podSelector: {}\n  ingress: [{from: [{podSelector: {matchLabels: {app: api}}}]}]\n"),
			}
		}, []string{
			"prod/api-1 ingress isolated", "prod/api-1 ingress prod/b 10.244.1.3/32,10.244.2.3/32 *",
			"prod/db ingress isolated", "prod/db ingress prod/a 10.244.1.4/32 tcp/5432", "prod/db ingress prod/b 10.244.1.3/32,10.244.2.3/32 *",
			"prod/web ingress isolated", "prod/web ingress prod/b 10.244.1.3/32,10.244.2.3/32 *",
		}},
		{"egress only: ingress stays open", func(t *testing.T) []*api.NetworkPolicy {
			return []*api.NetworkPolicy{policy(t, "prod", "out", "  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Egress]\n"+
				"  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.244.1.2/32]}}]}]\n")}
		}, []string{"prod/web egress isolated", "prod/web egress prod/out " + strings.Join(allBut("10.244.1.2"), ",") + " *"}},
		{"egress named port: the destination's", func(t *testing.T) []*api.NetworkPolicy {
			return []*api.NetworkPolicy{policy(t, "prod", "out", "  podSelector: {matchLabels: {app: web}}\n"+
				"  egress: [{to: [{podSelector: {matchLabels: {app: api}}}], ports: [{port: http}, {port: 53, protocol: UDP}]}]\n")}
		}, []string{"prod/web ingress isolated", "prod/web egress isolated",
			"prod/web egress prod/out 10.244.1.3/32,10.244.2.3/32 udp/53",
			"prod/web egress prod/out 10.244.1.3/32 tcp/8080", "prod/web egress prod/out 10.244.2.3/32 tcp/9090"}},
		{"egress named port to everyone: every pod that has it", func(t *testing.T) []*api.NetworkPolicy {
			return []*api.NetworkPolicy{policy(t, "prod", "out", "  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Egress]\n"+
				"  egress: [{ports: [{port: pg}]}]\n")}
		}, []string{"prod/web egress isolated", "prod/web egress prod/out 10.244.1.2/32 tcp/5432"}},
		{"allow all ingress beside a deny", func(t *testing.T) []*api.NetworkPolicy {
			return []*api.NetworkPolicy{
				policy(t, "prod", "deny", "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n"),
				policy(t, "prod", "all", "  podSelector: {matchLabels: {app: db}}\n  ingress: [{}]\n"),
			}
		}, []string{
			"prod/api-1 ingress isolated", "prod/api-1 egress isolated",
			"prod/db ingress isolated", "prod/db ingress prod/all * *", "prod/db egress isolated",
			"prod/web ingress isolated", "prod/web egress isolated",
		}},
		{"a selector that does not parse selects nothing, a peer that does not parse allows nothing", func(t *testing.T) []*api.NetworkPolicy {
			bad := policy(t, "prod", "bad", "  podSelector: {}\n")
			bad.Spec.PodSelector.MatchExpressions = []api.LabelSelectorRequirement{{Key: "a", Operator: "Has"}}
			peer := policy(t, "prod", "peer", "  podSelector: {matchLabels: {app: db}}\n  ingress: [{from: [{podSelector: {}}]}]\n")
			peer.Spec.Ingress[0].From[0].PodSelector.MatchExpressions = []api.LabelSelectorRequirement{{Key: "a", Operator: "Has"}}
			return []*api.NetworkPolicy{bad, peer}
		}, []string{"prod/db ingress isolated"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := summary(Compute(Cluster{Policies: tt.policies(t), Pods: testPods(), Namespaces: namespaces}, testNode))
			if !slices.Equal(got, tt.want) {
				t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

// allBut is 0.0.0.0/0 less one address, as sorted prefixes.
func allBut(ip string) []string {
	var out []string
	for _, p := range ipBlock(&api.IPBlock{CIDR: "0.0.0.0/0", Except: []string{ip + "/32"}}) {
		out = append(out, p.String())
	}
	return out
}

func TestIPBlock(t *testing.T) {
	tests := []struct {
		name   string
		block  api.IPBlock
		want   []string
		covers map[string]bool // address → covered
	}{
		{"no except", api.IPBlock{CIDR: "10.0.0.0/8"}, []string{"10.0.0.0/8"}, map[string]bool{"10.1.2.3": true, "11.0.0.0": false}},
		{"host bits cleared", api.IPBlock{CIDR: "10.1.2.3/16"}, []string{"10.1.0.0/16"}, nil},
		{"one half out", api.IPBlock{CIDR: "10.0.0.0/24", Except: []string{"10.0.0.128/25"}}, []string{"10.0.0.0/25"}, nil},
		{"two excepts, one inside the other", api.IPBlock{CIDR: "10.0.0.0/30", Except: []string{"10.0.0.0/31", "10.0.0.1/32"}},
			[]string{"10.0.0.2/31"}, nil},
		{"everything but one address", api.IPBlock{CIDR: "0.0.0.0/0", Except: []string{"10.244.1.2/32"}}, nil,
			map[string]bool{"10.244.1.2": false, "10.244.1.3": true, "10.244.1.1": true, "8.8.8.8": true, "255.255.255.255": true, "0.0.0.0": true}},
		{"IPv6 covers nothing", api.IPBlock{CIDR: "fd00::/8"}, []string{}, nil},
		{"a malformed except covers nothing", api.IPBlock{CIDR: "10.0.0.0/8", Except: []string{"10.1.0.0/99"}}, []string{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ipBlock(&tt.block)
			if tt.want != nil {
				s := []string{}
				for _, p := range got {
					s = append(s, p.String())
				}
				if !slices.Equal(s, tt.want) {
					t.Errorf("got %v, want %v", s, tt.want)
				}
			}
			for addr, want := range tt.covers {
				if c := containsAddr(got, netip.MustParseAddr(addr)); c != want {
					t.Errorf("%s covered = %v, want %v (%v)", addr, c, want, got)
				}
			}
			for i := range got {
				for j := range got {
					if i != j && got[i].Overlaps(got[j]) {
						t.Errorf("%v and %v overlap", got[i], got[j])
					}
				}
			}
		})
	}
}
