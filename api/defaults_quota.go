package api

// defaultLimitRange fills a Container item's defaults as Kubernetes does, so that
// what the server applies to pods is visible in the stored object: a missing
// default limit is the max, a missing default request the default limit, else the
// min.
func defaultLimitRange(lr *LimitRange) {
	for i := range lr.Spec.Limits {
		it := &lr.Spec.Limits[i]
		if it.Type != LimitTypeContainer {
			continue
		}
		fill := func(dst *ResourceList, src ResourceList) {
			for k, v := range src {
				if _, ok := (*dst)[k]; ok {
					continue
				}
				if *dst == nil {
					*dst = ResourceList{}
				}
				(*dst)[k] = v
			}
		}
		fill(&it.Default, it.Max)
		fill(&it.DefaultRequest, it.Default)
		fill(&it.DefaultRequest, it.Min)
	}
}
