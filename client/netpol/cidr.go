package netpol

import (
	"net/netip"
	"slices"

	"github.com/berth-dev/berth/api"
)

// ipBlock is the IPv4 prefixes an ipBlock covers: its CIDR less every except,
// as a list of disjoint prefixes (at most 32 per except), sorted. An IPv6 or
// malformed block covers nothing; so does one with a malformed except, which
// could not be honoured.
func ipBlock(b *api.IPBlock) []netip.Prefix {
	base, err := netip.ParsePrefix(b.CIDR)
	if err != nil || !base.Addr().Is4() {
		return nil
	}
	out := []netip.Prefix{base.Masked()}
	for _, e := range b.Except {
		ex, err := netip.ParsePrefix(e)
		if err != nil || !ex.Addr().Is4() {
			return nil
		}
		out = subtract(out, ex.Masked())
	}
	slices.SortFunc(out, comparePrefix)
	return out
}

// subtract removes ex from every prefix of list.
func subtract(list []netip.Prefix, ex netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range list {
		switch {
		case !p.Overlaps(ex):
			out = append(out, p)
		case ex.Bits() <= p.Bits():
			// ex covers p: nothing of p is left.
		default:
			// p strictly holds ex: keep the halves, split the one holding ex further.
			lo, hi := halves(p)
			out = append(out, subtract([]netip.Prefix{lo, hi}, ex)...)
		}
	}
	return out
}

// halves splits an IPv4 prefix shorter than /32 into its two halves.
func halves(p netip.Prefix) (lo, hi netip.Prefix) {
	bits := p.Bits() + 1
	a := p.Addr().As4()
	a[p.Bits()/8] |= 0x80 >> (p.Bits() % 8)
	return netip.PrefixFrom(p.Addr(), bits), netip.PrefixFrom(netip.AddrFrom4(a), bits)
}
