package server

import (
	"net/http"
	"strings"

	"github.com/berth-dev/berth/api"
)

// target is what a Kubernetes-style API path names.
type target struct {
	res       *api.Resource
	namespace string // "" for cluster-scoped kinds or an all-namespaces list
	name      string // "" for a collection
	status    bool   // the /status subresource
}

// parsePath understands /api/v1/... and /apis/GROUP/VERSION/... paths:
//
//	{prefix}/{plural}[/{name}[/status]]
//	{prefix}/namespaces/{ns}/{plural}[/{name}[/status]]
func parsePath(p string) (target, *api.Error) {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	var group, version string
	switch {
	case len(segs) >= 2 && segs[0] == "api":
		version, segs = segs[1], segs[2:]
	case len(segs) >= 3 && segs[0] == "apis":
		group, version, segs = segs[1], segs[2], segs[3:]
	default:
		return target{}, api.NewError(api.ReasonNotFound, "the server could not find the requested resource %q", p)
	}
	var t target
	// "namespaces/NS/PLURAL..." is a namespaced path; "namespaces/NAME/status" is the
	// status of a Namespace object.
	if len(segs) >= 3 && segs[0] == "namespaces" && segs[2] != "status" {
		t.namespace, segs = segs[1], segs[2:]
		if t.namespace == "" {
			return target{}, api.NewError(api.ReasonNotFound, "empty namespace in path %q", p)
		}
	}
	if len(segs) == 0 || len(segs) > 3 || segs[0] == "" {
		return target{}, api.NewError(api.ReasonNotFound, "the server could not find the requested resource %q", p)
	}
	res, ok := api.ResourceForPath(group, segs[0])
	if !ok || res.Version != version {
		gv := version
		if group != "" {
			gv = group + "/" + version
		}
		return target{}, api.NewError(api.ReasonNotFound, "the server doesn't have a resource type %q in %q", segs[0], gv)
	}
	t.res = res
	if len(segs) >= 2 {
		t.name = segs[1]
		if t.name == "" {
			return target{}, api.NewError(api.ReasonNotFound, "empty name in path %q", p)
		}
	}
	if len(segs) == 3 {
		if segs[2] != "status" || !res.HasStatus {
			return target{}, api.NewError(api.ReasonNotFound, "%s has no subresource %q", res.Plural, segs[2])
		}
		t.status = true
	}
	if t.namespace != "" && !res.Namespaced {
		return target{}, api.NewError(api.ReasonNotFound, "%s are not namespaced; use %s", res.Plural, res.CollectionPath(""))
	}
	return t, nil
}

// checkMethod rejects verbs the target does not support, before anything is read.
func (t target) checkMethod(method string) *api.Error {
	collection := t.name == ""
	allowed := false
	switch method {
	case http.MethodGet:
		allowed = true
	case http.MethodPost:
		// Creating a namespaced object needs its namespace in the path.
		allowed = collection && !t.status && (t.namespace != "" || !t.res.Namespaced)
	case http.MethodPut:
		allowed = !collection && (t.namespace != "" || !t.res.Namespaced)
	case http.MethodDelete:
		allowed = !collection && !t.status && (t.namespace != "" || !t.res.Namespaced)
	}
	if !allowed {
		return api.NewError(api.ReasonMethodNotAllowed, "%s is not allowed on %s", method, t.describe())
	}
	return nil
}

func (t target) describe() string {
	s := t.res.Plural
	if t.name != "" {
		s += " \"" + t.name + "\""
	}
	if t.status {
		s += " status"
	}
	if t.namespace != "" {
		s += " in namespace " + t.namespace
	}
	return s
}
