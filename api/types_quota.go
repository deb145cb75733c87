package api

// ResourceQuota caps what the objects of one namespace may use together: how many
// of a kind exist (pods, services, secrets, count/deployments.apps, ...) and the sum
// of the pods' requests and limits. The server refuses, at admission, the create
// that would pass a cap; status.used is kept current by the resourcequota controller.
type ResourceQuota struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       ResourceQuotaSpec   `json:"spec,omitempty"`
	Status     ResourceQuotaStatus `json:"status,omitempty"`
}

// ResourceQuotaSpec is the caps and which objects they apply to.
type ResourceQuotaSpec struct {
	// Hard maps a quota resource name ("pods", "requests.cpu", "count/jobs.batch")
	// to its cap.
	Hard ResourceList `json:"hard,omitempty"`
	// Scopes narrow the quota to the pods that match every scope; a scoped quota
	// counts pods only. Empty: every object of the namespace counts.
	Scopes []string `json:"scopes,omitempty"`
	// ScopeSelector is the expression form of Scopes (needed for PriorityClass
	// values); a pod must match both.
	ScopeSelector *ScopeSelector `json:"scopeSelector,omitempty"`
}

// ScopeSelector selects pods by scope, every expression ANDed.
type ScopeSelector struct {
	MatchExpressions []ScopedResourceSelectorRequirement `json:"matchExpressions,omitempty"`
}

// ScopedResourceSelectorRequirement is one scope expression: PriorityClass In
// [high], BestEffort Exists, ...
type ScopedResourceSelectorRequirement struct {
	ScopeName string   `json:"scopeName"`
	Operator  string   `json:"operator"` // In, NotIn, Exists, DoesNotExist
	Values    []string `json:"values,omitempty"`
}

// ResourceQuotaStatus is the caps in force and what the namespace uses of each.
type ResourceQuotaStatus struct {
	Hard ResourceList `json:"hard,omitempty"`
	Used ResourceList `json:"used,omitempty"`
}

// The quota scopes, with Kubernetes' meanings.
const (
	// ResourceQuotaScopeTerminating: pods with spec.activeDeadlineSeconds.
	ResourceQuotaScopeTerminating = "Terminating"
	// ResourceQuotaScopeNotTerminating: pods without spec.activeDeadlineSeconds.
	ResourceQuotaScopeNotTerminating = "NotTerminating"
	// ResourceQuotaScopeBestEffort: pods whose containers request and limit nothing.
	ResourceQuotaScopeBestEffort = "BestEffort"
	// ResourceQuotaScopeNotBestEffort: pods that request or limit something.
	ResourceQuotaScopeNotBestEffort = "NotBestEffort"
	// ResourceQuotaScopePriorityClass: pods by spec.priorityClassName.
	ResourceQuotaScopePriorityClass = "PriorityClass"
	// ResourceQuotaScopeCrossNamespacePodAffinity: pods with cross-namespace
	// affinity terms. Accepted and warned about; Berth does not act on it.
	ResourceQuotaScopeCrossNamespacePodAffinity = "CrossNamespacePodAffinity"
)

// The operators of a ScopedResourceSelectorRequirement.
const (
	ScopeSelectorOpIn           = "In"
	ScopeSelectorOpNotIn        = "NotIn"
	ScopeSelectorOpExists       = "Exists"
	ScopeSelectorOpDoesNotExist = "DoesNotExist"
)

// The quota resource names Berth counts beyond the container resources.
const (
	ResourceServices               = "services"
	ResourceServicesNodePorts      = "services.nodeports"
	ResourceServicesLoadBalancers  = "services.loadbalancers"
	ResourceSecrets                = "secrets"
	ResourceConfigMaps             = "configmaps"
	ResourceQuotas                 = "resourcequotas"
	ResourceRequestsCPU            = "requests.cpu"
	ResourceRequestsMemory         = "requests.memory"
	ResourceLimitsCPU              = "limits.cpu"
	ResourceLimitsMemory           = "limits.memory"
	ResourceRequestsPrefix         = "requests."
	ResourceLimitsPrefix           = "limits."
	ResourceCountPrefix            = "count/"
	ResourceHugePagesPrefix        = "hugepages-"
	ResourceRequestsStorage        = "requests.storage"
	ResourcePersistentVolumeClaims = "persistentvolumeclaims"
)

// LimitRange bounds, and defaults, the resources of each container or pod of one
// namespace: at pod create the server fills the requests and limits a container
// leaves out (defaultRequest, default) and refuses a pod outside min, max or
// maxLimitRequestRatio.
type LimitRange struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       LimitRangeSpec `json:"spec,omitempty"`
}

// LimitRangeSpec is one item per kind of thing bounded.
type LimitRangeSpec struct {
	Limits []LimitRangeItem `json:"limits"`
}

// LimitRangeItem bounds one type (Container or Pod). For a Pod the bounds apply to
// the sum of its containers.
type LimitRangeItem struct {
	Type string `json:"type"`
	// Max is the largest limit (and request) allowed.
	Max ResourceList `json:"max,omitempty"`
	// Min is the smallest request (and limit) allowed.
	Min ResourceList `json:"min,omitempty"`
	// Default is the limit of a container that sets none (Container only).
	Default ResourceList `json:"default,omitempty"`
	// DefaultRequest is the request of a container that sets none (Container only).
	DefaultRequest ResourceList `json:"defaultRequest,omitempty"`
	// MaxLimitRequestRatio bounds limit/request.
	MaxLimitRequestRatio ResourceList `json:"maxLimitRequestRatio,omitempty"`
}

// The values of LimitRangeItem.Type.
const (
	LimitTypeContainer = "Container"
	LimitTypePod       = "Pod"
	// LimitTypePersistentVolumeClaim is accepted and warned about: Berth has no
	// claims to bound.
	LimitTypePersistentVolumeClaim = "PersistentVolumeClaim"
)

func init() {
	register(&Resource{
		Kind: "ResourceQuota", Plural: "resourcequotas", Singular: "resourcequota", ShortNames: []string{"quota"},
		Version: "v1", Namespaced: true, HasStatus: true,
		New: func() Object { return &ResourceQuota{TypeMeta: TypeMeta{APIVersion: "v1", Kind: "ResourceQuota"}} },
	})
	register(&Resource{
		Kind: "LimitRange", Plural: "limitranges", Singular: "limitrange", ShortNames: []string{"limits"},
		Version: "v1", Namespaced: true,
		New: func() Object { return &LimitRange{TypeMeta: TypeMeta{APIVersion: "v1", Kind: "LimitRange"}} },
	})
}
