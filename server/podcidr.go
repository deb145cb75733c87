package server

import (
	"net/netip"
	"sync"

	"github.com/berth-dev/berth/api"
)

// podCIDRBits is the size of the range each node gets: a /24 is 254 pod addresses,
// more than the 110 pods a node may run.
const podCIDRBits = 24

// podCIDRAllocator hands out the /24s of the cluster CIDR to Nodes as they are created
// (on the leader only). The store is the truth for ranges already held; inFlight holds
// those picked for creates whose Raft proposal has not returned yet, so two Nodes
// created at once never get the same range. A new leader starts with an empty
// inFlight: the creates in flight on the old one were applied or failed.
type podCIDRAllocator struct {
	cluster netip.Prefix

	mu       sync.Mutex
	inFlight map[netip.Prefix]bool
}

func newPodCIDRAllocator(cluster netip.Prefix) *podCIDRAllocator {
	return &podCIDRAllocator{cluster: cluster.Masked(), inFlight: map[netip.Prefix]bool{}}
}

// reserve picks the range of a new Node: want (what the Node asks for) when it is a /24
// of the cluster CIDR held by nobody, else the first free /24. held lists the ranges of
// the stored Nodes; it is called under the allocator's lock, so that a release (which
// follows the store's update) can never fall between reading the store and checking
// inFlight. ok is false when no /24 is free. The caller must release the range once
// its proposal has returned.
func (a *podCIDRAllocator) reserve(want string, held func() []string) (netip.Prefix, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	taken := newRangeSet(held())
	for p := range a.inFlight {
		taken.add(p)
	}
	if p, err := netip.ParsePrefix(want); err == nil && p == p.Masked() && p.Bits() == podCIDRBits &&
		p.Addr().Is4() && a.cluster.Contains(p.Addr()) && !taken.overlaps(p) {
		a.inFlight[p] = true
		return p, true
	}
	n := 1 << (podCIDRBits - a.cluster.Bits())
	base := a.cluster.Addr().As4()
	start := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	for i := range n {
		v := start + uint32(i)<<(32-podCIDRBits)
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), 0}), podCIDRBits)
		if !taken.overlaps(p) {
			a.inFlight[p] = true
			return p, true
		}
	}
	return netip.Prefix{}, false
}

// release forgets an in-flight range: its create was applied (the store has it now)
// or failed (it is free again).
func (a *podCIDRAllocator) release(p netip.Prefix) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.inFlight, p)
}

// errPodCIDRsExhausted is the 422 of a Node create when every range is held.
func errPodCIDRsExhausted(node string, cluster netip.Prefix) *api.Error {
	e := api.NewError(api.ReasonInvalid,
		"Node %q is invalid: spec.podCIDR: Forbidden: every /%d of the cluster CIDR %s is assigned to a node; "+
			"delete a node or run the servers with a larger --cluster-cidr", node, podCIDRBits, cluster)
	e.Status.Details = &api.StatusDetails{Name: node, Kind: "Node"}
	return e
}

// rangeSet is the set of ranges held: exact /24s in a map, and the rare wider range
// (a Node created with another cluster CIDR) in a list checked for overlap.
type rangeSet struct {
	exact map[netip.Prefix]bool
	wide  []netip.Prefix
}

func newRangeSet(cidrs []string) *rangeSet {
	s := &rangeSet{exact: make(map[netip.Prefix]bool, len(cidrs))}
	for _, c := range cidrs {
		if p, err := netip.ParsePrefix(c); err == nil && p.Addr().Is4() {
			s.add(p)
		}
	}
	return s
}

func (s *rangeSet) add(p netip.Prefix) {
	if p.Bits() >= podCIDRBits {
		s.exact[netip.PrefixFrom(p.Addr(), podCIDRBits).Masked()] = true
		return
	}
	s.wide = append(s.wide, p.Masked())
}

// overlaps tells whether the /24 p shares an address with a held range.
func (s *rangeSet) overlaps(p netip.Prefix) bool {
	if s.exact[p] {
		return true
	}
	for _, w := range s.wide {
		if w.Overlaps(p) {
			return true
		}
	}
	return false
}

// assignPodCIDR sets a new Node's spec.podCIDR and spec.podCIDRs and returns the
// release of the reservation, to call once the create's proposal has returned.
func (s *Server) assignPodCIDR(n *api.Node) (func(), error) {
	p, ok := s.cidrs.reserve(n.Spec.PodCIDR, s.heldPodCIDRs)
	if !ok {
		return nil, errPodCIDRsExhausted(n.Name, s.cidrs.cluster)
	}
	if n.Spec.PodCIDR != "" && n.Spec.PodCIDR != p.String() {
		s.log.Info("node asked for a pod CIDR that is taken or outside the cluster CIDR; assigned another",
			"node", n.Name, "asked", n.Spec.PodCIDR, "assigned", p)
	}
	n.Spec.PodCIDR, n.Spec.PodCIDRs = p.String(), []string{p.String()}
	return func() { s.cidrs.release(p) }, nil
}

// heldPodCIDRs lists the pod CIDRs of the Nodes in the local (leader's) store.
func (s *Server) heldPodCIDRs() []string {
	res, ok := api.ResourceForKind("Node")
	if !ok {
		return nil
	}
	records, _ := s.fsm.List(res, "")
	out := make([]string, 0, len(records))
	for _, rec := range records {
		if n, ok := rec.Object.(*api.Node); ok {
			if n.Spec.PodCIDR != "" {
				out = append(out, n.Spec.PodCIDR)
			}
			out = append(out, n.Spec.PodCIDRs...)
		}
	}
	return out
}

// keepNodePodCIDR carries a Node's stored pod CIDRs into an update that leaves them
// out: the agent re-registering after a restart does not know or send them. A change
// of a set value is refused by api.ValidateUpdate afterwards.
func keepNodePodCIDR(old, next api.Object) {
	o, ok := old.(*api.Node)
	n, ok2 := next.(*api.Node)
	if !ok || !ok2 {
		return
	}
	if n.Spec.PodCIDR == "" {
		n.Spec.PodCIDR = o.Spec.PodCIDR
	}
	if len(n.Spec.PodCIDRs) == 0 {
		n.Spec.PodCIDRs = o.Spec.PodCIDRs
	}
}
