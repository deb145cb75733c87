package api

// Ingress routes HTTP(S) requests by host and path to Services (networking.k8s.io/v1).
// Every Berth client started with an ingress port serves all Ingresses, whatever
// their class.
type Ingress struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       IngressSpec   `json:"spec,omitempty"`
	Status     IngressStatus `json:"status,omitempty"`
}

// IngressSpec is an Ingress's desired routes.
type IngressSpec struct {
	// IngressClassName names the IngressClass; nil means the cluster's default class.
	// Berth has one ingress implementation and serves every class.
	IngressClassName *string `json:"ingressClassName,omitempty"`
	// DefaultBackend takes the requests no rule matches; nil leaves them to other
	// Ingresses' default backends, then to a 404.
	DefaultBackend *IngressBackend `json:"defaultBackend,omitempty"`
	// TLS names the Secrets (type kubernetes.io/tls) whose certificates terminate TLS
	// for the listed hosts.
	TLS   []IngressTLS  `json:"tls,omitempty"`
	Rules []IngressRule `json:"rules,omitempty"`
}

// IngressBackend is where matching requests go: a Service port, or (accepted, not
// served by Berth) another resource.
type IngressBackend struct {
	Service  *IngressServiceBackend     `json:"service,omitempty"`
	Resource *TypedLocalObjectReference `json:"resource,omitempty"`
}

// IngressServiceBackend is a Service in the Ingress's namespace and one of its ports.
type IngressServiceBackend struct {
	Name string             `json:"name"`
	Port ServiceBackendPort `json:"port,omitempty"`
}

// ServiceBackendPort names a Service port by name or by number; exactly one is set.
type ServiceBackendPort struct {
	Name   string `json:"name,omitempty"`
	Number int32  `json:"number,omitempty"`
}

// IngressTLS is one certificate: the hosts it covers and the Secret holding it. An
// empty Hosts list means the hosts of the rules.
type IngressTLS struct {
	Hosts      []string `json:"hosts,omitempty"`
	SecretName string   `json:"secretName,omitempty"`
}

// IngressRule maps the requests for one host (every host when empty) to backends.
// Host may be a wildcard of one label: "*.example.com".
type IngressRule struct {
	Host             string `json:"host,omitempty"`
	IngressRuleValue `json:",inline"`
}

// IngressRuleValue holds the rule's protocol-specific part; HTTP is the only one.
type IngressRuleValue struct {
	HTTP *HTTPIngressRuleValue `json:"http,omitempty"`
}

// HTTPIngressRuleValue lists a rule's paths.
type HTTPIngressRuleValue struct {
	Paths []HTTPIngressPath `json:"paths"`
}

// HTTPIngressPath sends the requests whose path matches Path (as PathType says) to
// Backend.
type HTTPIngressPath struct {
	Path     string         `json:"path,omitempty"`
	PathType *string        `json:"pathType"`
	Backend  IngressBackend `json:"backend"`
}

// The values of HTTPIngressPath.PathType.
const (
	// PathTypeExact matches the URL path exactly, case-sensitively.
	PathTypeExact = "Exact"
	// PathTypePrefix matches by path elements split on '/': "/foo" matches "/foo"
	// and "/foo/bar", not "/foobar".
	PathTypePrefix = "Prefix"
	// PathTypeImplementationSpecific is left to the implementation; Berth treats it
	// as Prefix.
	PathTypeImplementationSpecific = "ImplementationSpecific"
)

// IngressStatus is an Ingress's observed state: where it is reachable.
type IngressStatus struct {
	LoadBalancer IngressLoadBalancerStatus `json:"loadBalancer,omitempty"`
}

// IngressLoadBalancerStatus lists the Ingress's ingress points.
type IngressLoadBalancerStatus struct {
	Ingress []IngressLoadBalancerIngress `json:"ingress,omitempty"`
}

// IngressLoadBalancerIngress is one ingress point: an IP or a host name.
type IngressLoadBalancerIngress struct {
	IP       string              `json:"ip,omitempty"`
	Hostname string              `json:"hostname,omitempty"`
	Ports    []IngressPortStatus `json:"ports,omitempty"`
}

// IngressPortStatus is the state of one port of an ingress point.
type IngressPortStatus struct {
	Port     int32   `json:"port"`
	Protocol string  `json:"protocol"`
	Error    *string `json:"error,omitempty"`
}

// IngressClass names an ingress implementation (networking.k8s.io/v1). Berth keeps
// the objects so manifests apply; its one implementation serves every class.
type IngressClass struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Spec       IngressClassSpec `json:"spec,omitempty"`
}

// IngressClassSpec names the controller of a class and its parameters.
type IngressClassSpec struct {
	Controller string                           `json:"controller,omitempty"`
	Parameters *IngressClassParametersReference `json:"parameters,omitempty"`
}

// IngressClassParametersReference points at an object configuring the class.
type IngressClassParametersReference struct {
	APIGroup  *string `json:"apiGroup,omitempty"`
	Kind      string  `json:"kind"`
	Name      string  `json:"name"`
	Scope     *string `json:"scope,omitempty"`
	Namespace *string `json:"namespace,omitempty"`
}

// IngressClassDefaultAnnotation marks the class that Ingresses without a class get.
const IngressClassDefaultAnnotation = "ingressclass.kubernetes.io/is-default-class"

func init() {
	register(&Resource{
		Kind: "Ingress", Plural: "ingresses", Singular: "ingress", ShortNames: []string{"ing"},
		Group: "networking.k8s.io", Version: "v1", Namespaced: true, HasStatus: true,
		New: func() Object {
			return &Ingress{TypeMeta: TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"}}
		},
	})
	register(&Resource{
		Kind: "IngressClass", Plural: "ingressclasses", Singular: "ingressclass",
		Group: "networking.k8s.io", Version: "v1",
		New: func() Object {
			return &IngressClass{TypeMeta: TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "IngressClass"}}
		},
	})
}
