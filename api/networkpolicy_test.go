package api

import (
	"slices"
	"strings"
	"testing"
)

// A NetworkPolicy as the Kubernetes documentation shows it: every kind of
// peer, a named port, a port range, both directions.
const docsNetworkPolicy = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: test-network-policy
  namespace: default
spec:
  podSelector:
    matchLabels: {role: db}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - ipBlock:
        cidr: 172.17.0.0/16
        except: [172.17.1.0/24]
    - namespaceSelector:
        matchLabels: {project: myproject}
    - podSelector:
        matchLabels: {role: frontend}
    - namespaceSelector: {matchLabels: {team: a}}
      podSelector: {matchExpressions: [{key: app, operator: In, values: [api]}]}
    ports:
    - {protocol: TCP, port: 6379}
    - {port: metrics}
  egress:
  - to:
    - ipBlock: {cidr: 10.0.0.0/24}
    ports:
    - {protocol: TCP, port: 32000, endPort: 32768}
`

func TestNetworkPolicyRegistry(t *testing.T) {
	for _, name := range []string{"netpol", "networkpolicy", "networkpolicies.networking.k8s.io", "NetworkPolicy"} {
		r, ok := ResourceForName(name)
		if !ok || r.Kind != "NetworkPolicy" || r.APIVersion() != "networking.k8s.io/v1" || !r.Namespaced || r.HasStatus {
			t.Fatalf("%q: %+v %v", name, r, ok)
		}
		if got := r.CollectionPath("ns"); got != "/apis/networking.k8s.io/v1/namespaces/ns/networkpolicies" {
			t.Errorf("collection path %s", got)
		}
		if back, _ := ResourceForObject(r.New()); back != r {
			t.Error("ResourceForObject disagrees")
		}
	}
}

func TestNetworkPolicyDecode(t *testing.T) {
	obj, _ := mustDecodeValid(t, docsNetworkPolicy)
	np, ok := obj.(*NetworkPolicy)
	if !ok {
		t.Fatal("not a *NetworkPolicy")
	}
	in := np.Spec.Ingress[0]
	if in.From[0].IPBlock.Except[0] != "172.17.1.0/24" || in.From[3].NamespaceSelector.MatchLabels["team"] != "a" ||
		in.Ports[1].Port.StrVal != "metrics" || *in.Ports[1].Protocol != ProtocolTCP || *np.Spec.Egress[0].Ports[0].EndPort != 32768 {
		t.Errorf("decoded spec: %+v", np.Spec)
	}
	b, _ := Encode(np)
	for _, want := range []string{`"podSelector":{"matchLabels":{"role":"db"}}`, `"ipBlock":{"cidr":"172.17.0.0/16","except":["172.17.1.0/24"]}`,
		`"port":"metrics"`, `"endPort":32768`, `"policyTypes":["Ingress","Egress"]`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("encoding lacks %s:\n%s", want, b)
		}
	}
	_, _, err := DecodeObject([]byte(npHead + "  podSelector: {}\n  ingress: [{from: [{podSelctor: {}}]}]\n"))
	if err == nil || !strings.Contains(err.Error(), `unknown field "spec.ingress[0].from[0].podSelctor"`) {
		t.Errorf("a typo decodes: %v", err)
	}
}

// TestNetworkPolicyDefaults checks Kubernetes' defaulting: Ingress always,
// Egress when egress rules are given, TCP for every port, and idempotence.
func TestNetworkPolicyDefaults(t *testing.T) {
	tests := []struct {
		name, spec string
		want       []string
	}{
		{"no rules", "  podSelector: {}\n", []string{"Ingress"}},
		{"ingress rules", "  podSelector: {}\n  ingress: [{}]\n", []string{"Ingress"}},
		{"egress rules", "  podSelector: {}\n  egress: [{ports: [{port: 53}]}]\n", []string{"Ingress", "Egress"}},
		{"given", "  podSelector: {}\n  policyTypes: [Egress]\n", []string{"Egress"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			np := mustDecode(t, npHead+tt.spec).(*NetworkPolicy)
			Default(np)
			once, _ := Encode(np)
			Default(np)
			twice, _ := Encode(np)
			if !slices.Equal(np.Spec.PolicyTypes, tt.want) || string(once) != string(twice) {
				t.Errorf("policyTypes %v, want %v; idempotent: %v", np.Spec.PolicyTypes, tt.want, string(once) == string(twice))
			}
			for _, r := range np.Spec.Egress {
				for _, p := range r.Ports {
					if p.Protocol == nil || *p.Protocol != ProtocolTCP {
						t.Errorf("port protocol not defaulted: %+v", p)
					}
				}
			}
		})
	}
}

const npHead = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: default}\nspec:\n"

func TestValidateNetworkPolicy(t *testing.T) {
	ingress := func(rule string) string { return npHead + "  podSelector: {}\n  ingress: [" + rule + "]\n" }
	checkValidate(t, []validateCase{
		{"deny all", npHead + "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n", nil},
		{"allow all", ingress("{}"), nil},
		{"pod and namespace selector", ingress("{from: [{podSelector: {matchLabels: {a: b}}, namespaceSelector: {}}]}"), nil},
		{"port range", ingress("{ports: [{protocol: UDP, port: 1000, endPort: 1000}]}"), nil},
		{"sctp named port", ingress("{ports: [{protocol: SCTP, port: http-alt}]}"), nil},
		{"protocol only", ingress("{ports: [{protocol: UDP}]}"), nil},
		{"no peer", ingress("{from: [{}]}"), []string{"spec.ingress[0].from[0]: Required value: must specify a peer"}},
		{"ipBlock and selector", npHead + "  podSelector: {}\n  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]\n",
			[]string{"spec.egress[0].to[0]: Forbidden: may not specify both ipBlock and another peer"}},
		{"cidr required", ingress("{from: [{ipBlock: {cidr: \"\"}}]}"), []string{"spec.ingress[0].from[0].ipBlock.cidr: Required value"}},
		{"bad cidr", ingress("{from: [{ipBlock: {cidr: 10.0.0.0/33}}]}"),
			[]string{`spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "10.0.0.0/33": must be a valid CIDR`}},
		{"except outside", ingress("{from: [{ipBlock: {cidr: 10.0.0.0/16, except: [10.1.0.0/24, 10.0.0.0/16, 10.0.0.0/8, bad]}}]}"),
			[]string{`except[0]: Invalid value: "10.1.0.0/24": must be a strict subset of ` + "`cidr`",
				`except[1]: Invalid value: "10.0.0.0/16": must be a strict subset`, `except[2]: Invalid value: "10.0.0.0/8": must be a strict subset`,
				`except[3]: Invalid value: "bad": must be a valid CIDR`}},
		{"except inside", ingress("{from: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.244.1.7/32]}}]}"), nil},
		{"protocol", ingress("{ports: [{protocol: ICMP, port: 1}]}"),
			[]string{`spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"`}},
		{"port number", ingress("{ports: [{port: 0}, {port: 65536}]}"),
			[]string{"ports[0].port: Invalid value: 0: must be between 1 and 65535", "ports[1].port: Invalid value: 65536"}},
		{"port name", ingress("{ports: [{port: HTTP_1}]}"), []string{`spec.ingress[0].ports[0].port: Invalid value: "HTTP_1"`}},
		{"endPort without port", ingress("{ports: [{endPort: 90}]}"),
			[]string{"spec.ingress[0].ports[0].port: Required value: must be specified when `endPort` is specified"}},
		{"endPort with name", ingress("{ports: [{port: http, endPort: 90}]}"),
			[]string{"spec.ingress[0].ports[0].endPort: Forbidden: may not be specified when `port` is non-numerical"}},
		{"endPort below port", ingress("{ports: [{port: 100, endPort: 90}]}"),
			[]string{"spec.ingress[0].ports[0].endPort: Invalid value: 90: must be greater than or equal to `port`"}},
		{"endPort range", ingress("{ports: [{port: 100, endPort: 70000}]}"), []string{"endPort: Invalid value: 70000: must be between 1 and 65535"}},
		{"policy types", npHead + "  podSelector: {}\n  policyTypes: [Ingress, Ingress, Everything]\n",
			[]string{`spec.policyTypes[1]: Duplicate value: "Ingress"`, `spec.policyTypes[2]: Unsupported value: "Everything"`,
				"may not specify more than two policyTypes"}},
		{"selectors", npHead + "  podSelector: {matchExpressions: [{key: a, operator: Has}]}\n  egress: [{to: [{namespaceSelector: {matchLabels: {\"b c\": d}}}]}]\n",
			[]string{`spec.podSelector.matchExpressions[0].operator: Invalid value: "Has"`, "spec.egress[0].to[0].namespaceSelector.matchLabels"}},
	})
}

func TestNetworkPolicyWarnings(t *testing.T) {
	np := mustDecode(t, npHead+"  podSelector: {}\n  egress: [{to: [{ipBlock: {cidr: \"fd00::/8\"}}, {ipBlock: {cidr: 10.0.0.0/8}}]}]\n").(*NetworkPolicy)
	w := Warnings(np)
	if len(w) != 1 || !strings.HasPrefix(w[0], "spec.egress[0].to[0].ipBlock: IPv6") {
		t.Errorf("warnings = %q", w)
	}
}
