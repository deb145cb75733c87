package server

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/berth-dev/berth/api"
)

// attributes are what the authorizer decides on, as Kubernetes' RequestInfo: a
// verb on a resource (group, plural, subresource, namespace, name) or on a path
// outside the object API.
type attributes struct {
	user *userInfo
	verb string
	// resourceRequest: the fields below it apply, else path does.
	resourceRequest bool
	apiGroup        string
	resource        string // plural
	subresource     string // "status", "log", "exec"; "" for the object itself
	// namespace is "" at the cluster scope: cluster-scoped kinds and lists across
	// all namespaces, which only ClusterRoleBindings can allow.
	namespace string
	name      string // "" for a collection
	path      string // non-resource requests
}

// requestAttributes works out what an HTTP request asks to do.
func requestAttributes(r *http.Request, u *userInfo) attributes {
	p := r.URL.Path
	if p == api.SelfSubjectAccessReviewPath {
		return attributes{user: u, verb: api.VerbCreate, resourceRequest: true,
			apiGroup: api.AuthorizationGroup, resource: "selfsubjectaccessreviews"}
	}
	if a, ok := podStreamAttributes(r, u); ok {
		return a
	}
	if strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/apis/") {
		if t, err := parsePath(p); err == nil {
			verb := strings.ToLower(verbOf(r.Method, t, r.URL.Query().Get("watch") == "true"))
			if r.Method == http.MethodDelete && t.name == "" {
				verb = api.VerbDeleteCollection
			}
			sub := ""
			if t.status {
				sub = "status"
			}
			return resourceAttributes(u, verb, t.res.Group, t.res.Plural, sub, t.namespace, t.name)
		}
		// A path that names no resource is judged as a path: only rights on every
		// URL (cluster-admin) reach the 404 behind it.
	}
	return attributes{user: u, verb: strings.ToLower(r.Method), path: p}
}

// resourceAttributes normalizes the scope as Kubernetes does: a Namespace object is
// in its own namespace (a RoleBinding there may allow reading it), other
// cluster-scoped kinds are in none.
func resourceAttributes(u *userInfo, verb, group, plural, sub, namespace, name string) attributes {
	a := attributes{user: u, verb: verb, resourceRequest: true, apiGroup: group,
		resource: plural, subresource: sub, namespace: namespace, name: name}
	if res, ok := api.ResourceForPath(group, plural); ok && !res.Namespaced {
		a.namespace = ""
		if res.Kind == "Namespace" {
			a.namespace = name
		}
	}
	return a
}

// podStreamAttributes recognizes /api/v1/namespaces/NS/pods/NAME/{log,exec}. Exec
// is "create" when POSTed, "get" when upgraded from a GET, as in Kubernetes.
func podStreamAttributes(r *http.Request, u *userInfo) (attributes, bool) {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(segs) != 7 || segs[0] != "api" || segs[1] != "v1" || segs[2] != "namespaces" || segs[4] != "pods" {
		return attributes{}, false
	}
	sub := segs[6]
	if sub != "log" && sub != "exec" {
		return attributes{}, false
	}
	verb := api.VerbGet
	if sub == "exec" && r.Method == http.MethodPost {
		verb = api.VerbCreate
	}
	return resourceAttributes(u, verb, "", "pods", sub, segs[3], segs[5]), true
}

// forbiddenBy is the 403 in Kubernetes' words, naming the missing permission:
// `pods is forbidden: User "alice" cannot list resource "pods" in API group "" in
// the namespace "b"`.
func forbiddenBy(a attributes) *api.Error {
	if !a.resourceRequest {
		return api.NewError(api.ReasonForbidden, "forbidden: User %q cannot %s path %q", a.user.Name, a.verb, a.path)
	}
	qualified := a.resource
	if a.apiGroup != "" {
		qualified += "." + a.apiGroup
	}
	subject := qualified
	if a.name != "" {
		subject += fmt.Sprintf(" %q", a.name)
	}
	resource := a.resource
	if a.subresource != "" {
		resource += "/" + a.subresource
	}
	scope := "at the cluster scope"
	if a.namespace != "" {
		scope = fmt.Sprintf("in the namespace %q", a.namespace)
	}
	e := api.NewError(api.ReasonForbidden, "%s is forbidden: User %q cannot %s resource %q in API group %q %s",
		subject, a.user.Name, a.verb, resource, a.apiGroup, scope)
	e.Status.Details = &api.StatusDetails{Name: a.name, Kind: a.resource}
	return e
}
