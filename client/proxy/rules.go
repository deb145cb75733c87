package proxy

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// masqMark is the packet mark bit that asks BERTH-TAG-POSTROUTING to
// masquerade a connection: kube-proxy's bit, so both mean the same on a host.
const masqMark = "0x4000"

// The two tables the proxy writes, in the order the payload holds them.
const (
	tableNAT    = "nat"
	tableFilter = "filter"
)

var tables = []string{tableNAT, tableFilter}

// Jump is a rule in a built-in chain that enters one of the proxy's chains.
type Jump struct {
	// Chain is the built-in chain; Payload puts FORWARD's jumps into
	// DOCKER-USER when the host has it (see dockerUser).
	Table, Chain string
	// Spec is the rule after "-A CHAIN", ending with "-j TARGET".
	Spec   string
	Target string
}

// Ruleset is the proxy's desired state for one cluster: its chains with their
// rules, and the jumps into them from the built-in chains.
type Ruleset struct {
	names    names
	declared map[string]bool     // every chain of chains, to skip a service port seen twice
	chains   map[string][]string // table → chain names, in order
	rules    map[string][]string // table → "-A CHAIN …" lines
	Jumps    []Jump
}

// RenderOptions say whose rules Render writes.
type RenderOptions struct {
	// Prefix starts every chain name; empty means DefaultPrefix.
	Prefix string
	// ClusterCIDR is the range of pod addresses. Traffic to a ClusterIP from
	// outside it is masqueraded, only pods' traffic in it enters the ClusterIP
	// portals in PREROUTING, and it names the cluster's chains. Zero: every
	// source is served and nothing is masqueraded for being off-cluster.
	ClusterCIDR netip.Prefix
}

func (o RenderOptions) prefix() string {
	if o.Prefix == "" {
		return DefaultPrefix
	}
	return o.Prefix
}

