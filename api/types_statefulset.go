package api

import "encoding/json"

// StatefulSet runs pods with stable names (web-0, web-1, ...) and stable storage,
// created and replaced in order.
type StatefulSet struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       StatefulSetSpec   `json:"spec,omitempty"`
	Status     StatefulSetStatus `json:"status,omitempty"`
}

// StatefulSetSpec is a StatefulSet's desired state.
type StatefulSetSpec struct {
	// Replicas is the desired pod count; nil means 1.
	Replicas *int32          `json:"replicas,omitempty"`
	Selector *LabelSelector  `json:"selector"`
	Template PodTemplateSpec `json:"template"`
	// VolumeClaimTemplates are accepted so manifests apply, but Berth has no volume
	// provisioner: each ordinal gets a node-local volume of the claim's name instead
	// (Warnings says so).
	VolumeClaimTemplates []PersistentVolumeClaim `json:"volumeClaimTemplates,omitempty"`
	// ServiceName is the headless Service that gives the pods their DNS names.
	ServiceName string `json:"serviceName,omitempty"`
	// PodManagementPolicy is OrderedReady (default: one pod at a time, in ordinal
	// order) or Parallel.
	PodManagementPolicy string                    `json:"podManagementPolicy,omitempty"`
	UpdateStrategy      StatefulSetUpdateStrategy `json:"updateStrategy,omitempty"`
	// RevisionHistoryLimit is how many old revisions to keep; nil means 10.
	RevisionHistoryLimit *int32 `json:"revisionHistoryLimit,omitempty"`
	MinReadySeconds      int32  `json:"minReadySeconds,omitempty"`
	// PersistentVolumeClaimRetentionPolicy says what becomes of each ordinal's volume
	// when the set is deleted or scaled down; nil means Retain for both.
	PersistentVolumeClaimRetentionPolicy *StatefulSetPersistentVolumeClaimRetentionPolicy `json:"persistentVolumeClaimRetentionPolicy,omitempty"`
	// Ordinals moves the first ordinal; nil means pods are numbered from 0.
	Ordinals *StatefulSetOrdinals `json:"ordinals,omitempty"`
}

// The values of StatefulSetSpec.PodManagementPolicy.
const (
	OrderedReadyPodManagement = "OrderedReady"
	ParallelPodManagement     = "Parallel"
)

// StatefulSetUpdateStrategy is how pods are replaced when the template changes.
type StatefulSetUpdateStrategy struct {
	Type          string                            `json:"type,omitempty"` // RollingUpdate or OnDelete
	RollingUpdate *RollingUpdateStatefulSetStrategy `json:"rollingUpdate,omitempty"`
}

// The values of StatefulSetUpdateStrategy.Type and DaemonSetUpdateStrategy.Type.
const (
	RollingUpdateStatefulSetStrategyType = "RollingUpdate"
	OnDeleteStatefulSetStrategyType      = "OnDelete"
)

// RollingUpdateStatefulSetStrategy bounds a StatefulSet's rolling update.
type RollingUpdateStatefulSetStrategy struct {
	// Partition keeps ordinals below it on the old revision (a canary); nil means 0.
	Partition *int32 `json:"partition,omitempty"`
	// MaxUnavailable is how many pods may be down during the update, in pods or
	// percent of replicas; nil means 1.
	MaxUnavailable *IntOrString `json:"maxUnavailable,omitempty"`
}

// StatefulSetPersistentVolumeClaimRetentionPolicy is what happens to the ordinals'
// volumes: Retain keeps them, Delete removes them.
type StatefulSetPersistentVolumeClaimRetentionPolicy struct {
	WhenDeleted string `json:"whenDeleted,omitempty"`
	WhenScaled  string `json:"whenScaled,omitempty"`
}

// The values of the retention policy's fields.
const (
	RetainPersistentVolumeClaimRetentionPolicyType = "Retain"
	DeletePersistentVolumeClaimRetentionPolicyType = "Delete"
)

// StatefulSetOrdinals numbers a StatefulSet's pods from Start.
type StatefulSetOrdinals struct {
	Start int32 `json:"start"`
}

