package api

import "math/big"

// Add is q+o, exact, printed in q's format (o's when q is zero), as Kubernetes
// adds quantities: 100Mi plus 156Mi is 256Mi, 500m plus 1 is 1500m.
func (q Quantity) Add(o Quantity) Quantity {
	a, fa, _ := parseQuantityRat(q.String())
	b, fb, _ := parseQuantityRat(o.String())
	if a == nil || b == nil { // cannot happen: both are canonical output
		return q
	}
	if a.Sign() == 0 {
		fa = fb
	}
	return quantityFromRat(new(big.Rat).Add(a, b), fa)
}

// Sub is q-o, exact, in q's format (o's when q is zero).
func (q Quantity) Sub(o Quantity) Quantity {
	neg, _, _ := parseQuantityRat(o.String())
	if neg == nil {
		return q
	}
	_, f, _ := parseQuantityRat(o.String())
	return q.Add(quantityFromRat(neg.Neg(neg), f))
}

// Sign is -1, 0 or 1 as q is negative, zero or positive.
func (q Quantity) Sign() int { return q.Cmp(Quantity{}) }

// AddResourceList adds src into dst, name by name, and returns dst (a new list
// when dst is nil).
func AddResourceList(dst, src ResourceList) ResourceList {
	if dst == nil {
		dst = ResourceList{}
	}
	for k, v := range src {
		dst[k] = dst[k].Add(v)
	}
	return dst
}
