package api

// The rbac.authorization.k8s.io/v1 kinds, with Kubernetes' field names, so a
// cluster's existing Role and binding manifests apply unchanged. The server's
// authorizer reads them (server/auth_rbac.go); what they mean is Kubernetes' RBAC:
// rules only allow, a RoleBinding grants its role's rules in its own namespace, a
// ClusterRoleBinding everywhere.

// RBACGroup is the API group of the RBAC kinds and of a binding's roleRef.
const RBACGroup = "rbac.authorization.k8s.io"

// The subject kinds a binding may name.
const (
	SubjectKindUser           = "User"
	SubjectKindGroup          = "Group"
	SubjectKindServiceAccount = "ServiceAccount"
)

// The verbs Kubernetes' RBAC knows for resources; "*" matches every verb. Non-resource
// URLs use the request's method in lower case (get, post, put, delete).
const (
	VerbAll              = "*"
	VerbGet              = "get"
	VerbList             = "list"
	VerbWatch            = "watch"
	VerbCreate           = "create"
	VerbUpdate           = "update"
	VerbPatch            = "patch"
	VerbDelete           = "delete"
	VerbDeleteCollection = "deletecollection"
)

// PolicyRule allows a set of verbs on a set of resources (or non-resource URLs).
type PolicyRule struct {
	// Verbs are what the rule allows ("get", "list", ...; "*" for all).
	Verbs []string `json:"verbs"`
	// APIGroups are the groups of Resources ("" is core, "*" any).
	APIGroups []string `json:"apiGroups,omitempty"`
	// Resources are plurals, with a subresource after a slash ("pods/log"); "*" is
	// any resource, "*/status" any resource's status.
	Resources []string `json:"resources,omitempty"`
	// ResourceNames limits the rule to these object names; empty means any. A list
	// or a create has no name, so a rule with names never allows them.
	ResourceNames []string `json:"resourceNames,omitempty"`
	// NonResourceURLs are paths outside the object API ("/metrics", "/v1/*": a
	// trailing * matches any suffix). Only ClusterRoles bound by a ClusterRoleBinding
	// may grant them.
	NonResourceURLs []string `json:"nonResourceURLs,omitempty"`
}

// Role is a namespaced set of rules, granted by RoleBindings of its namespace.
type Role struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Rules      []PolicyRule `json:"rules"`
}

// ClusterRole is a cluster-wide set of rules: granted everywhere by a
// ClusterRoleBinding, or in one namespace by a RoleBinding there.
type ClusterRole struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Rules      []PolicyRule `json:"rules"`
	// AggregationRule is accepted so Kubernetes manifests apply; Berth does not
	// aggregate roles (the server warns about it).
	AggregationRule *AggregationRule `json:"aggregationRule,omitempty"`
}

// AggregationRule selects ClusterRoles whose rules Kubernetes would fold into this
// one. Berth keeps it and does not act on it.
type AggregationRule struct {
	ClusterRoleSelectors []LabelSelector `json:"clusterRoleSelectors,omitempty"`
}

// Subject is who a binding grants its role to.
type Subject struct {
	// Kind is User, Group or ServiceAccount.
	Kind string `json:"kind"`
	// APIGroup is "rbac.authorization.k8s.io" for User and Group (empty is read the
	// same), "" for ServiceAccount.
	APIGroup string `json:"apiGroup,omitempty"`
	Name     string `json:"name"`
	// Namespace is a ServiceAccount's namespace; empty in a RoleBinding means the
	// binding's own.
	Namespace string `json:"namespace,omitempty"`
}

// RoleRef names the role a binding grants. It cannot change: to grant another role,
// delete the binding and make a new one.
type RoleRef struct {
	APIGroup string `json:"apiGroup"`
	Kind     string `json:"kind"` // Role or ClusterRole
	Name     string `json:"name"`
}

// RoleBinding grants a Role or a ClusterRole to subjects, in its namespace only.
type RoleBinding struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Subjects   []Subject `json:"subjects,omitempty"`
	RoleRef    RoleRef   `json:"roleRef"`
}

// ClusterRoleBinding grants a ClusterRole to subjects in every namespace, at the
// cluster scope and on non-resource URLs.
type ClusterRoleBinding struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty"`
	Subjects   []Subject `json:"subjects,omitempty"`
	RoleRef    RoleRef   `json:"roleRef"`
}

// ServiceAccount is an identity for processes, as in Kubernetes. Berth's tokens name
// one as the user "system:serviceaccount:NAMESPACE:NAME"; Berth does not mount
// tokens into pods.
type ServiceAccount struct {
	TypeMeta                     `json:",inline"`
	ObjectMeta                   `json:"metadata,omitempty"`
	Secrets                      []ObjectReference      `json:"secrets,omitempty"`
	ImagePullSecrets             []LocalObjectReference `json:"imagePullSecrets,omitempty"`
	AutomountServiceAccountToken *bool                  `json:"automountServiceAccountToken,omitempty"`
}

// ServiceAccountUsername is the user name a ServiceAccount authenticates as.
func ServiceAccountUsername(namespace, name string) string {
	return "system:serviceaccount:" + namespace + ":" + name
}

func init() {
	v1 := func(kind string) TypeMeta { return TypeMeta{APIVersion: RBACGroup + "/v1", Kind: kind} }
	register(&Resource{
		Kind: "Role", Plural: "roles", Singular: "role",
		Group: RBACGroup, Version: "v1", Namespaced: true,
		New: func() Object { return &Role{TypeMeta: v1("Role")} },
	})
	register(&Resource{
		Kind: "ClusterRole", Plural: "clusterroles", Singular: "clusterrole",
		Group: RBACGroup, Version: "v1",
		New: func() Object { return &ClusterRole{TypeMeta: v1("ClusterRole")} },
	})
	register(&Resource{
		Kind: "RoleBinding", Plural: "rolebindings", Singular: "rolebinding",
		Group: RBACGroup, Version: "v1", Namespaced: true,
		New: func() Object { return &RoleBinding{TypeMeta: v1("RoleBinding")} },
	})
	register(&Resource{
		Kind: "ClusterRoleBinding", Plural: "clusterrolebindings", Singular: "clusterrolebinding",
		Group: RBACGroup, Version: "v1",
		New: func() Object { return &ClusterRoleBinding{TypeMeta: v1("ClusterRoleBinding")} },
	})
	register(&Resource{
		Kind: "ServiceAccount", Plural: "serviceaccounts", Singular: "serviceaccount", ShortNames: []string{"sa"},
		Version: "v1", Namespaced: true,
		New: func() Object { return &ServiceAccount{TypeMeta: TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}} },
	})
}