// StatefulSetStatus is a StatefulSet's observed state.
type StatefulSetStatus struct {
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	Replicas           int32 `json:"replicas"`
	ReadyReplicas      int32 `json:"readyReplicas,omitempty"`
	// CurrentReplicas counts the pods at CurrentRevision, UpdatedReplicas those at
	// UpdateRevision.
	CurrentReplicas   int32  `json:"currentReplicas,omitempty"`
	UpdatedReplicas   int32  `json:"updatedReplicas,omitempty"`
	AvailableReplicas int32  `json:"availableReplicas"`
	CurrentRevision   string `json:"currentRevision,omitempty"`
	UpdateRevision    string `json:"updateRevision,omitempty"`
	// CollisionCount disambiguates revision names when a template hash collides.
	CollisionCount *int32                 `json:"collisionCount,omitempty"`
	Conditions     []StatefulSetCondition `json:"conditions,omitempty"`
}

// StatefulSetCondition is one aspect of a StatefulSet's state.
type StatefulSetCondition struct {
	Type               string `json:"type"`
	Status             string `json:"status"`
	LastTransitionTime *Time  `json:"lastTransitionTime,omitempty"`
	Reason             string `json:"reason,omitempty"`
	Message            string `json:"message,omitempty"`
}

// The labels the StatefulSet controller puts on its pods.
const (
	// StatefulSetPodNameLabel is the pod's own name, so a Service can select one pod.
	StatefulSetPodNameLabel = "statefulset.kubernetes.io/pod-name"
	// PodIndexLabel is the pod's ordinal (also set on Indexed Job pods).
	PodIndexLabel = "apps.kubernetes.io/pod-index"
	// ControllerRevisionHashLabel names the revision of the template a
	// StatefulSet's or DaemonSet's pod was made from.
	ControllerRevisionHashLabel = "controller-revision-hash"
)

// PersistentVolumeClaim is a claim on storage. Berth serves no PVC kind; the type
// exists for StatefulSet volumeClaimTemplates, which decode and round-trip whole.
type PersistentVolumeClaim struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       PersistentVolumeClaimSpec `json:"spec,omitempty"`
	// Status appears in `kubectl get -o yaml` output ({phase: Pending}); kept as is.
	Status json.RawMessage `json:"status,omitempty"`
}

// PersistentVolumeClaimSpec is what a claim asks for. Berth reads none of it yet.
type PersistentVolumeClaimSpec struct {
	AccessModes               []string                   `json:"accessModes,omitempty"`
	Selector                  *LabelSelector             `json:"selector,omitempty"`
	Resources                 VolumeResourceRequirements `json:"resources,omitempty"`
	VolumeName                string                     `json:"volumeName,omitempty"`
	StorageClassName          *string                    `json:"storageClassName,omitempty"`
	VolumeMode                *string                    `json:"volumeMode,omitempty"`
	DataSource                *TypedLocalObjectReference `json:"dataSource,omitempty"`
	DataSourceRef             *TypedObjectReference      `json:"dataSourceRef,omitempty"`
	VolumeAttributesClassName *string                    `json:"volumeAttributesClassName,omitempty"`
}

// VolumeResourceRequirements is the storage a claim requests.
type VolumeResourceRequirements struct {
	Limits   ResourceList `json:"limits,omitempty"`
	Requests ResourceList `json:"requests,omitempty"`
}

// TypedLocalObjectReference names an object of a kind in the same namespace.
type TypedLocalObjectReference struct {
	APIGroup *string `json:"apiGroup,omitempty"`
	Kind     string  `json:"kind"`
	Name     string  `json:"name"`
}

// TypedObjectReference names an object of a kind, possibly in another namespace.
type TypedObjectReference struct {
	APIGroup  *string `json:"apiGroup,omitempty"`
	Kind      string  `json:"kind"`
	Name      string  `json:"name"`
	Namespace *string `json:"namespace,omitempty"`
}

// PersistentVolumeFilesystem is the default volumeMode of a claim.
const PersistentVolumeFilesystem = "Filesystem"

func init() {
	register(&Resource{
		Kind: "StatefulSet", Plural: "statefulsets", Singular: "statefulset", ShortNames: []string{"sts"},
		Group: "apps", Version: "v1", Namespaced: true, HasStatus: true,
		New: func() Object { return &StatefulSet{TypeMeta: TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"}} },
	})
}
