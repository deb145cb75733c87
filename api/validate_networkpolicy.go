package api

import (
	"fmt"
	"net/netip"
)

// validateNetworkPolicy checks a NetworkPolicy as Kubernetes does: selectors,
// ports (protocol, number or name, endPort), peers (one kind each, ipBlock
// alone), ipBlock CIDRs with every except strictly inside, and policy types.
func validateNetworkPolicy(l *errs, np *NetworkPolicy) {
	s := &np.Spec
	validateLabelSelector(l, "spec.podSelector", &s.PodSelector)
	for i, r := range s.Ingress {
		f := fmt.Sprintf("spec.ingress[%d]", i)
		validateNetworkPolicyPorts(l, f+".ports", r.Ports)
		for j := range r.From {
			validateNetworkPolicyPeer(l, fmt.Sprintf("%s.from[%d]", f, j), &r.From[j])
		}
	}
	for i, r := range s.Egress {
		f := fmt.Sprintf("spec.egress[%d]", i)
		validateNetworkPolicyPorts(l, f+".ports", r.Ports)
		for j := range r.To {
			validateNetworkPolicyPeer(l, fmt.Sprintf("%s.to[%d]", f, j), &r.To[j])
		}
	}
	seen := map[string]bool{}
	for i, t := range s.PolicyTypes {
		f := fmt.Sprintf("spec.policyTypes[%d]", i)
		l.oneOf(f, t, false, PolicyTypeIngress, PolicyTypeEgress)
		if seen[t] {
			l.duplicate(f, t)
		}
		seen[t] = true
	}
	if len(s.PolicyTypes) > 2 {
		l.invalid("spec.policyTypes", s.PolicyTypes, "may not specify more than two policyTypes")
	}
}

func validateNetworkPolicyPorts(l *errs, field string, ports []NetworkPolicyPort) {
	for i, p := range ports {
		f := fmt.Sprintf("%s[%d]", field, i)
		if p.Protocol != nil {
			l.oneOf(f+".protocol", *p.Protocol, false, ProtocolSCTP, ProtocolTCP, ProtocolUDP)
		}
		if p.Port != nil {
			if p.Port.Type == TypeString {
				l.name(f+".port", p.Port.StrVal, isIANASvcName)
			} else {
				l.portNumber(f+".port", p.Port.IntVal)
			}
		}
		if p.EndPort == nil {
			continue
		}
		switch {
		case p.Port == nil:
			l.required(f+".port", "must be specified when `endPort` is specified")
		case p.Port.Type == TypeString:
			l.forbidden(f+".endPort", "may not be specified when `port` is non-numerical")
		case *p.EndPort < p.Port.IntVal:
			l.invalid(f+".endPort", *p.EndPort, "must be greater than or equal to `port`")
		default:
			l.portNumber(f+".endPort", *p.EndPort)
		}
	}
}

func validateNetworkPolicyPeer(l *errs, f string, p *NetworkPolicyPeer) {
	n := 0
	if p.PodSelector != nil {
		n++
		validateLabelSelector(l, f+".podSelector", p.PodSelector)
	}
	if p.NamespaceSelector != nil {
		n++
		validateLabelSelector(l, f+".namespaceSelector", p.NamespaceSelector)
	}
	if p.IPBlock != nil {
		n++
		validateIPBlock(l, f+".ipBlock", p.IPBlock)
	}
	switch {
	case n == 0:
		l.required(f, "must specify a peer")
	case n > 1 && p.IPBlock != nil:
		l.forbidden(f, "may not specify both ipBlock and another peer")
	}
}

func validateIPBlock(l *errs, f string, b *IPBlock) {
	if b.CIDR == "" {
		l.required(f+".cidr", "")
		return
	}
	cidr, err := netip.ParsePrefix(b.CIDR)
	if err != nil {
		l.invalid(f+".cidr", b.CIDR, "must be a valid CIDR (e.g. 10.0.0.0/16 or fd00::/8)")
		return
	}
	for i, e := range b.Except {
		g := fmt.Sprintf("%s.except[%d]", f, i)
		ex, err := netip.ParsePrefix(e)
		switch {
		case err != nil:
			l.invalid(g, e, "must be a valid CIDR (e.g. 10.0.0.0/16 or fd00::/8)")
		case ex.Addr().Is4() != cidr.Addr().Is4() || ex.Bits() <= cidr.Bits() || !cidr.Masked().Contains(ex.Addr()):
			l.invalid(g, e, "must be a strict subset of `cidr`")
		}
	}
}

// networkPolicyWarnings names the parts Berth does not enforce: its pods are
// IPv4 only, so IPv6 blocks match nothing.
func networkPolicyWarnings(w []string, np *NetworkPolicy) []string {
	check := func(f string, peers []NetworkPolicyPeer) {
		for j, p := range peers {
			if p.IPBlock == nil {
				continue
			}
			if c, err := netip.ParsePrefix(p.IPBlock.CIDR); err == nil && !c.Addr().Is4() {
				w = append(w, fmt.Sprintf("%s[%d].ipBlock: IPv6 is not supported by Berth yet, it matches no traffic", f, j))
			}
		}
	}
	for i, r := range np.Spec.Ingress {
		check(fmt.Sprintf("spec.ingress[%d].from", i), r.From)
	}
	for i, r := range np.Spec.Egress {
		check(fmt.Sprintf("spec.egress[%d].to", i), r.To)
	}
	return w
}
