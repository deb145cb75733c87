package server

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/berth-dev/berth/api"
)

// fakeRBAC is an rbacSource of plain maps, with the built-in cluster roles.
type fakeRBAC struct {
	clusterRoles map[string]*api.ClusterRole
	roles        map[string]*api.Role // "ns/name"
	crbs         []*api.ClusterRoleBinding
	rbs          []*api.RoleBinding
}

func newFakeRBAC() *fakeRBAC {
	f := &fakeRBAC{clusterRoles: map[string]*api.ClusterRole{}, roles: map[string]*api.Role{}}
	for _, r := range builtinClusterRoles() {
		f.clusterRoles[r.Name] = r
	}
	f.crbs = builtinClusterRoleBindings()
	return f
}

func (f *fakeRBAC) clusterRoleBindings() []*api.ClusterRoleBinding { return f.crbs }
func (f *fakeRBAC) roleBindings(ns string) []*api.RoleBinding {
	var out []*api.RoleBinding
	for _, b := range f.rbs {
		if b.Namespace == ns {
			out = append(out, b)
		}
	}
	return out
}
func (f *fakeRBAC) clusterRole(name string) (*api.ClusterRole, bool) {
	r, ok := f.clusterRoles[name]
	return r, ok
}
func (f *fakeRBAC) role(ns, name string) (*api.Role, bool) {
	r, ok := f.roles[ns+"/"+name]
	return r, ok
}

func roleBinding(ns, name, roleKind, role string, subjects ...api.Subject) *api.RoleBinding {
	return &api.RoleBinding{ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name}, Subjects: subjects,
		RoleRef: api.RoleRef{APIGroup: api.RBACGroup, Kind: roleKind, Name: role}}
}

func clusterRoleBinding(name, role string, subjects ...api.Subject) *api.ClusterRoleBinding {
	return &api.ClusterRoleBinding{ObjectMeta: api.ObjectMeta{Name: name}, Subjects: subjects,
		RoleRef: api.RoleRef{APIGroup: api.RBACGroup, Kind: "ClusterRole", Name: role}}
}

func authUser(name string, groups ...string) *userInfo {
	return &userInfo{Name: name, Groups: append(groups, groupAuthenticated)}
}

func resAttrs(u *userInfo, verb, group, resource, sub, ns, name string) attributes {
	return resourceAttributes(u, verb, group, resource, sub, ns, name)
}

