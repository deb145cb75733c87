package api

// ReplicaSet keeps a number of identical pods running.
type ReplicaSet struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       ReplicaSetSpec   `json:"spec,omitempty"`
	Status     ReplicaSetStatus `json:"status,omitempty"`
}

// ReplicaSetSpec is a ReplicaSet's desired state.
type ReplicaSetSpec struct {
	// Replicas is the desired pod count; nil means 1.
	Replicas        *int32          `json:"replicas,omitempty"`
	MinReadySeconds int32           `json:"minReadySeconds,omitempty"`
	Selector        *LabelSelector  `json:"selector"`
	Template        PodTemplateSpec `json:"template,omitempty"`
}

// ReplicaSetStatus is a ReplicaSet's observed state.
type ReplicaSetStatus struct {
	Replicas             int32                 `json:"replicas"`
	FullyLabeledReplicas int32                 `json:"fullyLabeledReplicas,omitempty"`
	ReadyReplicas        int32                 `json:"readyReplicas,omitempty"`
	AvailableReplicas    int32                 `json:"availableReplicas,omitempty"`
	ObservedGeneration   int64                 `json:"observedGeneration,omitempty"`
	Conditions           []ReplicaSetCondition `json:"conditions,omitempty"`
}

// ReplicaSetCondition is one aspect of a ReplicaSet's state (ReplicaFailure).
type ReplicaSetCondition struct {
	Type               string `json:"type"`
	Status             string `json:"status"`
	LastTransitionTime *Time  `json:"lastTransitionTime,omitempty"`
	Reason             string `json:"reason,omitempty"`
	Message            string `json:"message,omitempty"`
}

// Deployment rolls a pod template out through ReplicaSets.
type Deployment struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       DeploymentSpec   `json:"spec,omitempty"`
	Status     DeploymentStatus `json:"status,omitempty"`
}

// DeploymentSpec is a Deployment's desired state.
type DeploymentSpec struct {
	// Replicas is the desired pod count; nil means 1.
	Replicas        *int32             `json:"replicas,omitempty"`
	Selector        *LabelSelector     `json:"selector"`
	Template        PodTemplateSpec    `json:"template"`
	Strategy        DeploymentStrategy `json:"strategy,omitempty"`
	MinReadySeconds int32              `json:"minReadySeconds,omitempty"`
	// RevisionHistoryLimit is how many old ReplicaSets to keep; nil means 10.
	RevisionHistoryLimit *int32 `json:"revisionHistoryLimit,omitempty"`
	Paused               bool   `json:"paused,omitempty"`
	// ProgressDeadlineSeconds is how long a rollout may stall before it is marked
	// failed; nil means 600.
	ProgressDeadlineSeconds *int32 `json:"progressDeadlineSeconds,omitempty"`
}

// DeploymentStrategy is how old pods are replaced by new ones.
type DeploymentStrategy struct {
	Type          string                   `json:"type,omitempty"` // RollingUpdate or Recreate
	RollingUpdate *RollingUpdateDeployment `json:"rollingUpdate,omitempty"`
}

// The values of DeploymentStrategy.Type.
const (
	RollingUpdateDeploymentStrategyType = "RollingUpdate"
	RecreateDeploymentStrategyType      = "Recreate"
)

// RollingUpdateDeployment bounds a rolling update, in pods or percent of replicas.
type RollingUpdateDeployment struct {
	MaxUnavailable *IntOrString `json:"maxUnavailable,omitempty"`
	MaxSurge       *IntOrString `json:"maxSurge,omitempty"`
}

// DeploymentStatus is a Deployment's observed state.
type DeploymentStatus struct {
	ObservedGeneration  int64                 `json:"observedGeneration,omitempty"`
	Replicas            int32                 `json:"replicas,omitempty"`
	UpdatedReplicas     int32                 `json:"updatedReplicas,omitempty"`
	ReadyReplicas       int32                 `json:"readyReplicas,omitempty"`
	AvailableReplicas   int32                 `json:"availableReplicas,omitempty"`
	UnavailableReplicas int32                 `json:"unavailableReplicas,omitempty"`
	Conditions          []DeploymentCondition `json:"conditions,omitempty"`
	// CollisionCount disambiguates ReplicaSet names when a template hash collides.
	CollisionCount *int32 `json:"collisionCount,omitempty"`
}

// DeploymentCondition is one aspect of a Deployment's state (Available, Progressing).
type DeploymentCondition struct {
	Type               string `json:"type"`
	Status             string `json:"status"`
	LastUpdateTime     *Time  `json:"lastUpdateTime,omitempty"`
	LastTransitionTime *Time  `json:"lastTransitionTime,omitempty"`
	Reason             string `json:"reason,omitempty"`
	Message            string `json:"message,omitempty"`
}

// The Deployment condition types.
const (
	DeploymentAvailable      = "Available"
	DeploymentProgressing    = "Progressing"
	DeploymentReplicaFailure = "ReplicaFailure"
)

func init() {
	register(&Resource{
		Kind: "ReplicaSet", Plural: "replicasets", Singular: "replicaset", ShortNames: []string{"rs"},
		Group: "apps", Version: "v1", Namespaced: true, HasStatus: true,
		New: func() Object { return &ReplicaSet{TypeMeta: TypeMeta{APIVersion: "apps/v1", Kind: "ReplicaSet"}} },
	})
	register(&Resource{
		Kind: "Deployment", Plural: "deployments", Singular: "deployment", ShortNames: []string{"deploy"},
		Group: "apps", Version: "v1", Namespaced: true, HasStatus: true,
		New: func() Object { return &Deployment{TypeMeta: TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}} },
	})
}
