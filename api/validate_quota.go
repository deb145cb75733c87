package api

import (
	"fmt"
	"slices"
	"strings"
)

// standardQuotaResources are the quota resource names without a "/" that
// Kubernetes accepts (besides hugepages-* and requests.hugepages-*).
var standardQuotaResources = []string{
	ResourcePods, ResourceServices, "replicationcontrollers", ResourceQuotas, ResourceSecrets,
	ResourceConfigMaps, ResourcePersistentVolumeClaims, ResourceServicesNodePorts,
	ResourceServicesLoadBalancers, ResourceCPU, ResourceMemory, ResourceEphemeralStorage,
	ResourceRequestsCPU, ResourceRequestsMemory, ResourceRequestsStorage,
	"requests.ephemeral-storage", ResourceLimitsCPU, ResourceLimitsMemory, "limits.ephemeral-storage",
}

// integerQuotaResources count objects: their caps must be whole numbers.
var integerQuotaResources = []string{
	ResourcePods, ResourceServices, "replicationcontrollers", ResourceQuotas, ResourceSecrets,
	ResourceConfigMaps, ResourcePersistentVolumeClaims, ResourceServicesNodePorts, ResourceServicesLoadBalancers,
}

// podComputeQuotaResources are what a scoped quota may cap besides pod counts.
var podComputeQuotaResources = []string{
	ResourceCPU, ResourceMemory, ResourceLimitsCPU, ResourceLimitsMemory, ResourceRequestsCPU, ResourceRequestsMemory,
}

var standardQuotaScopes = []string{
	ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort,
	ResourceQuotaScopeNotBestEffort, ResourceQuotaScopePriorityClass, ResourceQuotaScopeCrossNamespacePodAffinity,
}

func isStandardQuotaResource(name string) bool {
	return slices.Contains(standardQuotaResources, name) || strings.HasPrefix(name, ResourceHugePagesPrefix) ||
		strings.HasPrefix(name, ResourceRequestsPrefix+ResourceHugePagesPrefix)
}

func validateResourceQuota(l *errs, q *ResourceQuota) {
	validateQuotaList(l, "spec.hard", q.Spec.Hard)
	validateQuotaList(l, "status.hard", q.Status.Hard)
	validateQuotaList(l, "status.used", q.Status.Used)
	scopes := slices.Clone(q.Spec.Scopes)
	for i, s := range q.Spec.Scopes {
		l.oneOf(fmt.Sprintf("spec.scopes[%d]", i), s, false, standardQuotaScopes...)
	}
	if sel := q.Spec.ScopeSelector; sel != nil {
		for i, r := range sel.MatchExpressions {
			validateScopeRequirement(l, fmt.Sprintf("spec.scopeSelector.matchExpressions[%d]", i), r)
			scopes = append(scopes, r.ScopeName)
		}
	}
	if len(scopes) == 0 {
		return
	}
	shown := strings.Join(scopes, ",")
	if has := func(s string) bool { return slices.Contains(scopes, s) }; has(ResourceQuotaScopeTerminating) && has(ResourceQuotaScopeNotTerminating) ||
		has(ResourceQuotaScopeBestEffort) && has(ResourceQuotaScopeNotBestEffort) {
		l.invalid("spec.scopes", shown, "conflicting scopes")
	}
	for _, k := range sortedStringKeys(q.Spec.Hard) {
		for _, s := range scopes {
			if !scopeValidForResource(s, k) {
				l.invalid("spec.scopes", shown, "unsupported scope applied to resource "+k)
				break
			}
		}
	}
}

// validateQuotaList checks quota resource names and amounts.
func validateQuotaList(l *errs, field string, list ResourceList) {
	for _, k := range sortedStringKeys(list) {
		f := field + "[" + k + "]"
		if !strings.Contains(k, "/") {
			if !isStandardQuotaResource(k) {
				l.invalid(f, k, "must be a standard resource for quota")
			}
		} else {
			l.name(f, k, isQualifiedName)
		}
		q := list[k]
		switch {
		case q.Sign() < 0:
			l.invalid(f, q, "must be greater than or equal to 0")
		case (slices.Contains(integerQuotaResources, k) || strings.HasPrefix(k, ResourceCountPrefix)) && q.MilliValue()%1000 != 0:
			l.invalid(f, q, "must be an integer")
		}
	}
}

func validateScopeRequirement(l *errs, f string, r ScopedResourceSelectorRequirement) {
	l.oneOf(f+".scopeName", r.ScopeName, false, standardQuotaScopes...)
	switch r.Operator {
	case ScopeSelectorOpIn, ScopeSelectorOpNotIn:
		if r.ScopeName != ResourceQuotaScopePriorityClass && r.ScopeName != ResourceQuotaScopeCrossNamespacePodAffinity {
			l.invalid(f+".operator", r.Operator, "must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity")
		}
		if len(r.Values) == 0 {
			l.required(f+".values", "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector")
		}
	case ScopeSelectorOpExists, ScopeSelectorOpDoesNotExist:
		if len(r.Values) > 0 {
			l.invalid(f+".values", strings.Join(r.Values, ","), "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector")
		}
	default:
		l.unsupported(f+".operator", r.Operator, ScopeSelectorOpIn, ScopeSelectorOpNotIn, ScopeSelectorOpExists, ScopeSelectorOpDoesNotExist)
	}
}

