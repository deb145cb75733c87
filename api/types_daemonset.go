package api

// DaemonSet runs one pod on every node its template fits (or every node its node
// selector and affinity pick).
type DaemonSet struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       DaemonSetSpec   `json:"spec,omitempty"`
	Status     DaemonSetStatus `json:"status,omitempty"`
}

// DaemonSetSpec is a DaemonSet's desired state.
type DaemonSetSpec struct {
	Selector        *LabelSelector          `json:"selector"`
	Template        PodTemplateSpec         `json:"template"`
	UpdateStrategy  DaemonSetUpdateStrategy `json:"updateStrategy,omitempty"`
	MinReadySeconds int32                   `json:"minReadySeconds,omitempty"`
	// RevisionHistoryLimit is how many old revisions to keep; nil means 10.
	RevisionHistoryLimit *int32 `json:"revisionHistoryLimit,omitempty"`
}

// DaemonSetUpdateStrategy is how pods are replaced when the template changes.
type DaemonSetUpdateStrategy struct {
	Type          string                  `json:"type,omitempty"` // RollingUpdate or OnDelete
	RollingUpdate *RollingUpdateDaemonSet `json:"rollingUpdate,omitempty"`
}

// The values of DaemonSetUpdateStrategy.Type.
const (
	RollingUpdateDaemonSetStrategyType = "RollingUpdate"
	OnDeleteDaemonSetStrategyType      = "OnDelete"
)

// RollingUpdateDaemonSet bounds a DaemonSet's rolling update, in nodes or percent of
// the nodes that should run the pod.
type RollingUpdateDaemonSet struct {
	// MaxUnavailable is how many nodes may lack a ready pod during the update; nil
	// means 1.
	MaxUnavailable *IntOrString `json:"maxUnavailable,omitempty"`
	// MaxSurge is how many nodes may run an old and a new pod at once; nil means 0
	// (the old pod goes first).
	MaxSurge *IntOrString `json:"maxSurge,omitempty"`
}

// DaemonSetStatus is a DaemonSet's observed state, counted in nodes.
type DaemonSetStatus struct {
	// CurrentNumberScheduled counts nodes that run the pod and should.
	CurrentNumberScheduled int32 `json:"currentNumberScheduled"`
	// NumberMisscheduled counts nodes that run the pod but should not.
	NumberMisscheduled int32 `json:"numberMisscheduled"`
	// DesiredNumberScheduled counts nodes that should run the pod.
	DesiredNumberScheduled int32 `json:"desiredNumberScheduled"`
	NumberReady            int32 `json:"numberReady"`
	ObservedGeneration     int64 `json:"observedGeneration,omitempty"`
	UpdatedNumberScheduled int32 `json:"updatedNumberScheduled,omitempty"`
	NumberAvailable        int32 `json:"numberAvailable,omitempty"`
	NumberUnavailable      int32 `json:"numberUnavailable,omitempty"`
	// CollisionCount disambiguates revision names when a template hash collides.
	CollisionCount *int32               `json:"collisionCount,omitempty"`
	Conditions     []DaemonSetCondition `json:"conditions,omitempty"`
}

// DaemonSetCondition is one aspect of a DaemonSet's state.
type DaemonSetCondition struct {
	Type               string `json:"type"`
	Status             string `json:"status"`
	LastTransitionTime *Time  `json:"lastTransitionTime,omitempty"`
	Reason             string `json:"reason,omitempty"`
	Message            string `json:"message,omitempty"`
}

func init() {
	register(&Resource{
		Kind: "DaemonSet", Plural: "daemonsets", Singular: "daemonset", ShortNames: []string{"ds"},
		Group: "apps", Version: "v1", Namespaced: true, HasStatus: true,
		New: func() Object { return &DaemonSet{TypeMeta: TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"}} },
	})
}
