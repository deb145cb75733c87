package cli

import (
	"fmt"
	"slices"
	"strings"
)

// The NetworkPolicy describer, in kubectl's words.
func init() {
	kindDescribers["networkpolicies"] = describeNetworkPolicy
}

func describeNetworkPolicy(d *describer, u fields) {
	d.header(0, "Spec")
	if sel := labelSelectorQuery(u.obj("spec", "podSelector")); sel != "" {
		d.line(1, "PodSelector", sel)
	} else {
		d.line(1, "PodSelector", "<none> (Allowing the specific traffic to all pods in this namespace)")
	}
	types := u.strs("spec", "policyTypes")
	if len(types) == 0 { // not defaulted (an old object): Kubernetes' rule
		types = []string{"Ingress"}
		if len(u.list("spec", "egress")) > 0 {
			types = append(types, "Egress")
		}
	}
	describeNetpolDirection(d, slices.Contains(types, "Ingress"), "ingress", "From", u.list("spec", "ingress"))
	describeNetpolDirection(d, slices.Contains(types, "Egress"), "egress", "To", u.list("spec", "egress"))
	d.line(1, "Policy Types", strings.Join(types, ", "))
}

// describeNetpolDirection prints the rules of one direction; peerKey is the
// rules' peer list ("From" or "To").
func describeNetpolDirection(d *describer, isolated bool, dir, peerKey string, rules []fields) {
	if !isolated {
		netpolText(d, 1, "Not affecting "+dir+" traffic")
		return
	}
	if len(rules) == 0 {
		d.header(1, "Allowing "+dir+" traffic")
		netpolText(d, 2, "<none> (Selected pods are isolated for "+dir+" connectivity)")
		return
	}
	d.header(1, "Allowing "+dir+" traffic")
	for i, r := range rules {
		if i > 0 {
			netpolText(d, 2, "----------")
		}
		ports := r.list("ports")
		if len(ports) == 0 {
			d.line(2, "To Port", "<any> (traffic allowed to all ports)")
		}
		for _, p := range ports {
			d.line(2, "To Port", netpolPort(p))
		}
		peers := r.list(strings.ToLower(peerKey))
		if len(peers) == 0 {
			d.line(2, peerKey, "<any> (traffic not restricted by "+map[string]string{"From": "source", "To": "destination"}[peerKey]+")")
		}
		for _, p := range peers {
			d.header(2, peerKey)
			describeNetpolPeer(d, p)
		}
	}
}

// netpolPort is "6379/TCP", "32000-32768/TCP", "<any>/UDP" or "http/TCP".
func netpolPort(p fields) string {
	proto := p.str("protocol")
	if proto == "" {
		proto = "TCP"
	}
	port := p.str("port")
	switch {
	case port == "":
		port = "<any>"
	case p.has("endPort"):
		port = fmt.Sprintf("%s-%d", port, p.num("endPort"))
	}
	return port + "/" + proto
}

func describeNetpolPeer(d *describer, p fields) {
	pod, ns := p.obj("podSelector"), p.obj("namespaceSelector")
	if ns != nil {
		d.line(3, "NamespaceSelector", orNone(labelSelectorQuery(ns)))
	}
	if pod != nil {
		d.line(3, "PodSelector", orNone(labelSelectorQuery(pod)))
	}
	if b := p.obj("ipBlock"); b != nil {
		d.header(3, "IPBlock")
		d.line(4, "CIDR", b.str("cidr"))
		d.line(4, "Except", strings.Join(b.strs("except"), ", "))
	}
}

// netpolText prints a line that is not a key and value.
func netpolText(d *describer, indent int, s string) {
	fmt.Fprintf(d.tw, "%s%s\n", strings.Repeat("  ", indent), s)
}
