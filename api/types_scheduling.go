package api

// PriorityClass maps a name to a pod priority. Pods name it in
// spec.priorityClassName; admission turns that into spec.priority, which orders the
// scheduling queue and decides who may preempt whom.
type PriorityClass struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	// Value is the priority; higher is more important. User classes may go up to
	// HighestUserDefinablePriority.
	Value int32 `json:"value"`
	// GlobalDefault makes this class the one pods without a priorityClassName get;
	// at most one class may set it.
	GlobalDefault bool   `json:"globalDefault,omitempty"`
	Description   string `json:"description,omitempty"`
	// PreemptionPolicy is PreemptLowerPriority (default) or Never.
	PreemptionPolicy *string `json:"preemptionPolicy,omitempty"`
}

// The values of PriorityClass.PreemptionPolicy and PodSpec.PreemptionPolicy.
const (
	PreemptLowerPriority = "PreemptLowerPriority"
	PreemptNever         = "Never"
)

// Priorities with Kubernetes' meanings.
const (
	// HighestUserDefinablePriority is the largest value a user's class may have;
	// higher ones are reserved for the system classes.
	HighestUserDefinablePriority = 1000000000
	// SystemCriticalPriority is the lowest priority of the system classes.
	SystemCriticalPriority = 2 * HighestUserDefinablePriority
	// SystemPriorityClassPrefix begins the names reserved for system classes.
	SystemPriorityClassPrefix = "system-"
	// SystemClusterCritical and SystemNodeCritical are the built-in classes: they
	// resolve without a stored object.
	SystemClusterCritical = SystemPriorityClassPrefix + "cluster-critical"
	SystemNodeCritical    = SystemPriorityClassPrefix + "node-critical"
)

// SystemPriorityClasses returns the built-in classes, which every cluster has.
func SystemPriorityClasses() []*PriorityClass {
	mk := func(name string, value int32, desc string) *PriorityClass {
		policy := PreemptLowerPriority
		return &PriorityClass{
			TypeMeta:   TypeMeta{APIVersion: "scheduling.k8s.io/v1", Kind: "PriorityClass"},
			ObjectMeta: ObjectMeta{Name: name},
			Value:      value, Description: desc, PreemptionPolicy: &policy,
		}
	}
	return []*PriorityClass{
		mk(SystemNodeCritical, SystemCriticalPriority+1000,
			"Used for system critical pods that must not be moved from their current node."),
		mk(SystemClusterCritical, SystemCriticalPriority,
			"Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
	}
}

// SystemPriorityClass returns the built-in class of that name.
func SystemPriorityClass(name string) (*PriorityClass, bool) {
	for _, pc := range SystemPriorityClasses() {
		if pc.Name == name {
			return pc, true
		}
	}
	return nil, false
}

func init() {
	register(&Resource{
		Kind: "PriorityClass", Plural: "priorityclasses", Singular: "priorityclass", ShortNames: []string{"pc"},
		Group: "scheduling.k8s.io", Version: "v1",
		New: func() Object {
			return &PriorityClass{TypeMeta: TypeMeta{APIVersion: "scheduling.k8s.io/v1", Kind: "PriorityClass"}}
		},
	})
}
