package api

// NetworkPolicy says which traffic may reach, and leave, the pods it selects
// (networking.k8s.io/v1). Pods no policy selects are open; a pod selected for a
// direction gets only what some policy allows it (the union of the rules of
// every policy selecting it). Every Berth client enforces the policies for its
// own pods with iptables (client/netpol).
type NetworkPolicy struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       NetworkPolicySpec `json:"spec,omitempty"`
}

// NetworkPolicySpec selects pods and lists what they may receive and send.
type NetworkPolicySpec struct {
	// PodSelector picks the policy's pods in its namespace; empty means all.
	PodSelector LabelSelector `json:"podSelector"`
	// Ingress lists the allowed incoming traffic; empty (with Ingress in
	// PolicyTypes) allows none.
	Ingress []NetworkPolicyIngressRule `json:"ingress,omitempty"`
	// Egress lists the allowed outgoing traffic; empty (with Egress in
	// PolicyTypes) allows none.
	Egress []NetworkPolicyEgressRule `json:"egress,omitempty"`
	// PolicyTypes are the directions the policy isolates its pods in. Defaulted:
	// Ingress always, Egress too when Egress rules are given.
	PolicyTypes []string `json:"policyTypes,omitempty"`
}

// The values of NetworkPolicySpec.PolicyTypes.
const (
	PolicyTypeIngress = "Ingress"
	PolicyTypeEgress  = "Egress"
)

// NetworkPolicyIngressRule allows traffic from any of From (everyone when
// empty) to any of Ports (every port when empty).
type NetworkPolicyIngressRule struct {
	Ports []NetworkPolicyPort `json:"ports,omitempty"`
	From  []NetworkPolicyPeer `json:"from,omitempty"`
}

// NetworkPolicyEgressRule allows traffic to any of To (everywhere when empty)
// on any of Ports (every port when empty).
type NetworkPolicyEgressRule struct {
	Ports []NetworkPolicyPort `json:"ports,omitempty"`
	To    []NetworkPolicyPeer `json:"to,omitempty"`
}

// NetworkPolicyPort is a protocol (TCP when nil) and a port: a number, a range
// Port..EndPort, or a named container port of the receiving pod; nil Port
// means every port of the protocol.
type NetworkPolicyPort struct {
	Protocol *string      `json:"protocol,omitempty"`
	Port     *IntOrString `json:"port,omitempty"`
	EndPort  *int32       `json:"endPort,omitempty"`
}

// NetworkPolicyPeer is one allowed party: pods (PodSelector in the policy's
// namespace, or in the namespaces NamespaceSelector picks; both set means
// both must match), or an IP range. IPBlock excludes the other two.
type NetworkPolicyPeer struct {
	PodSelector       *LabelSelector `json:"podSelector,omitempty"`
	NamespaceSelector *LabelSelector `json:"namespaceSelector,omitempty"`
	IPBlock           *IPBlock       `json:"ipBlock,omitempty"`
}

// IPBlock is a CIDR less the CIDRs of Except, each inside it.
type IPBlock struct {
	CIDR   string   `json:"cidr"`
	Except []string `json:"except,omitempty"`
}

// NamespaceNameLabel is the label every namespace carries implicitly, holding
// its name (Kubernetes sets it), so a namespaceSelector can pick one by name.
const NamespaceNameLabel = "kubernetes.io/metadata.name"

func init() {
	register(&Resource{
		Kind: "NetworkPolicy", Plural: "networkpolicies", Singular: "networkpolicy", ShortNames: []string{"netpol"},
		Group: "networking.k8s.io", Version: "v1", Namespaced: true,
		New: func() Object {
			return &NetworkPolicy{TypeMeta: TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"}}
		},
	})
}

// defaultNetworkPolicy fills what Kubernetes defaults: the protocol of every
// port (TCP) and the policy types.
func defaultNetworkPolicy(np *NetworkPolicy) {
	s := &np.Spec
	for i := range s.Ingress {
		defaultNetworkPolicyPorts(s.Ingress[i].Ports)
	}
	for i := range s.Egress {
		defaultNetworkPolicyPorts(s.Egress[i].Ports)
	}
	if len(s.PolicyTypes) == 0 {
		s.PolicyTypes = []string{PolicyTypeIngress}
		if len(s.Egress) > 0 {
			s.PolicyTypes = append(s.PolicyTypes, PolicyTypeEgress)
		}
	}
}

func defaultNetworkPolicyPorts(ports []NetworkPolicyPort) {
	for i := range ports {
		if ports[i].Protocol == nil {
			tcp := ProtocolTCP
			ports[i].Protocol = &tcp
		}
	}
}