func TestAuthorizeRBAC(t *testing.T) {
	f := newFakeRBAC()
	f.roles["a/cm-reader"] = &api.Role{ObjectMeta: api.ObjectMeta{Namespace: "a", Name: "cm-reader"}, Rules: []api.PolicyRule{
		{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{"x"}},
		{Verbs: []string{"update"}, APIGroups: []string{"*"}, Resources: []string{"*/status"}},
	}}
	f.clusterRoles["metrics"] = &api.ClusterRole{ObjectMeta: api.ObjectMeta{Name: "metrics"}, Rules: []api.PolicyRule{
		{Verbs: []string{"get"}, NonResourceURLs: []string{"/metrics", "/v1/*"}}}}
	f.rbs = []*api.RoleBinding{
		roleBinding("a", "alice-edit", "ClusterRole", "edit", api.Subject{Kind: "User", Name: "alice"}),
		roleBinding("a", "bob-cm", "Role", "cm-reader", api.Subject{Kind: "User", Name: "bob"}),
		roleBinding("a", "ci-view", "ClusterRole", "view", api.Subject{Kind: "ServiceAccount", Name: "ci"}),
		roleBinding("a", "missing", "Role", "nope", api.Subject{Kind: "User", Name: "carol"}),
		// A RoleBinding of a ClusterRole with non-resource URLs grants none of them.
		roleBinding("a", "bob-metrics", "ClusterRole", "metrics", api.Subject{Kind: "User", Name: "bob"}),
	}
	f.crbs = append(f.crbs,
		clusterRoleBinding("auditors-view", "view", api.Subject{Kind: "Group", Name: "auditors"}),
		clusterRoleBinding("dave-metrics", "metrics", api.Subject{Kind: "User", Name: "dave"}),
		&api.ClusterRoleBinding{ObjectMeta: api.ObjectMeta{Name: "bad-kind"}, Subjects: []api.Subject{{Kind: "User", Name: "erin"}},
			RoleRef: api.RoleRef{APIGroup: api.RBACGroup, Kind: "Role", Name: "cluster-admin"}},
	)
	alice, bob, carol, dave, erin := authUser("alice"), authUser("bob"), authUser("carol"), authUser("dave"), authUser("erin")
	auditor, admin, node := authUser("ann", "auditors"), authUser("root", groupMasters), authUser("system:node:n1", groupNodes)
	ci := authUser(api.ServiceAccountUsername("a", "ci"))
	ciElsewhere := authUser(api.ServiceAccountUsername("b", "ci"))
	tests := []struct {
		name  string
		attrs attributes
		want  bool
	}{
		{"masters may do anything", resAttrs(admin, "delete", "", "nodes", "", "", "n1"), true},
		{"masters reach any path", attributes{user: admin, verb: "put", path: "/v1/snapshot"}, true},
		{"edit in a: create pods in a", resAttrs(alice, "create", "", "pods", "", "a", ""), true},
		{"edit in a: not in b", resAttrs(alice, "create", "", "pods", "", "b", ""), false},
		{"edit in a: not across namespaces", resAttrs(alice, "list", "", "pods", "", "", ""), false},
		{"edit in a: secrets", resAttrs(alice, "get", "", "secrets", "", "a", "s"), true},
		{"edit in a: deployments scale", resAttrs(alice, "update", "apps", "deployments", "scale", "a", "d"), true},
		{"edit in a: exec", resAttrs(alice, "create", "", "pods", "exec", "a", "p"), true},
		{"edit in a: no roles", resAttrs(alice, "create", api.RBACGroup, "roles", "", "a", ""), false},
		{"edit in a: nodes are cluster-scoped", resAttrs(alice, "get", "", "nodes", "", "a", "n1"), false},
		{"edit in a: reads namespace a", resAttrs(alice, "get", "", "namespaces", "", "", "a"), true},
		{"edit in a: cannot delete namespace a", resAttrs(alice, "delete", "", "namespaces", "", "", "a"), false},
		{"edit in a: not namespace b", resAttrs(alice, "get", "", "namespaces", "", "", "b"), false},
		{"edit: no tokens", resAttrs(alice, "create", api.AuthGroup, "tokens", "", "", ""), false},
		{"edit: no paths", attributes{user: alice, verb: "get", path: "/metrics"}, false},
		{"resourceNames: the named one", resAttrs(bob, "get", "", "configmaps", "", "a", "x"), true},
		{"resourceNames: another", resAttrs(bob, "get", "", "configmaps", "", "a", "y"), false},
		{"resourceNames: never a list", resAttrs(bob, "list", "", "configmaps", "", "a", ""), false},
		{"*/status: any status", resAttrs(bob, "update", "apps", "deployments", "status", "a", "d"), true},
		{"*/status: not the object", resAttrs(bob, "update", "apps", "deployments", "", "a", "d"), false},
		{"RoleBinding never grants paths", attributes{user: bob, verb: "get", path: "/metrics"}, false},
		{"ClusterRoleBinding grants paths", attributes{user: dave, verb: "get", path: "/metrics"}, true},
		{"path prefix", attributes{user: dave, verb: "get", path: "/v1/status"}, true},
		{"path verb", attributes{user: dave, verb: "put", path: "/v1/snapshot"}, false},
		{"missing role grants nothing", resAttrs(carol, "get", "", "pods", "", "a", "p"), false},
		{"ClusterRoleBinding of a Role is ignored", resAttrs(erin, "get", "", "pods", "", "a", "p"), false},
		{"group view: everywhere", resAttrs(auditor, "list", "apps", "deployments", "", "", ""), true},
		{"group view: logs", resAttrs(auditor, "get", "", "pods", "log", "z", "p"), true},
		{"group view: not secrets", resAttrs(auditor, "get", "", "secrets", "", "z", "s"), false},
		{"group view: no writes", resAttrs(auditor, "create", "", "pods", "", "z", ""), false},
		{"view: pods does not cover pods/exec", resAttrs(auditor, "create", "", "pods", "exec", "z", "p"), false},
		{"service account, binding's namespace", resAttrs(ci, "list", "", "pods", "", "a", ""), true},
		{"service account of another namespace", resAttrs(ciElsewhere, "list", "", "pods", "", "a", ""), false},
		{"node: update pod status", resAttrs(node, "update", "", "pods", "status", "a", "p"), true},
		{"node: not a pod's spec", resAttrs(node, "update", "", "pods", "", "a", "p"), false},
		{"node: watch pods everywhere", resAttrs(node, "watch", "", "pods", "", "", ""), true},
		{"anyone authenticated: access reviews", resAttrs(alice, "create", api.AuthorizationGroup, "selfsubjectaccessreviews", "", "", ""), true},
		{"nobody", resAttrs(nil, "get", "", "pods", "", "a", "p"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := authorize(f, tt.attrs)
			if d.allowed != tt.want {
				t.Errorf("allowed = %v (%s), want %v", d.allowed, d.reason, tt.want)
			}
			if d.allowed && d.reason == "" {
				t.Error("an allowed decision has no reason")
			}
		})
	}
}

