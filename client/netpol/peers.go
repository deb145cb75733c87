package netpol

import (
	"maps"
	"net/netip"
	"slices"

	"github.com/berth-dev/berth/api"
)

// resolver turns a policy's rules into Allows against the pods it knows.
type resolver struct {
	pods       []*podInfo
	namespaces map[string]map[string]string
}

// ingress resolves one ingress rule of np for the local pod self: named ports
// are self's.
func (r resolver) ingress(np *api.NetworkPolicy, rule api.NetworkPolicyIngressRule, self *podInfo) []Allow {
	a := Allow{Policy: np.Namespace + "/" + np.Name}
	if !r.peers(&a, np.Namespace, rule.From) {
		return nil
	}
	if len(rule.Ports) == 0 {
		a.AllPorts = true
		return []Allow{a}
	}
	a.Ports = resolvePorts(rule.Ports, self.ports)
	if len(a.Ports) == 0 {
		return nil // every port was a name self does not have
	}
	return []Allow{a}
}

// egress resolves one egress rule of np. A named port is the destination's:
// it becomes one Allow per peer pod that has it.
func (r resolver) egress(np *api.NetworkPolicy, rule api.NetworkPolicyEgressRule) []Allow {
	a := Allow{Policy: np.Namespace + "/" + np.Name}
	if !r.peers(&a, np.Namespace, rule.To) {
		return nil
	}
	if len(rule.Ports) == 0 {
		a.AllPorts = true
		return []Allow{a}
	}
	var numbered, named []api.NetworkPolicyPort
	for _, p := range rule.Ports {
		if p.Port != nil && p.Port.Type == api.TypeString {
			named = append(named, p)
		} else {
			numbered = append(numbered, p)
		}
	}
	var out []Allow
	if len(numbered) > 0 {
		n := a
		n.Ports = resolvePorts(numbered, nil)
		if len(n.Ports) > 0 {
			out = append(out, n)
		}
	}
	if len(named) == 0 {
		return out
	}
	for _, p := range r.pods {
		if !a.AllPeers && !containsAddr(a.Peers, p.ip) {
			continue
		}
		if ports := resolvePorts(named, p.ports); len(ports) > 0 {
			out = append(out, Allow{Policy: a.Policy, Peers: []netip.Prefix{netip.PrefixFrom(p.ip, 32)}, Ports: ports})
		}
	}
	return out
}

// peers fills a's peers from a rule's peer list (empty: everyone) and
// reports whether any address is left.
func (r resolver) peers(a *Allow, ns string, list []api.NetworkPolicyPeer) bool {
	if len(list) == 0 {
		a.AllPeers = true
		return true
	}
	set := map[netip.Prefix]bool{}
	for i := range list {
		for _, p := range r.peer(ns, &list[i]) {
			set[p] = true
		}
	}
	a.Peers = slices.SortedFunc(maps.Keys(set), comparePrefix)
	return len(a.Peers) > 0
}

// peer is the addresses one peer stands for: the IPs of the pods its
// selectors pick (in ns unless a namespaceSelector says which namespaces), or
// its IP block.
func (r resolver) peer(ns string, p *api.NetworkPolicyPeer) []netip.Prefix {
	if p.IPBlock != nil {
		if p.PodSelector != nil || p.NamespaceSelector != nil {
			return nil // invalid: ipBlock excludes the others
		}
		return ipBlock(p.IPBlock)
	}
	if p.PodSelector == nil && p.NamespaceSelector == nil {
		return nil
	}
	var out []netip.Prefix
	for _, pod := range r.pods {
		if p.NamespaceSelector == nil && pod.namespace != ns {
			continue
		}
		if p.NamespaceSelector != nil && !selects(p.NamespaceSelector, r.namespaceLabels(pod.namespace)) {
			continue
		}
		if p.PodSelector != nil && !selects(p.PodSelector, pod.labels) {
			continue
		}
		out = append(out, netip.PrefixFrom(pod.ip, 32))
	}
	return out
}

// namespaceLabels are a namespace's labels plus the implicit name label.
func (r resolver) namespaceLabels(ns string) map[string]string {
	out := maps.Clone(r.namespaces[ns])
	if out == nil {
		out = map[string]string{}
	}
	out[api.NamespaceNameLabel] = ns
	return out
}

// resolvePorts turns policy ports into ranges; named holds the named ports of
// the pod a name refers to ("name/PROTOCOL" → number; nil: names match
// nothing). Unknown protocols and names that pod lacks are left out.
func resolvePorts(ports []api.NetworkPolicyPort, named map[string]uint16) []PortRange {
	var out []PortRange
	for _, p := range ports {
		proto := api.ProtocolTCP
		if p.Protocol != nil {
			proto = protocolOr(*p.Protocol)
		}
		lower := iptablesProtocol(proto)
		if lower == "" {
			continue
		}
		switch {
		case p.Port == nil && p.EndPort == nil:
			out = append(out, PortRange{Protocol: lower})
		case p.Port == nil:
			continue // invalid: endPort without port
		case p.Port.Type == api.TypeString:
			if n, ok := named[p.Port.StrVal+"/"+proto]; ok {
				out = append(out, PortRange{Protocol: lower, First: n, Last: n})
			}
		case p.Port.IntVal >= 1 && p.Port.IntVal <= 65535:
			last := p.Port.IntVal
			if p.EndPort != nil {
				if *p.EndPort < last || *p.EndPort > 65535 {
					continue // invalid range: allow nothing rather than guess
				}
				last = *p.EndPort
			}
			out = append(out, PortRange{Protocol: lower, First: uint16(p.Port.IntVal), Last: uint16(last)})
		}
	}
	slices.SortFunc(out, PortRange.compare)
	return slices.Compact(out)
}

// iptablesProtocol is the protocol as iptables names it; "" for one it does
// not know.
func iptablesProtocol(p string) string {
	switch p {
	case api.ProtocolTCP:
		return "tcp"
	case api.ProtocolUDP:
		return "udp"
	case api.ProtocolSCTP:
		return "sctp"
	}
	return ""
}

func containsAddr(prefixes []netip.Prefix, ip netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}