// Render computes the rule set for ports. It is a pure function of its
// input: the clients of one cluster on one host write the same rules.
func Render(ports []ServicePort, opts RenderOptions) *Ruleset {
	n := newNames(opts.prefix(), ClusterTag(opts.ClusterCIDR))
	r := &Ruleset{names: n, chains: map[string][]string{}, rules: map[string][]string{}, declared: map[string]bool{}}
	services, nodePorts, markMasq := n.chain(kindServices), n.chain(kindNodePorts), n.chain(kindMarkMasq)
	post := n.chain(kindPostrouting)
	reject, extReject := n.chain(kindReject), n.chain(kindExtReject)
	forward, firewall := n.chain(kindForward), n.chain(kindFirewall)
	r.chains[tableNAT] = []string{services, nodePorts, markMasq, post}
	r.chains[tableFilter] = []string{reject, extReject, forward, firewall}

	r.add(tableNAT, markMasq, "-j MARK --or-mark "+masqMark)
	r.add(tableNAT, post, "-m mark ! --mark "+masqMark+"/"+masqMark+" -j RETURN")
	r.add(tableNAT, post, "-j MARK --xor-mark "+masqMark) // a re-used packet is not masqueraded twice
	r.add(tableNAT, post, `-m comment --comment "berth service traffic requiring SNAT" -j MASQUERADE`)
	r.add(tableFilter, forward, "-m mark --mark "+masqMark+"/"+masqMark+` -m comment --comment "berth forwarding rules" -j ACCEPT`)
	r.add(tableFilter, forward, "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
	r.add(tableFilter, firewall, "-d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT"+
		` -m comment --comment "block incoming localnet connections" -j DROP`)

	for _, sp := range ports {
		r.servicePort(sp, opts.ClusterCIDR)
	}
	r.Jumps = jumps(n, opts.ClusterCIDR)
	return r
}

// servicePort writes the rules of one service port.
func (r *Ruleset) servicePort(sp ServicePort, cluster netip.Prefix) {
	n := r.names
	key := sp.key()
	match := "-p " + sp.Protocol + " -m " + sp.Protocol
	if len(sp.Endpoints) == 0 {
		msg := ` -m comment --comment "` + key + ` has no endpoints" -j REJECT --reject-with icmp-port-unreachable`
		if sp.ClusterIP.IsValid() {
			r.add(tableFilter, n.chain(kindReject), "-d "+hostCIDR(sp.ClusterIP)+" "+match+" --dport "+itoa(sp.Port)+msg)
		}
		if sp.NodePort > 0 {
			r.add(tableFilter, n.chain(kindExtReject), "-m addrtype --dst-type LOCAL "+match+" --dport "+itoa(sp.NodePort)+msg)
		}
		return
	}
	svc := n.svc(key)
	if r.declared[svc] {
		return // the same port twice in one Service: its first copy rules
	}
	r.declared[svc] = true
	r.chains[tableNAT] = append(r.chains[tableNAT], svc)
	portal := "-d " + hostCIDR(sp.ClusterIP) + " " + match + " --dport " + itoa(sp.Port)
	if sp.ClusterIP.IsValid() {
		r.add(tableNAT, n.chain(kindServices), portal+` -m comment --comment "`+key+` cluster IP" -j `+svc)
		if cluster.IsValid() {
			r.add(tableNAT, svc, "! -s "+cluster.Masked().String()+" "+portal+" -j "+n.chain(kindMarkMasq))
		}
	}
	if sp.NodePort > 0 {
		np := match + " --dport " + itoa(sp.NodePort) + ` -m comment --comment "` + key + ` node port"`
		r.add(tableNAT, n.chain(kindNodePorts), np+" -j "+n.chain(kindMarkMasq))
		r.add(tableNAT, n.chain(kindNodePorts), np+" -j "+svc)
	}
	seps := make([]string, len(sp.Endpoints))
	for i, ep := range sp.Endpoints {
		seps[i] = n.sep(key, ep)
	}
	if sp.AffinitySeconds > 0 {
		for _, sep := range seps {
			r.add(tableNAT, svc, "-m recent --name "+sep+" --rcheck --seconds "+itoa(sp.AffinitySeconds)+" --reap -j "+sep)
		}
	}
	for i, sep := range seps {
		if left := len(seps) - i; left > 1 {
			r.add(tableNAT, svc, "-m statistic --mode random --probability "+probability(left)+" -j "+sep)
		} else {
			r.add(tableNAT, svc, "-j "+sep)
		}
	}
	for i, ep := range sp.Endpoints {
		sep := seps[i]
		r.chains[tableNAT] = append(r.chains[tableNAT], sep)
		// Hairpin: a pod reaching itself through the service must see the
		// reply come from elsewhere, or its kernel drops it.
		r.add(tableNAT, sep, "-s "+hostCIDR(ep.Addr())+" -j "+n.chain(kindMarkMasq))
		recent := ""
		if sp.AffinitySeconds > 0 {
			recent = " -m recent --name " + sep + " --set"
		}
		r.add(tableNAT, sep, "-p "+sp.Protocol+recent+" -m "+sp.Protocol+" -j DNAT --to-destination "+ep.String())
	}
}

// jumps are the rules that enter the cluster's chains from the built-in ones.
func jumps(n names, cluster netip.Prefix) []Jump {
	comment := `-m comment --comment "berth cluster ` + clusterLabel(cluster) + `"`
	// From pods (PREROUTING) only the cluster's own pods reach its ClusterIPs,
	// so another cluster on the host with the same service CIDR is not hijacked.
	fromPods := comment
	if cluster.IsValid() {
		fromPods = "-s " + cluster.Masked().String() + " " + comment
	}
	local := "-m addrtype --dst-type LOCAL " + comment
	newConn := "-m conntrack --ctstate NEW " + comment
	j := func(table, chain, spec, kind string) Jump {
		target := n.chain(kind)
		return Jump{Table: table, Chain: chain, Spec: spec + " -j " + target, Target: target}
	}
	return []Jump{
		j(tableNAT, "PREROUTING", fromPods, kindServices),
		j(tableNAT, "PREROUTING", local, kindNodePorts),
		j(tableNAT, "OUTPUT", comment, kindServices),
		j(tableNAT, "OUTPUT", local, kindNodePorts),
		j(tableNAT, "POSTROUTING", comment, kindPostrouting),
		j(tableFilter, "INPUT", newConn, kindExtReject),
		j(tableFilter, "INPUT", comment, kindFirewall),
		j(tableFilter, "OUTPUT", newConn, kindReject),
		j(tableFilter, "FORWARD", newConn, kindReject),
		j(tableFilter, "FORWARD", comment, kindForward),
	}
}

func clusterLabel(p netip.Prefix) string {
	if !p.IsValid() {
		return "unknown"
	}
	return p.Masked().String()
}

func (r *Ruleset) add(table, chain, spec string) {
	r.rules[table] = append(r.rules[table], "-A "+chain+" "+spec)
}

// Chains lists the chains of table the rule set declares.
func (r *Ruleset) Chains(table string) []string { return r.chains[table] }

// Rules lists the "-A CHAIN …" lines of table.
func (r *Ruleset) Rules(table string) []string { return r.rules[table] }

// Payload is the iptables-restore --noflush input that moves the host from
// existing to r in one transaction: it redeclares (so flushes) every chain of
// r, writes their rules, inserts the jumps existing lacks, and flushes and
// deletes the chains of the same cluster that r no longer has.
func (r *Ruleset) Payload(existing *Existing) []byte {
	var b strings.Builder
	for _, table := range tables {
		want := map[string]bool{}
		b.WriteString("*" + table + "\n")
		for _, c := range r.chains[table] {
			want[c] = true
			b.WriteString(":" + c + " - [0:0]\n")
		}
		var stale []string
		for _, c := range existing.chains(table) {
			if r.names.owns(c) && !want[c] {
				stale = append(stale, c)
				b.WriteString(":" + c + " - [0:0]\n")
			}
		}
		for _, line := range r.rules[table] {
			b.WriteString(line + "\n")
		}
		for _, j := range r.Jumps {
			chain := j.Chain
			if table == tableFilter && chain == "FORWARD" && existing.has(table, dockerUser) {
				chain = dockerUser // stays ahead of Docker's per-bridge ACCEPTs
			}
			if j.Table == table && !existing.hasJump(table, chain, j.Target) {
				b.WriteString("-I " + chain + " 1 " + j.Spec + "\n")
			}
		}
		for _, c := range stale {
			b.WriteString("-X " + c + "\n")
		}
		b.WriteString("COMMIT\n")
	}
	return []byte(b.String())
}

// hostCIDR is ip as a /32.
func hostCIDR(ip netip.Addr) string { return ip.String() + "/32" }

func itoa(i int32) string { return strconv.Itoa(int(i)) }

// probability is the chance that the first of left remaining endpoints is
// chosen, so each of the n endpoints ends up with 1/n.
func probability(left int) string { return fmt.Sprintf("%0.10f", 1/float64(left)) }
