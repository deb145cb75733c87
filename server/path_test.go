package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/berth-dev/berth/api"
)

func TestParsePath(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		plural string // "" when an error is expected
		ns     string
		obj    string
		status bool
		errHas string // a part of the error message
	}{
		{name: "core cluster-wide list of a namespaced kind", path: "/api/v1/pods", plural: "pods"},
		{name: "core namespaced collection", path: "/api/v1/namespaces/default/pods", plural: "pods", ns: "default"},
		{name: "core namespaced object", path: "/api/v1/namespaces/default/pods/web", plural: "pods", ns: "default", obj: "web"},
		{name: "core namespaced status", path: "/api/v1/namespaces/default/pods/web/status", plural: "pods", ns: "default", obj: "web", status: true},
		{name: "trailing slash", path: "/api/v1/namespaces/default/configmaps/", plural: "configmaps", ns: "default"},
		{name: "pod named status", path: "/api/v1/namespaces/default/pods/status", plural: "pods", ns: "default", obj: "status"},
		{name: "namespaces collection", path: "/api/v1/namespaces", plural: "namespaces"},
		{name: "namespace object", path: "/api/v1/namespaces/team-a", plural: "namespaces", obj: "team-a"},
		{name: "namespace status", path: "/api/v1/namespaces/team-a/status", plural: "namespaces", obj: "team-a", status: true},
		{name: "namespace called status", path: "/api/v1/namespaces/status", plural: "namespaces", obj: "status"},
		{name: "cluster-scoped collection", path: "/api/v1/nodes", plural: "nodes"},
		{name: "cluster-scoped object", path: "/api/v1/nodes/n1", plural: "nodes", obj: "n1"},
		{name: "cluster-scoped status", path: "/api/v1/nodes/n1/status", plural: "nodes", obj: "n1", status: true},
		{name: "group collection", path: "/apis/apps/v1/deployments", plural: "deployments"},
		{name: "group namespaced object", path: "/apis/apps/v1/namespaces/prod/deployments/web", plural: "deployments", ns: "prod", obj: "web"},
		{name: "group namespaced status", path: "/apis/apps/v1/namespaces/prod/replicasets/web/status", plural: "replicasets", ns: "prod", obj: "web", status: true},

		{name: "not an api path", path: "/foo/v1/pods", errHas: "could not find"},
		{name: "bare api", path: "/api", errHas: "could not find"},
		{name: "api version only", path: "/api/v1", errHas: "could not find"},
		{name: "apis without version", path: "/apis/apps", errHas: "could not find"},
		{name: "group version only", path: "/apis/apps/v1", errHas: "could not find"},
		{name: "unknown core resource", path: "/api/v1/widgets", errHas: `"widgets" in "v1"`},
		{name: "bad core version", path: "/api/v2/pods", errHas: `"pods" in "v2"`},
		{name: "bad group version", path: "/apis/apps/v1beta1/deployments", errHas: `"deployments" in "apps/v1beta1"`},
		{name: "unknown group", path: "/apis/batch/v1/deployments", errHas: `"deployments" in "batch/v1"`},
		{name: "group kind under core", path: "/api/v1/deployments", errHas: `"deployments" in "v1"`},
		{name: "core kind under a group", path: "/apis/apps/v1/pods", errHas: `"pods" in "apps/v1"`},
		{name: "cluster-scoped kind in a namespace", path: "/api/v1/namespaces/default/nodes", errHas: "not namespaced"},
		{name: "namespace in a namespace", path: "/api/v1/namespaces/default/namespaces/x", errHas: "not namespaced"},
		{name: "status of a kind without one", path: "/api/v1/namespaces/default/configmaps/c/status", errHas: `no subresource "status"`},
		{name: "unknown subresource", path: "/api/v1/namespaces/default/pods/web/log", errHas: `no subresource "log"`},
		{name: "too deep", path: "/api/v1/namespaces/default/pods/web/status/x", errHas: "could not find"},
		{name: "namespace status too deep", path: "/api/v1/namespaces/a/status/x", errHas: "could not find"},
		{name: "empty namespace", path: "/api/v1/namespaces//pods", errHas: "empty namespace"},
		{name: "empty name", path: "/api/v1/nodes//status", errHas: "empty name"},
		{name: "empty plural", path: "/api/v1//x", errHas: "could not find"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePath(tt.path)
			if tt.plural == "" {
				if err == nil {
					t.Fatalf("parsePath(%q) = %+v, want an error", tt.path, got)
				}
				if err.Status.Code != http.StatusNotFound || err.Status.Reason != api.ReasonNotFound {
					t.Fatalf("error %d %s, want 404 NotFound", err.Status.Code, err.Status.Reason)
				}
				if !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("error %q does not say %q", err.Error(), tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatalf("parsePath(%q): %v", tt.path, err)
			}
			if got.res.Plural != tt.plural || got.namespace != tt.ns || got.name != tt.obj || got.status != tt.status {
				t.Fatalf("parsePath(%q) = {%s ns=%q name=%q status=%v}, want {%s ns=%q name=%q status=%v}",
					tt.path, got.res.Plural, got.namespace, got.name, got.status, tt.plural, tt.ns, tt.obj, tt.status)
			}
		})
	}
}

