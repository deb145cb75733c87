package api

import "encoding/json"

// Node is a machine that runs pods: one per Berth client.
type Node struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       NodeSpec   `json:"spec,omitempty"`
	Status     NodeStatus `json:"status,omitempty"`
}

// NodeSpec is a node's desired state.
type NodeSpec struct {
	PodCIDR            string          `json:"podCIDR,omitempty"`
	PodCIDRs           []string        `json:"podCIDRs,omitempty"`
	ProviderID         string          `json:"providerID,omitempty"`
	Unschedulable      bool            `json:"unschedulable,omitempty"`
	Taints             []Taint         `json:"taints,omitempty"`
	ConfigSource       json.RawMessage `json:"configSource,omitempty"`
	DoNotUseExternalID string          `json:"externalID,omitempty"`
}

// Taint repels pods that do not tolerate it.
type Taint struct {
	Key       string `json:"key"`
	Value     string `json:"value,omitempty"`
	Effect    string `json:"effect"`
	TimeAdded *Time  `json:"timeAdded,omitempty"`
}

// The values of Taint.Effect and Toleration.Effect.
const (
	TaintNoSchedule       = "NoSchedule"
	TaintPreferNoSchedule = "PreferNoSchedule"
	TaintNoExecute        = "NoExecute"
)

// NodeStatus is a node's observed state, reported by its client.
type NodeStatus struct {
	Capacity        ResourceList        `json:"capacity,omitempty"`
	Allocatable     ResourceList        `json:"allocatable,omitempty"`
	Phase           string              `json:"phase,omitempty"`
	Conditions      []NodeCondition     `json:"conditions,omitempty"`
	Addresses       []NodeAddress       `json:"addresses,omitempty"`
	DaemonEndpoints NodeDaemonEndpoints `json:"daemonEndpoints,omitempty"`
	NodeInfo        NodeSystemInfo      `json:"nodeInfo,omitempty"`
	Images          []ContainerImage    `json:"images,omitempty"`
	VolumesInUse    []string            `json:"volumesInUse,omitempty"`
	VolumesAttached []AttachedVolume    `json:"volumesAttached,omitempty"`
	Config          json.RawMessage     `json:"config,omitempty"`
	RuntimeHandlers json.RawMessage     `json:"runtimeHandlers,omitempty"`
}

// NodeCondition is one aspect of a node's health (Ready, MemoryPressure, ...).
type NodeCondition struct {
	Type               string `json:"type"`
	Status             string `json:"status"`
	LastHeartbeatTime  *Time  `json:"lastHeartbeatTime,omitempty"`
	LastTransitionTime *Time  `json:"lastTransitionTime,omitempty"`
	Reason             string `json:"reason,omitempty"`
	Message            string `json:"message,omitempty"`
}

// The node condition types Berth sets.
const (
	NodeReady              = "Ready"
	NodeMemoryPressure     = "MemoryPressure"
	NodeDiskPressure       = "DiskPressure"
	NodePIDPressure        = "PIDPressure"
	NodeNetworkUnavailable = "NetworkUnavailable"
)

// NodeAddress is one address of a node.
type NodeAddress struct {
	Type    string `json:"type"` // Hostname, InternalIP, ExternalIP, InternalDNS, ExternalDNS
	Address string `json:"address"`
}

// NodeDaemonEndpoints lists the ports the node agent listens on.
type NodeDaemonEndpoints struct {
	KubeletEndpoint DaemonEndpoint `json:"kubeletEndpoint,omitempty"`
}

// DaemonEndpoint is one port.
type DaemonEndpoint struct {
	Port int32 `json:"Port"`
}

// NodeSystemInfo describes the machine and its runtime.
type NodeSystemInfo struct {
	MachineID               string `json:"machineID"`
	SystemUUID              string `json:"systemUUID"`
	BootID                  string `json:"bootID"`
	KernelVersion           string `json:"kernelVersion"`
	OSImage                 string `json:"osImage"`
	ContainerRuntimeVersion string `json:"containerRuntimeVersion"`
	KubeletVersion          string `json:"kubeletVersion"`
	KubeProxyVersion        string `json:"kubeProxyVersion"`
	OperatingSystem         string `json:"operatingSystem"`
	Architecture            string `json:"architecture"`
}

// ContainerImage is one image present on the node.
type ContainerImage struct {
	Names     []string `json:"names"`
	SizeBytes int64    `json:"sizeBytes,omitempty"`
}

// AttachedVolume is a volume attached to the node.
type AttachedVolume struct {
	Name       string `json:"name"`
	DevicePath string `json:"devicePath"`
}

func init() {
	register(&Resource{
		Kind: "Node", Plural: "nodes", Singular: "node", ShortNames: []string{"no"},
		Version: "v1", HasStatus: true,
		New: func() Object { return &Node{TypeMeta: TypeMeta{APIVersion: "v1", Kind: "Node"}} },
	})
}
