package controller

import (
	"github.com/berth-dev/berth/api"
)

// QuotaUsage sums what the stored objects of q's namespace use of each resource q
// caps, counting only the objects q's scopes select (api.QuotaUsage,
// api.QuotaMatches). Every capped resource is in used, zero when nothing uses it.
// seen maps the uid of every object listed (selected or not) to its
// resourceVersion, for the server's admission to tell which of its writes in flight
// the lists already hold: each kind is listed once, so a write is either in its
// kind's list or not, never half.
func QuotaUsage(store Store, q *api.ResourceQuota) (used api.ResourceList, seen map[string]uint64) {
	used, seen = api.ResourceList{}, map[string]uint64{}
	for name := range q.Spec.Hard {
		used[name] = api.NewQuantity(0, api.DecimalSI)
	}
	for _, res := range q.QuotaKinds() {
		recs, _ := store.List(res, q.Namespace)
		for _, rec := range recs {
			seen[rec.Object.GetObjectMeta().UID] = rec.RV
			if !api.QuotaMatches(q, rec.Object) {
				continue
			}
			for name, amount := range api.QuotaUsage(rec.Object) {
				if cur, capped := used[name]; capped {
					used[name] = cur.Add(amount)
				}
			}
		}
	}
	return used, seen
}

// SameResourceLists reports whether a and b name the same resources with equal
// amounts ("1000m" equals "1").
func SameResourceLists(a, b api.ResourceList) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || v.Cmp(w) != 0 {
			return false
		}
	}
	return true
}