func TestCheckMethod(t *testing.T) {
	allowed := map[string]map[string]bool{
		// path → the methods it accepts; any other is 405.
		"/api/v1/pods":                               {"GET": true},
		"/api/v1/namespaces/default/pods":            {"GET": true, "POST": true},
		"/api/v1/namespaces/default/pods/web":        {"GET": true, "PUT": true, "DELETE": true},
		"/api/v1/namespaces/default/pods/web/status": {"GET": true, "PUT": true},
		"/api/v1/pods/web":                           {"GET": true}, // a namespaced object needs its namespace to change
		"/api/v1/nodes":                              {"GET": true, "POST": true},
		"/api/v1/nodes/n1":                           {"GET": true, "PUT": true, "DELETE": true},
		"/api/v1/nodes/n1/status":                    {"GET": true, "PUT": true},
		"/api/v1/namespaces":                         {"GET": true, "POST": true},
		"/api/v1/namespaces/team-a":                  {"GET": true, "PUT": true, "DELETE": true},
		"/api/v1/namespaces/team-a/status":           {"GET": true, "PUT": true},
		"/apis/apps/v1/namespaces/prod/deployments":  {"GET": true, "POST": true},
	}
	methods := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodHead}
	for path, ok := range allowed {
		tgt, perr := parsePath(path)
		if perr != nil {
			t.Fatalf("parsePath(%q): %v", path, perr)
		}
		for _, m := range methods {
			t.Run(m+" "+path, func(t *testing.T) {
				err := tgt.checkMethod(m)
				if ok[m] {
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					return
				}
				if err == nil {
					t.Fatal("allowed, want 405")
				}
				if err.Status.Code != http.StatusMethodNotAllowed || !strings.Contains(err.Error(), tgt.res.Plural) {
					t.Fatalf("error %d %q, want 405 naming %s", err.Status.Code, err.Error(), tgt.res.Plural)
				}
			})
		}
	}
}

func TestVerbOf(t *testing.T) {
	coll := target{res: mustRes(t, "ConfigMap"), namespace: "default"}
	obj := coll
	obj.name = "x"
	tests := []struct {
		name   string
		method string
		t      target
		watch  bool
		want   string
	}{
		{name: "list", method: "GET", t: coll, want: "list"},
		{name: "watch", method: "GET", t: coll, watch: true, want: "watch"},
		{name: "get", method: "GET", t: obj, want: "get"},
		{name: "create", method: "POST", t: coll, want: "create"},
		{name: "update", method: "PUT", t: obj, want: "update"},
		{name: "delete", method: "DELETE", t: obj, want: "delete"},
		{name: "other", method: "PATCH", t: obj, want: "PATCH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := verbOf(tt.method, tt.t, tt.watch); got != tt.want {
				t.Fatalf("verbOf = %q, want %q", got, tt.want)
			}
		})
	}
}
