package server

import (
	"net/http"
	"testing"
)

// FuzzParsePath: no path a client sends may panic the router, and a path that parses
// names a resource whose scope agrees with it.
func FuzzParsePath(f *testing.F) {
	for _, seed := range []string{
		"/api/v1/namespaces/default/configmaps/x", "/api/v1/namespaces/x/status",
		"/apis/apps/v1/deployments", "/api/v1/nodes/n1/status", "/api//v1", "/apis/a/b/c/d/e/f",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, p string) {
		tg, err := parsePath(p)
		if err != nil {
			if err.Status.Code < 400 || err.Status.Code > 499 {
				t.Fatalf("parsePath(%q): code %d", p, err.Status.Code)
			}
			return
		}
		if tg.res == nil {
			t.Fatalf("parsePath(%q) gave no resource", p)
		}
		if tg.namespace != "" && !tg.res.Namespaced {
			t.Fatalf("parsePath(%q): namespace on cluster-scoped %s", p, tg.res.Plural)
		}
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, "PATCH"} {
			tg.checkMethod(m)
		}
	})
}
