package api

import (
	"slices"
	"sort"
	"strings"
)

// QuotaUsage is what obj counts against the quotas of its namespace, by quota
// resource name, as Kubernetes' quota evaluators count it:
//
//   - every object: count/<plural>[.<group>] = 1;
//   - a pod that has not finished (phase Succeeded or Failed): pods = 1, and for
//     each container resource the pod's request as <name> (cpu, memory,
//     ephemeral-storage) and requests.<name>, its limit as limits.<name>;
//   - a Service: services = 1, services.nodeports = its ports when it has node
//     ports, services.loadbalancers = 1 for a LoadBalancer;
//   - a Secret, ConfigMap or ResourceQuota: secrets, configmaps, resourcequotas = 1.
func QuotaUsage(obj Object) ResourceList {
	res, ok := ResourceForObject(obj)
	if !ok {
		return nil
	}
	one := NewQuantity(1, DecimalSI)
	out := ResourceList{QuotaCountName(res): one}
	switch o := obj.(type) {
	case *Pod:
		if !podCountsForQuota(o) {
			return out
		}
		out[ResourcePods] = one
		addPodCompute(out, &o.Spec)
	case *Service:
		out[ResourceServices] = one
		ports := NewQuantity(int64(len(o.Spec.Ports)), DecimalSI)
		switch o.Spec.Type {
		case ServiceTypeNodePort:
			out[ResourceServicesNodePorts] = ports
		case ServiceTypeLoadBalancer:
			out[ResourceServicesLoadBalancers] = one
			if a := o.Spec.AllocateLoadBalancerNodePorts; a == nil || *a {
				out[ResourceServicesNodePorts] = ports
			}
		}
	case *Secret:
		out[ResourceSecrets] = one
	case *ConfigMap:
		out[ResourceConfigMaps] = one
	case *ResourceQuota:
		out[ResourceQuotas] = one
	}
	return out
}

// QuotaCountName is the object-count resource of a kind: "count/pods",
// "count/deployments.apps".
func QuotaCountName(res *Resource) string {
	if res.Group == "" {
		return ResourceCountPrefix + res.Plural
	}
	return ResourceCountPrefix + res.Plural + "." + res.Group
}

// podCountsForQuota: a finished pod no longer holds its compute resources.
func podCountsForQuota(p *Pod) bool {
	return p.Status.Phase != PodSucceeded && p.Status.Phase != PodFailed
}

// addPodCompute adds the pod's requests and limits: the larger of the containers'
// sum and any one init container's (init containers run one at a time, before the
// others), plus the pod's overhead.
func addPodCompute(out ResourceList, s *PodSpec) {
	req, lim := PodRequestsAndLimits(s)
	for name, q := range req {
		out[ResourceRequestsPrefix+name] = q
		if isComputeResource(name) {
			out[name] = q
		}
	}
	for name, q := range lim {
		out[ResourceLimitsPrefix+name] = q
	}
}

// isComputeResource names the resources quotas also know by their bare name
// ("cpu" is "requests.cpu").
func isComputeResource(name string) bool {
	return name == ResourceCPU || name == ResourceMemory || name == ResourceEphemeralStorage ||
		strings.HasPrefix(name, ResourceHugePagesPrefix)
}

// PodRequestsAndLimits sums a pod's requests and limits as the quota and the
// LimitRange's Pod bounds see them: per resource, the larger of the containers'
// sum and the largest init container's, plus the pod's overhead. A resource no
// container names is absent.
func PodRequestsAndLimits(s *PodSpec) (req, lim ResourceList) {
	req, lim = ResourceList{}, ResourceList{}
	for i := range s.Containers {
		AddResourceList(req, s.Containers[i].Resources.Requests)
		AddResourceList(lim, s.Containers[i].Resources.Limits)
	}
	for i := range s.InitContainers {
		maxInto(req, s.InitContainers[i].Resources.Requests)
		maxInto(lim, s.InitContainers[i].Resources.Limits)
	}
	if len(s.Overhead) > 0 {
		for name, q := range s.Overhead {
			if _, ok := req[name]; ok {
				req[name] = req[name].Add(q)
			}
			if _, ok := lim[name]; ok {
				lim[name] = lim[name].Add(q)
			}
		}
	}
	return req, lim
}

func maxInto(dst, src ResourceList) {
	for k, v := range src {
		if cur, ok := dst[k]; !ok || v.Cmp(cur) > 0 {
			dst[k] = v
		}
	}
}

// QuotaResourceKind is the kind whose objects a quota resource name counts:
// Pod for "pods", "cpu" or "limits.memory", Service for "services.nodeports",
// Deployment for "count/deployments.apps". ok is false for names Berth has no
// objects for ("persistentvolumeclaims", "requests.storage").
func QuotaResourceKind(name string) (*Resource, bool) {
	var group, plural string
	switch {
	case strings.HasPrefix(name, ResourceCountPrefix):
		plural = strings.TrimPrefix(name, ResourceCountPrefix)
		if i := strings.IndexByte(plural, '.'); i >= 0 {
			plural, group = plural[:i], plural[i+1:]
		}
	case name == ResourcePods || isComputeResource(name):
		plural = "pods"
	case name == ResourceRequestsStorage:
		return nil, false // a claim's storage, not a container's
	case strings.HasPrefix(name, ResourceRequestsPrefix) || strings.HasPrefix(name, ResourceLimitsPrefix):
		plural = "pods"
	case name == ResourceServices || name == ResourceServicesNodePorts || name == ResourceServicesLoadBalancers:
		plural = "services"
	case name == ResourceSecrets || name == ResourceConfigMaps || name == ResourceQuotas:
		plural = name
	default:
		return nil, false
	}
	res, ok := ResourceForPath(group, plural)
	if !ok || !res.Namespaced {
		return nil, false
	}
	return res, true
}