func TestRequestAttributes(t *testing.T) {
	u := authUser("alice")
	tests := []struct {
		name, method, target string
		want                 attributes
	}{
		{"get", "GET", "/api/v1/namespaces/a/pods/p", resAttrs(u, "get", "", "pods", "", "a", "p")},
		{"list", "GET", "/api/v1/namespaces/a/pods", resAttrs(u, "list", "", "pods", "", "a", "")},
		{"watch", "GET", "/api/v1/namespaces/a/pods?watch=true", resAttrs(u, "watch", "", "pods", "", "a", "")},
		{"all namespaces", "GET", "/apis/apps/v1/deployments", resAttrs(u, "list", "apps", "deployments", "", "", "")},
		{"create", "POST", "/apis/apps/v1/namespaces/a/deployments", resAttrs(u, "create", "apps", "deployments", "", "a", "")},
		{"status", "PUT", "/api/v1/namespaces/a/pods/p/status", resAttrs(u, "update", "", "pods", "status", "a", "p")},
		{"delete", "DELETE", "/api/v1/namespaces/a/pods/p", resAttrs(u, "delete", "", "pods", "", "a", "p")},
		{"delete collection", "DELETE", "/api/v1/namespaces/a/pods", resAttrs(u, "deletecollection", "", "pods", "", "a", "")},
		{"a namespace is in itself", "GET", "/api/v1/namespaces/a", resAttrs(u, "get", "", "namespaces", "", "a", "a")},
		{"cluster-scoped", "GET", "/api/v1/nodes/n1", resAttrs(u, "get", "", "nodes", "", "", "n1")},
		{"logs", "GET", "/api/v1/namespaces/a/pods/p/log?follow=true", resAttrs(u, "get", "", "pods", "log", "a", "p")},
		{"exec by POST", "POST", "/api/v1/namespaces/a/pods/p/exec?command=sh", resAttrs(u, "create", "", "pods", "exec", "a", "p")},
		{"exec by GET", "GET", "/api/v1/namespaces/a/pods/p/exec", resAttrs(u, "get", "", "pods", "exec", "a", "p")},
		{"access review", "POST", api.SelfSubjectAccessReviewPath, resAttrs(u, "create", api.AuthorizationGroup, "selfsubjectaccessreviews", "", "", "")},
		{"tokens", "POST", "/apis/auth.berth.io/v1/tokens", resAttrs(u, "create", api.AuthGroup, "tokens", "", "", "")},
		{"path", "GET", "/v1/status", attributes{user: u, verb: "get", path: "/v1/status"}},
		{"path put", "PUT", "/v1/snapshot", attributes{user: u, verb: "put", path: "/v1/snapshot"}},
		{"unknown resource is a path", "GET", "/api/v1/widgets", attributes{user: u, verb: "get", path: "/api/v1/widgets"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := requestAttributes(httptest.NewRequest(tt.method, tt.target, nil), u)
			if got != tt.want {
				t.Errorf("attributes = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestForbiddenMessage(t *testing.T) {
	u := authUser("alice")
	tests := []struct {
		name  string
		attrs attributes
		want  string
	}{
		{"list in a namespace", resAttrs(u, "list", "", "pods", "", "b", ""),
			`pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "b"`},
		{"named, grouped", resAttrs(u, "get", "apps", "deployments", "", "b", "web"),
			`deployments.apps "web" is forbidden: User "alice" cannot get resource "deployments" in API group "apps" in the namespace "b"`},
		{"subresource", resAttrs(u, "create", "", "pods", "exec", "b", "p"),
			`pods "p" is forbidden: User "alice" cannot create resource "pods/exec" in API group "" in the namespace "b"`},
		{"cluster scope", resAttrs(u, "list", "", "nodes", "", "", ""),
			`nodes is forbidden: User "alice" cannot list resource "nodes" in API group "" at the cluster scope`},
		{"path", attributes{user: u, verb: "get", path: "/metrics"}, `forbidden: User "alice" cannot get path "/metrics"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := forbiddenBy(tt.attrs)
			if e.Status.Code != 403 || e.Status.Message != tt.want {
				t.Errorf("got %d %q, want 403 %q", e.Status.Code, e.Status.Message, tt.want)
			}
		})
	}
}

func TestTokenSecretHash(t *testing.T) {
	secret := newTokenSecret()
	h := hashSecret(secret)
	tests := []struct {
		name, stored, secret string
		want                 bool
	}{
		{"right secret", h, secret, true},
		{"wrong secret", h, secret + "x", false},
		{"no hash stored", "", secret, false},
		{"plaintext stored is never accepted", secret, secret, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := secretMatches(tt.stored, tt.secret); got != tt.want {
				t.Errorf("secretMatches = %v, want %v", got, tt.want)
			}
		})
	}
	if strings.Contains(h, secret) || len(secret) < 40 {
		t.Errorf("hash %q shows the secret, or the secret %q is short", h, secret)
	}
}

func TestEscalationCheck(t *testing.T) {
	f := newFakeRBAC()
	f.clusterRoles["paths"] = &api.ClusterRole{ObjectMeta: api.ObjectMeta{Name: "paths"}, Rules: []api.PolicyRule{
		{Verbs: []string{"get"}, NonResourceURLs: []string{"/v1/*"}},
		{Verbs: []string{"create"}, APIGroups: []string{api.RBACGroup}, Resources: []string{"clusterroles"}}}}
	f.roles["a/binder"] = &api.Role{ObjectMeta: api.ObjectMeta{Namespace: "a", Name: "binder"}, Rules: []api.PolicyRule{
		{Verbs: []string{"bind"}, APIGroups: []string{api.RBACGroup}, Resources: []string{"clusterroles"}, ResourceNames: []string{"cluster-admin"}},
		{Verbs: []string{"create"}, APIGroups: []string{api.RBACGroup}, Resources: []string{"rolebindings"}}}}
	f.rbs = []*api.RoleBinding{
		roleBinding("a", "alice-admin", "ClusterRole", "admin", api.Subject{Kind: "User", Name: "alice"}),
		roleBinding("a", "bob-binder", "Role", "binder", api.Subject{Kind: "User", Name: "bob"}),
	}
	f.crbs = append(f.crbs, clusterRoleBinding("dave-paths", "paths", api.Subject{Kind: "User", Name: "dave"}))
	alice, bob, dave, root := authUser("alice"), authUser("bob"), authUser("dave"), authUser("root", groupMasters)
	ref := func(kind, name string) api.RoleRef {
		return api.RoleRef{APIGroup: api.RBACGroup, Kind: kind, Name: name}
	}
	tests := []struct {
		name  string
		u     *userInfo
		ns    string
		obj   api.Object
		allow bool
		want  string // in the error
	}{
		{"bind a role one holds", alice, "a", &api.RoleBinding{RoleRef: ref("ClusterRole", "edit")}, true, ""},
		{"bind view: held through edit", alice, "a", &api.RoleBinding{RoleRef: ref("ClusterRole", "view")}, true, ""},
		{"bind cluster-admin in one's namespace", alice, "a", &api.RoleBinding{ObjectMeta: api.ObjectMeta{Name: "x"}, RoleRef: ref("ClusterRole", "cluster-admin")}, false,
			`rolebindings.rbac.authorization.k8s.io "x" is forbidden: User "alice" is attempting to grant RBAC permissions not currently held: {APIGroups:["*"], Resources:["*"], Verbs:["*"]}`},
		{"bind a missing role", alice, "a", &api.RoleBinding{RoleRef: ref("ClusterRole", "nope")}, false, `clusterroles.rbac.authorization.k8s.io "nope" not found`},
		{"a Role within one's rights", alice, "a", &api.Role{Rules: []api.PolicyRule{
			{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{"x"}}}}, true, ""},
		{"a Role beyond them", alice, "a", &api.Role{Rules: []api.PolicyRule{
			{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"pods", "nodes"}}}}, false,
			`{APIGroups:[""], Resources:["nodes"], Verbs:["get"]}; {APIGroups:[""], Resources:["nodes"], Verbs:["list"]}`},
		{"rights in a do not count in b", alice, "b", &api.Role{Rules: []api.PolicyRule{
			{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}}}, false, `Resources:["pods"]`},
		{"a ClusterRoleBinding needs cluster-wide rights", alice, "", &api.ClusterRoleBinding{RoleRef: ref("ClusterRole", "view")}, false, "not currently held"},
		{"the bind verb", bob, "a", &api.RoleBinding{RoleRef: ref("ClusterRole", "cluster-admin")}, true, ""},
		{"bind is per role name", bob, "a", &api.RoleBinding{RoleRef: ref("ClusterRole", "edit")}, false, "not currently held"},
		{"paths by prefix", dave, "", &api.ClusterRole{Rules: []api.PolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/v1/status"}}}}, true, ""},
		{"paths not held", dave, "", &api.ClusterRole{Rules: []api.PolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/metrics"}}}}, false,
			`{NonResourceURLs:["/metrics"], Verbs:["get"]}`},
		{"masters grant anything", root, "", &api.ClusterRoleBinding{RoleRef: ref("ClusterRole", "cluster-admin")}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := api.ResourceForObject(tt.obj)
			a := resAttrs(tt.u, "create", api.RBACGroup, r.Plural, "", tt.ns, "")
			if !needsEscalationCheck(a) {
				t.Fatal("not checked")
			}
			err := checkEscalation(f, a, tt.obj)
			if tt.allow != (err == nil) {
				t.Fatalf("error = %v, want allowed=%v", err, tt.allow)
			}
			if err != nil && !strings.Contains(err.Status.Message, tt.want) {
				t.Errorf("error %q does not contain %q", err.Status.Message, tt.want)
			}
		})
	}
}
