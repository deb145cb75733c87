package netpol

import (
	"net/netip"
	"strconv"
	"strings"
)

// The built-in chain the node's entry chain hangs from, and Docker's chain
// for its users' rules, first in FORWARD: Docker re-inserts its own bridge
// ACCEPTs at the top of FORWARD, so a jump placed there would soon come after
// them.
const (
	hookForward    = "FORWARD"
	hookDockerUser = "DOCKER-USER"
)

// RenderOptions say whose rules Render writes.
type RenderOptions struct {
	// Prefix starts every chain name; empty means the proxy's DefaultPrefix.
	Prefix string
	// ClusterCIDR names the cluster's chains (the proxy's tag) and marks the
	// jump; zero gives the tag of no cluster.
	ClusterCIDR netip.Prefix
	// Node is the node whose pods the rules guard.
	Node string
}

// Ruleset is one node's filter chains: the entry chain, one chain per
// isolated direction of each local pod, and their rules.
type Ruleset struct {
	names  names
	jump   string   // the rule spec in the hook chain that enters the entry chain
	chains []string // entry first, then the pod chains
	rules  []string // "-A CHAIN …" lines
}

// Render computes a node's rules from its pods' PodRules. It is pure. The
// chains only ever DROP or RETURN, never ACCEPT: what they let through is
// judged by the rest of FORWARD (Docker's rules, the service proxy's) as
// before, so policies only take away.
func Render(pods []PodRules, opts RenderOptions) *Ruleset {
	n := newNames(opts.Prefix, opts.ClusterCIDR, opts.Node)
	entry := n.entry()
	r := &Ruleset{names: n, chains: []string{entry},
		jump: comment("berth cluster "+clusterLabel(opts.ClusterCIDR)) + " -j " + entry}
	if len(pods) > 0 {
		// Replies, and flows that began before a policy, pass: policies are
		// about who may start a connection.
		r.add(entry, "-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN")
	}
	for _, p := range pods {
		ip := hostCIDR(p.IP)
		if p.Egress != nil {
			chain := n.egress(p.key())
			r.add(entry, "-s "+ip+" "+comment(p.key()+" egress")+" -j "+chain)
			r.pod(chain, "-d ", p.key()+" egress", p.Egress)
		}
		if p.Ingress != nil {
			chain := n.ingress(p.key())
			r.add(entry, "-d "+ip+" "+comment(p.key()+" ingress")+" -j "+chain)
			r.pod(chain, "-s ", p.key()+" ingress", p.Ingress)
		}
	}
	return r
}

// pod writes one pod chain: a RETURN per allowed peer and port, then DROP.
// peerOpt is "-s " (ingress: the peer is the source) or "-d " (egress).
func (r *Ruleset) pod(chain, peerOpt, what string, iso *Isolation) {
	r.chains = append(r.chains, chain)
	for _, a := range iso.Allows {
		peers := []string{""}
		if !a.AllPeers {
			peers = peers[:0]
			for _, p := range a.Peers {
				peers = append(peers, peerOpt+p.Masked().String()+" ")
			}
		}
		ports := []string{""}
		if !a.AllPorts {
			ports = ports[:0]
			for _, pr := range a.Ports {
				ports = append(ports, portMatch(pr)+" ")
			}
		}
		for _, peer := range peers {
			for _, port := range ports {
				r.add(chain, peer+port+comment(a.Policy)+" -j RETURN")
			}
		}
	}
	r.add(chain, comment(what+" isolated by policy")+" -j DROP")
}

// portMatch is the iptables match of a port range.
func portMatch(p PortRange) string {
	m := "-p " + p.Protocol
	switch {
	case p.First == 0 && p.Last == 0:
		return m
	case p.First == p.Last:
		return m + " -m " + p.Protocol + " --dport " + strconv.Itoa(int(p.First))
	}
	return m + " -m " + p.Protocol + " --dport " + strconv.Itoa(int(p.First)) + ":" + strconv.Itoa(int(p.Last))
}

func (r *Ruleset) add(chain, spec string) { r.rules = append(r.rules, "-A "+chain+" "+spec) }

// Chains lists the chains the rule set declares, the entry chain first.
func (r *Ruleset) Chains() []string { return r.chains }

// Rules lists the "-A CHAIN …" lines.
func (r *Ruleset) Rules() []string { return r.rules }

// text is the desired state as bytes, to tell a change from none.
func (r *Ruleset) text() []byte {
	return []byte(strings.Join(r.chains, "\n") + "\n" + strings.Join(r.rules, "\n"))
}

// Payload is the iptables-restore --noflush input that moves the host's filter
// table from e to r in one transaction: it redeclares (so flushes) and refills
// r's chains, puts the jump into the hook chain (or moves it ahead of the
// service proxy's jumps, whose FORWARD chain ACCEPTs), and flushes and deletes
// the node's pod chains r no longer has. applied lists the chains the last
// successful restore made (stale ones among them go too, even if the entry
// chain no longer points at them).
func (r *Ruleset) Payload(e *existing, applied []string) []byte {
	var b strings.Builder
	b.WriteString("*filter\n")
	want := map[string]bool{}
	for _, c := range r.chains {
		want[c] = true
		b.WriteString(":" + c + " - [0:0]\n")
	}
	var stale []string
	for _, c := range append(e.targets(r.names.entry()), applied...) {
		if r.names.isPodChain(c) && !want[c] && e.chains[c] {
			want[c] = true // once
			stale = append(stale, c)
			b.WriteString(":" + c + " - [0:0]\n")
		}
	}
	for _, line := range r.rules {
		b.WriteString(line + "\n")
	}
	b.WriteString(r.hookFix(e))
	for _, c := range stale {
		b.WriteString("-X " + c + "\n")
	}
	b.WriteString("COMMIT\n")
	return []byte(b.String())
}

// hookFix is the lines that put the jump into the entry chain where it
// belongs: before any jump to the cluster's other (service proxy) chains.
// Between themselves the jumps of several nodes' clients on one host keep
// whatever order they got: each only guards its own pods, so none needs to
// be first, and they never fight over the top.
func (r *Ruleset) hookFix(e *existing) string {
	hook := hookForward
	if e.chains[hookDockerUser] {
		hook = hookDockerUser
	}
	entry := r.names.entry()
	ours, firstProxy := -1, -1
	oursSpec := ""
	for i, spec := range e.rules[hook] {
		t := jumpTarget(spec)
		switch {
		case t == entry && ours < 0:
			ours, oursSpec = i, spec
		case strings.HasPrefix(t, r.names.cluster) && !r.names.isPolicyChain(t) && firstProxy < 0:
			firstProxy = i
		}
	}
	insert := "-I " + hook + " 1 " + r.jump + "\n"
	switch {
	case ours < 0:
		return insert
	case firstProxy >= 0 && firstProxy < ours:
		return "-D " + hook + " " + oursSpec + "\n" + insert
	}
	return ""
}

// comment is an iptables comment match; names hold no quotes, and iptables
// keeps at most 255 characters.
func comment(s string) string {
	s = strings.ReplaceAll(s, `"`, "")
	if len(s) > 255 {
		s = s[:255]
	}
	return `-m comment --comment "` + s + `"`
}

func clusterLabel(p netip.Prefix) string {
	if !p.IsValid() {
		return "unknown"
	}
	return p.Masked().String()
}

func hostCIDR(ip netip.Addr) string { return ip.String() + "/32" }