// QuotaKinds lists the kinds q's hard resources count, sorted by plural.
func (q *ResourceQuota) QuotaKinds() []*Resource {
	seen := map[*Resource]bool{}
	var out []*Resource
	for name := range q.Spec.Hard {
		if res, ok := QuotaResourceKind(name); ok && !seen[res] {
			seen[res] = true
			out = append(out, res)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Plural < out[j].Plural })
	return out
}

// Scoped reports whether q has scopes: a scoped quota counts pods only.
func (q *ResourceQuota) Scoped() bool {
	return len(q.Spec.Scopes) > 0 || q.Spec.ScopeSelector != nil && len(q.Spec.ScopeSelector.MatchExpressions) > 0
}

// QuotaMatches reports whether q counts obj: every object of the namespace for a
// quota without scopes, only the pods every scope selects for a scoped one.
func QuotaMatches(q *ResourceQuota, obj Object) bool {
	if !q.Scoped() {
		return true
	}
	pod, ok := obj.(*Pod)
	if !ok {
		return false
	}
	for _, s := range q.Spec.Scopes {
		if !scopeMatches(ScopedResourceSelectorRequirement{ScopeName: s, Operator: ScopeSelectorOpExists}, pod) {
			return false
		}
	}
	if sel := q.Spec.ScopeSelector; sel != nil {
		for _, r := range sel.MatchExpressions {
			if !scopeMatches(r, pod) {
				return false
			}
		}
	}
	return true
}

func scopeMatches(r ScopedResourceSelectorRequirement, p *Pod) bool {
	var in bool
	switch r.ScopeName {
	case ResourceQuotaScopeTerminating:
		in = p.Spec.ActiveDeadlineSeconds != nil && *p.Spec.ActiveDeadlineSeconds >= 0
	case ResourceQuotaScopeNotTerminating:
		in = p.Spec.ActiveDeadlineSeconds == nil
	case ResourceQuotaScopeBestEffort:
		in = isBestEffort(&p.Spec)
	case ResourceQuotaScopeNotBestEffort:
		in = !isBestEffort(&p.Spec)
	case ResourceQuotaScopePriorityClass:
		switch r.Operator {
		case ScopeSelectorOpExists:
			return p.Spec.PriorityClassName != ""
		case ScopeSelectorOpDoesNotExist:
			return p.Spec.PriorityClassName == ""
		case ScopeSelectorOpIn:
			return slices.Contains(r.Values, p.Spec.PriorityClassName)
		case ScopeSelectorOpNotIn:
			return !slices.Contains(r.Values, p.Spec.PriorityClassName)
		}
		return false
	default:
		return false // CrossNamespacePodAffinity: not acted on (a warning says so)
	}
	if r.Operator == ScopeSelectorOpDoesNotExist {
		return !in
	}
	return in
}

// isBestEffort: no container requests or limits cpu or memory (Kubernetes' QoS
// class BestEffort).
func isBestEffort(s *PodSpec) bool {
	for _, cs := range [][]Container{s.InitContainers, s.Containers} {
		for i := range cs {
			r := &cs[i].Resources
			for _, name := range []string{ResourceCPU, ResourceMemory} {
				if _, ok := r.Requests[name]; ok {
					return false
				}
				if _, ok := r.Limits[name]; ok {
					return false
				}
			}
		}
	}
	return true
}

// QuotaMissing lists, for a pod that q counts, the compute resources q caps that
// some container does not state, as "requests.cpu for: app,sidecar": Kubernetes
// refuses such a pod ("must specify ..."), since the quota could not count it.
// Only cpu and memory are checked, in their three names, as Kubernetes does.
func QuotaMissing(q *ResourceQuota, pod *Pod) []string {
	missing := map[string][]string{}
	check := func(c *Container) {
		for _, name := range []string{ResourceCPU, ResourceMemory} {
			_, hasReq := c.Resources.Requests[name]
			_, hasLim := c.Resources.Limits[name]
			for key, has := range map[string]bool{
				name: hasReq, ResourceRequestsPrefix + name: hasReq, ResourceLimitsPrefix + name: hasLim,
			} {
				if _, capped := q.Spec.Hard[key]; capped && !has {
					missing[key] = append(missing[key], c.Name)
				}
			}
		}
	}
	for i := range pod.Spec.InitContainers {
		check(&pod.Spec.InitContainers[i])
	}
	for i := range pod.Spec.Containers {
		check(&pod.Spec.Containers[i])
	}
	var out []string
	for _, key := range sortedStringKeys(missing) {
		names := slices.Clone(missing[key])
		sort.Strings(names)
		out = append(out, key+" for: "+strings.Join(slices.Compact(names), ","))
	}
	return out
}