// scopeValidForResource: a scoped quota counts pods, so it may cap pod counts and,
// unless BestEffort (which requests nothing), compute resources.
func scopeValidForResource(scope, resource string) bool {
	if !slices.Contains(standardQuotaScopes, scope) {
		return true // reported as unsupported already
	}
	if resource == ResourcePods || resource == ResourceCountPrefix+"pods" {
		return true
	}
	return scope != ResourceQuotaScopeBestEffort && slices.Contains(podComputeQuotaResources, resource)
}

var limitTypes = []string{LimitTypePod, LimitTypeContainer, LimitTypePersistentVolumeClaim}

func validateLimitRange(l *errs, lr *LimitRange) {
	seen := map[string]bool{}
	for i := range lr.Spec.Limits {
		it := &lr.Spec.Limits[i]
		f := fmt.Sprintf("spec.limits[%d]", i)
		if it.Type == "" {
			l.required(f+".type", "")
		} else {
			l.oneOf(f+".type", it.Type, false, limitTypes...)
		}
		if seen[it.Type] && it.Type != "" {
			l.duplicate(f+".type", it.Type)
		}
		seen[it.Type] = true
		if it.Type == LimitTypePod {
			if len(it.Default) > 0 {
				l.forbidden(f+".default", "may not be specified when `type` is 'Pod'")
			}
			if len(it.DefaultRequest) > 0 {
				l.forbidden(f+".defaultRequest", "may not be specified when `type` is 'Pod'")
			}
		}
		for _, part := range []struct {
			name string
			list ResourceList
		}{{"max", it.Max}, {"min", it.Min}, {"default", it.Default}, {"defaultRequest", it.DefaultRequest}, {"maxLimitRequestRatio", it.MaxLimitRequestRatio}} {
			validateLimitList(l, f+"."+part.name, part.list)
		}
		validateLimitOrder(l, f, it)
	}
}

func validateLimitList(l *errs, field string, list ResourceList) {
	for _, k := range sortedStringKeys(list) {
		f := field + "[" + k + "]"
		if !strings.Contains(k, "/") {
			if !slices.Contains([]string{ResourceCPU, ResourceMemory, ResourceEphemeralStorage, "storage"}, k) &&
				!strings.HasPrefix(k, ResourceHugePagesPrefix) {
				l.invalid(f, k, "must be a standard limit type or fully qualified")
			}
		} else {
			l.name(f, k, isQualifiedName)
		}
		if q := list[k]; q.Sign() < 0 {
			l.invalid(f, q, "must be greater than or equal to 0")
		}
	}
}

// validateLimitOrder checks min ≤ defaultRequest ≤ default ≤ max and the ratio,
// with Kubernetes' messages.
func validateLimitOrder(l *errs, f string, it *LimitRangeItem) {
	for _, k := range sortedStringKeys(it.Min) {
		if max, ok := it.Max[k]; ok && it.Min[k].Cmp(max) > 0 {
			l.invalid(f+".min["+k+"]", it.Min[k], fmt.Sprintf("min value %s is greater than max value %s", it.Min[k], max))
		}
	}
	for _, k := range sortedStringKeys(it.DefaultRequest) {
		dr := it.DefaultRequest[k]
		g := f + ".defaultRequest[" + k + "]"
		if max, ok := it.Max[k]; ok && dr.Cmp(max) > 0 {
			l.invalid(g, dr, fmt.Sprintf("default request value %s is greater than max value %s", dr, max))
		}
		if min, ok := it.Min[k]; ok && min.Cmp(dr) > 0 {
			l.invalid(g, dr, fmt.Sprintf("min value %s is greater than default request value %s", min, dr))
		}
		if def, ok := it.Default[k]; ok && dr.Cmp(def) > 0 {
			l.invalid(g, dr, fmt.Sprintf("default request value %s is greater than default limit value %s", dr, def))
		}
	}
	for _, k := range sortedStringKeys(it.Default) {
		def := it.Default[k]
		g := f + ".default[" + k + "]"
		if max, ok := it.Max[k]; ok && def.Cmp(max) > 0 {
			l.invalid(g, def, fmt.Sprintf("default value %s is greater than max value %s", def, max))
		}
		if min, ok := it.Min[k]; ok && min.Cmp(def) > 0 {
			l.invalid(g, def, fmt.Sprintf("min value %s is greater than default value %s", min, def))
		}
	}
	one := NewQuantity(1, DecimalSI)
	for _, k := range sortedStringKeys(it.MaxLimitRequestRatio) {
		if r := it.MaxLimitRequestRatio[k]; r.Cmp(one) < 0 {
			l.invalid(f+".maxLimitRequestRatio["+k+"]", r, fmt.Sprintf("ratio %s is less than 1", r))
		}
	}
}

// validateResourceQuotaUpdate: the scopes decide which objects a quota counts;
// Kubernetes keeps them fixed for the quota's life.
func validateResourceQuotaUpdate(l *errs, old, cur *ResourceQuota) {
	if !slices.Equal(old.Spec.Scopes, cur.Spec.Scopes) {
		l.invalid("spec.scopes", strings.Join(cur.Spec.Scopes, ","), "field is immutable")
	}
	if !equalJSON(old.Spec.ScopeSelector, cur.Spec.ScopeSelector) {
		l.invalid("spec.scopeSelector", "", "field is immutable")
	}
}
