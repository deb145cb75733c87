package cli

import "testing"

// Two NetworkPolicies: a default deny of ingress for every pod, and one with
// every kind of peer and port in both directions.
const fixtureNetworkPolicies = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all}
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - podSelector: {matchLabels: {app: api}}
    - namespaceSelector: {matchLabels: {team: a}}
      podSelector: {matchLabels: {app: api}}
    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16, 10.2.0.0/16]}
    ports: [{protocol: TCP, port: 5432}, {port: metrics}]
  - {}
  egress:
  - ports: [{protocol: UDP, port: 32000, endPort: 32100}]
`

func TestGetNetworkPolicy(t *testing.T) {
	f := newFakeServer(t)
	f.seed(fixtureNetworkPolicies)
	checkTables(t, f, []tableCase{
		{"networkpolicies", []string{"get", "netpol"}, "" +
			"NAME       POD-SELECTOR   AGE\n" +
			"db         app=db         4h\n" +
			"deny-all   <none>         4h\n"},
	})
}

func TestDescribeNetworkPolicy(t *testing.T) {
	f := newFakeServer(t)
	f.seed(fixtureNetworkPolicies)
	checkDescribes(t, f, []describeCase{
		{"every peer and port", []string{"describe", "netpol", "db"}, []string{
			"Name:", "db", "Spec:", "PodSelector:", "app=db",
			"Allowing ingress traffic:", "To Port:", "5432/TCP", "To Port:", "metrics/TCP",
			"From:", "PodSelector:", "app=api",
			"From:", "NamespaceSelector:", "team=a", "PodSelector:", "app=api",
			"From:", "IPBlock:", "CIDR:", "10.0.0.0/8", "Except:", "10.1.0.0/16, 10.2.0.0/16",
			"----------", "To Port:", "<any> (traffic allowed to all ports)", "From:", "<any> (traffic not restricted by source)",
			"Allowing egress traffic:", "To Port:", "32000-32100/UDP", "To:", "<any> (traffic not restricted by destination)",
			"Policy Types:", "Ingress, Egress", "Events:",
		}, nil},
		{"default deny", []string{"describe", "networkpolicy/deny-all"}, []string{
			"PodSelector:", "<none> (Allowing the specific traffic to all pods in this namespace)",
			"Allowing ingress traffic:", "<none> (Selected pods are isolated for ingress connectivity)",
			"Not affecting egress traffic", "Policy Types:", "Ingress",
		}, nil},
	})
}
