package api

import "fmt"

// quotaWarnings names the caps Berth has nothing to count against (claims,
// replication controllers, kinds it does not serve) and the scope it does not act
// on: they are kept, and never exceeded.
func quotaWarnings(w []string, q *ResourceQuota) []string {
	for _, k := range sortedStringKeys(q.Spec.Hard) {
		if _, ok := QuotaResourceKind(k); !ok {
			w = append(w, ignored("spec.hard["+k+"]"))
		}
	}
	for i, s := range q.Spec.Scopes {
		if s == ResourceQuotaScopeCrossNamespacePodAffinity {
			w = append(w, ignored(fmt.Sprintf("spec.scopes[%d]", i)))
		}
	}
	if sel := q.Spec.ScopeSelector; sel != nil {
		for i, r := range sel.MatchExpressions {
			if r.ScopeName == ResourceQuotaScopeCrossNamespacePodAffinity {
				w = append(w, ignored(fmt.Sprintf("spec.scopeSelector.matchExpressions[%d]", i)))
			}
		}
	}
	return w
}

// limitRangeWarnings names the items Berth does not apply (PersistentVolumeClaim).
func limitRangeWarnings(w []string, lr *LimitRange) []string {
	for i, it := range lr.Spec.Limits {
		if it.Type == LimitTypePersistentVolumeClaim {
			w = append(w, ignored(fmt.Sprintf("spec.limits[%d]", i)))
		}
	}
	return w
}
