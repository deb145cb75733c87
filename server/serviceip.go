package server

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"

	"github.com/berth-dev/berth/api"
)

// serviceIPAllocator hands out the cluster IPs of Services from the service CIDR (on
// the leader only), as podCIDRAllocator does node ranges: the store is the truth for
// the addresses held (a Service's clusterIPs, so an address is free again the moment
// its Service is deleted), and inFlight holds those picked for writes whose Raft
// proposal has not returned yet, so two Services created at once never share one.
//
// The network address, the broadcast address and the first address (10.96.0.1,
// which Kubernetes gives its `kubernetes` Service) are never handed out.
type serviceIPAllocator struct {
	cidr netip.Prefix
	// first and last bound the addresses handed out (as 32-bit numbers).
	first, last uint32

	mu       sync.Mutex
	inFlight map[netip.Addr]bool
	// next is where the search for a free address starts: it moves past each address
	// handed out, so a just-released address is not reused at once (a client may
	// still hold the old Service's IP in its DNS cache or its proxy rules).
	next uint32
}

func newServiceIPAllocator(cidr netip.Prefix) *serviceIPAllocator {
	cidr = cidr.Masked()
	base := addrNum(cidr.Addr())
	size := uint32(1) << (32 - cidr.Bits())
	a := &serviceIPAllocator{cidr: cidr, first: base + 2, last: base + size - 2, inFlight: map[netip.Addr]bool{}}
	a.next = a.first
	return a
}

// Why a requested cluster IP is refused, with Kubernetes' wording.
const (
	ipAllocated = "provided IP is already allocated"
	ipReserved  = "provided IP is reserved for the cluster's API service"
	ipsFull     = "no cluster IP is free in the service CIDR %s; delete a Service or run the servers with a larger --service-cidr"
)

// reserve picks the cluster IP of a Service: want when it is given (it must be a
// free address of the range), else the next free one. held lists the cluster IPs of
// the stored Services; it is called under the allocator's lock, so a release (which
// follows the store's update) never falls between reading the store and checking
// inFlight. On failure why says what is wrong with want (or that the range is
// full). The caller must release the address once its proposal has returned.
func (a *serviceIPAllocator) reserve(want string, held func() []string) (ip netip.Addr, why string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	taken := make(map[netip.Addr]bool, len(a.inFlight))
	for _, s := range held() {
		if ip, err := netip.ParseAddr(s); err == nil {
			taken[ip] = true
		}
	}
	for ip := range a.inFlight {
		taken[ip] = true
	}
	if want != "" {
		ip, err := netip.ParseAddr(want)
		switch {
		case err != nil || !ip.Is4() || !a.cidr.Contains(ip) || addrNum(ip) < a.first-1 || addrNum(ip) > a.last:
			return netip.Addr{}, fmt.Sprintf("provided IP is not in the valid range. The range of valid IPs is %s", a.cidr)
		case addrNum(ip) == a.first-1:
			return netip.Addr{}, ipReserved
		case taken[ip]:
			return netip.Addr{}, ipAllocated
		}
		a.inFlight[ip] = true
		return ip, ""
	}
	n := a.last - a.first + 1
	for i := range n {
		v := a.first + (a.next-a.first+i)%n
		ip := numAddr(v)
		if !taken[ip] {
			a.inFlight[ip] = true
			a.next = v + 1
			if a.next > a.last {
				a.next = a.first
			}
			return ip, ""
		}
	}
	return netip.Addr{}, fmt.Sprintf(ipsFull, a.cidr)
}

// release forgets an in-flight address: its write was applied (the store holds it
// now) or failed (it is free again).
func (a *serviceIPAllocator) release(ip netip.Addr) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.inFlight, ip)
}

func addrNum(ip netip.Addr) uint32 {
	b := ip.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func numAddr(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// heldClusterIPs lists the cluster IPs of the Services in the local (leader's) store.
func (s *Server) heldClusterIPs() []string {
	var out []string
	s.eachStoredService(func(svc *api.Service) {
		if svc.Spec.ClusterIP != "" && svc.Spec.ClusterIP != api.ClusterIPNone {
			out = append(out, svc.Spec.ClusterIP)
		}
		out = append(out, svc.Spec.ClusterIPs...)
	})
	return out
}

// eachStoredService calls f with every Service of the local store.
func (s *Server) eachStoredService(f func(*api.Service)) {
	res, ok := api.ResourceForKind("Service")
	if !ok {
		return
	}
	records, _ := s.fsm.List(res, "")
	for _, rec := range records {
		if svc, ok := rec.Object.(*api.Service); ok {
			f(svc)
		}
	}
}

// reservations collects the releases of what admission reserved for one write, to
// run once the write's proposal has returned (applied or failed).
type reservations []func()

func (r *reservations) add(release func()) { *r = append(*r, release) }

// release runs and forgets every release.
func (r *reservations) release() {
	for _, f := range *r {
		f()
	}
	*r = nil
}

// invalidService is the 422 of a Service refused by the server's own checks,
// worded as api.Validate words field errors.
func invalidService(svc *api.Service, field, kind string, value any, detail string) *api.Error {
	msg := field + ": " + kind
	switch v := value.(type) {
	case nil:
	case string:
		msg += fmt.Sprintf(": %q", v)
	default:
		msg += fmt.Sprintf(": %v", v)
	}
	if detail != "" {
		msg += ": " + detail
	}
	e := api.NewError(api.ReasonInvalid, "Service %q is invalid: %s", svc.Name, msg)
	e.Status.Details = &api.StatusDetails{Name: svc.Name, Kind: "Service"}
	return e
}

// The sizes a service CIDR may have: a /12 is Kubernetes' limit (a million
// addresses), a /28 the smallest range that still leaves a dozen addresses.
const (
	serviceCIDRMinBits = 12
	serviceCIDRMaxBits = 28
)

// servicePrefix parses ServiceCIDR (host bits are ignored).
func (c Config) servicePrefix() (netip.Prefix, error) {
	p, err := netip.ParsePrefix(c.ServiceCIDR)
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("server: --service-cidr %q is not an IPv4 CIDR (e.g. 10.96.0.0/16)", c.ServiceCIDR)
	}
	if p.Bits() < serviceCIDRMinBits || p.Bits() > serviceCIDRMaxBits {
		return netip.Prefix{}, fmt.Errorf("server: --service-cidr %q must be between /%d and /%d", c.ServiceCIDR, serviceCIDRMinBits, serviceCIDRMaxBits)
	}
	return p.Masked(), nil
}

// validateServiceNetworks checks --service-cidr and --service-node-port-range. An
// overlap of the service and cluster CIDRs is allowed (a /8 cluster CIDR holds the
// default service CIDR, yet its nodes' /24s reach it only past 24,576 nodes).
func (c Config) validateServiceNetworks() error {
	var errs []error
	if _, err := c.servicePrefix(); err != nil {
		errs = append(errs, err)
	}
	if _, err := parsePortRange(c.ServiceNodePortRange); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
