package api

import "encoding/json"

// Volume is a named volume of a pod. Exactly one source is set; a volume with no
// source becomes an emptyDir when defaulted, as in Kubernetes.
type Volume struct {
	Name         string `json:"name"`
	VolumeSource `json:",inline"`
}

// VolumeSource is where a volume's content comes from. Berth runs emptyDir, hostPath,
// secret and configMap; the others decode so manifests apply, and Warnings names them.
type VolumeSource struct {
	EmptyDir              *EmptyDirVolumeSource              `json:"emptyDir,omitempty"`
	HostPath              *HostPathVolumeSource              `json:"hostPath,omitempty"`
	Secret                *SecretVolumeSource                `json:"secret,omitempty"`
	ConfigMap             *ConfigMapVolumeSource             `json:"configMap,omitempty"`
	PersistentVolumeClaim *PersistentVolumeClaimVolumeSource `json:"persistentVolumeClaim,omitempty"`
	Projected             *ProjectedVolumeSource             `json:"projected,omitempty"`
	DownwardAPI           *DownwardAPIVolumeSource           `json:"downwardAPI,omitempty"`

	// Kubernetes' other volume types, kept raw: Berth has no driver for any of them.
	NFS                  json.RawMessage `json:"nfs,omitempty"`
	CSI                  json.RawMessage `json:"csi,omitempty"`
	Ephemeral            json.RawMessage `json:"ephemeral,omitempty"`
	ISCSI                json.RawMessage `json:"iscsi,omitempty"`
	Glusterfs            json.RawMessage `json:"glusterfs,omitempty"`
	RBD                  json.RawMessage `json:"rbd,omitempty"`
	CephFS               json.RawMessage `json:"cephfs,omitempty"`
	Cinder               json.RawMessage `json:"cinder,omitempty"`
	FC                   json.RawMessage `json:"fc,omitempty"`
	Flocker              json.RawMessage `json:"flocker,omitempty"`
	FlexVolume           json.RawMessage `json:"flexVolume,omitempty"`
	AzureFile            json.RawMessage `json:"azureFile,omitempty"`
	AzureDisk            json.RawMessage `json:"azureDisk,omitempty"`
	VsphereVolume        json.RawMessage `json:"vsphereVolume,omitempty"`
	Quobyte              json.RawMessage `json:"quobyte,omitempty"`
	PhotonPersistentDisk json.RawMessage `json:"photonPersistentDisk,omitempty"`
	PortworxVolume       json.RawMessage `json:"portworxVolume,omitempty"`
	ScaleIO              json.RawMessage `json:"scaleIO,omitempty"`
	StorageOS            json.RawMessage `json:"storageos,omitempty"`
	GCEPersistentDisk    json.RawMessage `json:"gcePersistentDisk,omitempty"`
	AWSElasticBlockStore json.RawMessage `json:"awsElasticBlockStore,omitempty"`
	GitRepo              json.RawMessage `json:"gitRepo,omitempty"`
}

// EmptyDirVolumeSource is a scratch directory that lives as long as the pod.
type EmptyDirVolumeSource struct {
	Medium    string    `json:"medium,omitempty"` // "" (disk) or "Memory"
	SizeLimit *Quantity `json:"sizeLimit,omitempty"`
}

// HostPathVolumeSource mounts a path of the node.
type HostPathVolumeSource struct {
	Path string  `json:"path"`
	Type *string `json:"type,omitempty"`
}

// KeyToPath projects one key to a file.
type KeyToPath struct {
	Key  string `json:"key"`
	Path string `json:"path"`
	Mode *int32 `json:"mode,omitempty"`
}

// SecretVolumeSource mounts a Secret's keys as files.
type SecretVolumeSource struct {
	SecretName  string      `json:"secretName,omitempty"`
	Items       []KeyToPath `json:"items,omitempty"`
	DefaultMode *int32      `json:"defaultMode,omitempty"`
	Optional    *bool       `json:"optional,omitempty"`
}

// ConfigMapVolumeSource mounts a ConfigMap's keys as files.
type ConfigMapVolumeSource struct {
	LocalObjectReference `json:",inline"`
	Items                []KeyToPath `json:"items,omitempty"`
	DefaultMode          *int32      `json:"defaultMode,omitempty"`
	Optional             *bool       `json:"optional,omitempty"`
}

// PersistentVolumeClaimVolumeSource mounts a claim (not supported by Berth yet).
type PersistentVolumeClaimVolumeSource struct {
	ClaimName string `json:"claimName"`
	ReadOnly  bool   `json:"readOnly,omitempty"`
}

// ProjectedVolumeSource merges several sources into one directory.
type ProjectedVolumeSource struct {
	Sources     []VolumeProjection `json:"sources"`
	DefaultMode *int32             `json:"defaultMode,omitempty"`
}

// VolumeProjection is one source of a projected volume.
type VolumeProjection struct {
	Secret              *SecretProjection              `json:"secret,omitempty"`
	DownwardAPI         *DownwardAPIProjection         `json:"downwardAPI,omitempty"`
	ConfigMap           *ConfigMapProjection           `json:"configMap,omitempty"`
	ServiceAccountToken *ServiceAccountTokenProjection `json:"serviceAccountToken,omitempty"`
	ClusterTrustBundle  json.RawMessage                `json:"clusterTrustBundle,omitempty"`
}

// SecretProjection is a Secret inside a projected volume.
type SecretProjection struct {
	LocalObjectReference `json:",inline"`
	Items                []KeyToPath `json:"items,omitempty"`
	Optional             *bool       `json:"optional,omitempty"`
}

// ConfigMapProjection is a ConfigMap inside a projected volume.
type ConfigMapProjection struct {
	LocalObjectReference `json:",inline"`
	Items                []KeyToPath `json:"items,omitempty"`
	Optional             *bool       `json:"optional,omitempty"`
}

// DownwardAPIProjection is pod metadata inside a projected volume.
type DownwardAPIProjection struct {
	Items []DownwardAPIVolumeFile `json:"items,omitempty"`
}

// ServiceAccountTokenProjection is a token inside a projected volume.
type ServiceAccountTokenProjection struct {
	Audience          string `json:"audience,omitempty"`
	ExpirationSeconds *int64 `json:"expirationSeconds,omitempty"`
	Path              string `json:"path"`
}

// DownwardAPIVolumeSource writes pod fields into files.
type DownwardAPIVolumeSource struct {
	Items       []DownwardAPIVolumeFile `json:"items,omitempty"`
	DefaultMode *int32                  `json:"defaultMode,omitempty"`
}

// DownwardAPIVolumeFile is one file of a downward API volume.
type DownwardAPIVolumeFile struct {
	Path             string                 `json:"path"`
	FieldRef         *ObjectFieldSelector   `json:"fieldRef,omitempty"`
	ResourceFieldRef *ResourceFieldSelector `json:"resourceFieldRef,omitempty"`
	Mode             *int32                 `json:"mode,omitempty"`
}
