package ingress

import (
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// The routes of one Ingress per concern; each backend is its own Service so a
// lookup says which rule won by the service name.
func TestLookup(t *testing.T) {
	hosts := mustIngress(t, time.Hour, `
metadata: {name: hosts}
spec:
  rules:
  - host: foo.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: foo, port: {number: 80}}}}]}
  - host: "*.foo.com"
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: star-foo, port: {number: 80}}}}]}
  - host: exact.foo.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: exact-foo, port: {number: 80}}}}]}
  - host: paths.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: root, port: {number: 80}}}}
      - {path: /foo, pathType: Prefix, backend: {service: {name: prefix-foo, port: {number: 80}}}}
      - {path: /foo, pathType: Exact, backend: {service: {name: exact-foo-path, port: {number: 80}}}}
      - {path: /foo/bar/, pathType: Prefix, backend: {service: {name: prefix-foo-bar, port: {number: 80}}}}
      - {path: /foo/bar/baz, pathType: Exact, backend: {service: {name: exact-baz, port: {number: 80}}}}
      - {path: /impl, pathType: ImplementationSpecific, backend: {service: {name: impl, port: {number: 80}}}}
  - host: nopath.com
    http: {paths: [{path: /only, pathType: Exact, backend: {service: {name: only, port: {number: 80}}}}]}
`)
	anyHost := mustIngress(t, time.Minute, `
metadata: {name: any}
spec:
  defaultBackend: {service: {name: fallback, port: {number: 80}}}
  rules:
  - http: {paths: [{path: /any, pathType: Prefix, backend: {service: {name: anyhost, port: {number: 80}}}}]}
`)
	tbl := buildTable(t, hosts, anyHost)
	tests := []struct {
		name, host, path string
		want             string // service name; "" for no route
	}{
		{"exact host", "foo.com", "/x", "foo"},
		{"host with port and case", "FOO.com:8080", "/", "foo"},
		{"trailing dot", "foo.com.", "/", "foo"},
		{"one-label wildcard", "bar.foo.com", "/", "star-foo"},
		{"wildcard is one label only", "baz.bar.foo.com", "/any", "anyhost"},
		{"wildcard does not match the bare domain", "foo.com", "/", "foo"},
		{"exact host beats wildcard", "exact.foo.com", "/", "exact-foo"},
		{"root prefix", "paths.com", "/other", "root"},
		{"exact beats prefix of the same path", "paths.com", "/foo", "exact-foo-path"},
		{"prefix by elements", "paths.com", "/foo/", "prefix-foo"},
		{"prefix with more elements", "paths.com", "/foo/x", "prefix-foo"},
		{"not a partial element", "paths.com", "/foobar", "root"},
		{"longest prefix wins", "paths.com", "/foo/bar/x", "prefix-foo-bar"},
		{"trailing slash of a prefix is ignored", "paths.com", "/foo/bar", "prefix-foo-bar"},
		{"exact deeper than prefixes", "paths.com", "/foo/bar/baz", "exact-baz"},
		{"exact is exact", "paths.com", "/foo/bar/baz/", "prefix-foo-bar"},
		{"implementation specific is a prefix", "paths.com", "/impl/x", "impl"},
		{"host matched, no path: the default backend", "nopath.com", "/other", "fallback"},
		{"unknown host: rules without a host", "other.com", "/any/thing", "anyhost"},
		{"unknown host and path: default backend", "other.com", "/", "fallback"},
		{"IP host", "10.0.0.1:80", "/any", "anyhost"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tbl.lookup(tt.host, tt.path)
			got := ""
			if b != nil {
				got = b.service
			}
			if got != tt.want {
				t.Errorf("lookup(%q, %q) = %q, want %q", tt.host, tt.path, got, tt.want)
			}
		})
	}
}

// Without any default backend, a request no rule takes has no backend (404).
func TestLookupNoRule(t *testing.T) {
	ing := mustIngress(t, 0, `
metadata: {name: one}
spec:
  rules: [{host: a.com, http: {paths: [{path: /x, pathType: Exact, backend: {service: {name: a, port: {number: 80}}}}]}}]
`)
	tbl := buildTable(t, ing)
	for _, c := range [][2]string{{"a.com", "/"}, {"b.com", "/x"}, {"", "/x"}} {
		if b := tbl.lookup(c[0], c[1]); b != nil {
			t.Errorf("lookup(%q, %q) = %s, want none", c[0], c[1], b)
		}
	}
	if b := buildTable(t).lookup("a.com", "/"); b != nil {
		t.Errorf("empty table routes to %s", b)
	}
}

// Several Ingresses merge; where two claim the same host and path, or both have a
// default backend, the older one wins whatever the order they are listed in.
func TestMergeOldestWins(t *testing.T) {
	old := mustIngress(t, 2*time.Hour, `
metadata: {name: zz-old, namespace: team-a}
spec:
  defaultBackend: {service: {name: old-default, port: {number: 80}}}
  rules:
  - host: shared.com
    http:
      paths:
      - {path: /api, pathType: Prefix, backend: {service: {name: old-api, port: {number: 80}}}}
      - {path: /exact, pathType: Exact, backend: {service: {name: old-exact, port: {number: 80}}}}
`)
	young := mustIngress(t, time.Hour, `
metadata: {name: aa-young, namespace: team-b}
spec:
  defaultBackend: {service: {name: young-default, port: {number: 80}}}
  rules:
  - host: shared.com
    http:
      paths:
      - {path: /api/, pathType: Prefix, backend: {service: {name: young-api, port: {number: 80}}}}
      - {path: /exact, pathType: Exact, backend: {service: {name: young-exact, port: {number: 80}}}}
      - {path: /web, pathType: Prefix, backend: {service: {name: young-web, port: {number: 80}}}}
  - host: own.com
    http: {paths: [{path: /x, pathType: Exact, backend: {service: {name: own, port: {number: 80}}}}]}
`)
	sameAge := mustIngress(t, 2*time.Hour, `
metadata: {name: aa-same-age, namespace: team-a}
spec:
  rules:
  - host: shared.com
    http: {paths: [{path: /api, pathType: Prefix, backend: {service: {name: same-age-api, port: {number: 80}}}}]}
`)
	for _, order := range [][]api.Object{{old, young, sameAge}, {young, sameAge, old}} {
		tbl := buildTable(t, order...)
		tests := []struct{ host, path, wantNS, wantSvc string }{
			{"shared.com", "/api/v1", "team-a", "same-age-api"}, // same second: namespace/name order
			{"shared.com", "/exact", "team-a", "old-exact"},
			{"shared.com", "/web/x", "team-b", "young-web"}, // no conflict: merged
			{"shared.com", "/nothing", "team-a", "old-default"},
			{"own.com", "/y", "team-b", "young-default"}, // its own Ingress's default backend
			{"other.com", "/", "team-a", "old-default"},
		}
		for _, tt := range tests {
			b := tbl.lookup(tt.host, tt.path)
			if b == nil || b.namespace != tt.wantNS || b.service != tt.wantSvc {
				t.Errorf("lookup(%q, %q) = %v, want %s/%s", tt.host, tt.path, b, tt.wantNS, tt.wantSvc)
			}
		}
	}
}

// A backend's port resolves through the Service to the Endpoints' port: by name,
// by targetPort number, or the only port.
func TestResolveEndpoints(t *testing.T) {
	ing := mustIngress(t, 0, `
metadata: {name: r}
spec:
  rules:
  - http:
      paths:
      - {path: /named, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}
      - {path: /number, pathType: Prefix, backend: {service: {name: web, port: {number: 81}}}}
      - {path: /single, pathType: Prefix, backend: {service: {name: single, port: {number: 80}}}}
      - {path: /target, pathType: Prefix, backend: {service: {name: bytarget, port: {number: 80}}}}
      - {path: /nosvc, pathType: Prefix, backend: {service: {name: missing, port: {number: 80}}}}
      - {path: /noport, pathType: Prefix, backend: {service: {name: web, port: {number: 99}}}}
      - {path: /noeps, pathType: Prefix, backend: {service: {name: noeps, port: {number: 80}}}}
`)
	web := service("web",
		api.ServicePort{Name: "http", Port: 80, TargetPort: api.FromString("http")},
		api.ServicePort{Name: "admin", Port: 81, TargetPort: api.FromInt(9090)})
	webEp := endpoints("web", []string{"10.0.0.1", "10.0.0.2"}, api.EndpointPort{Name: "http", Port: 8080}, api.EndpointPort{Name: "admin", Port: 9090})
	webEp.Subsets[0].NotReadyAddresses = []api.EndpointAddress{{IP: "10.0.0.9"}}
	single := service("single", api.ServicePort{Port: 80, TargetPort: api.FromInt(8080)})
	singleEp := endpoints("single", []string{"10.0.1.1"}, api.EndpointPort{Port: 8080})
	byTarget := service("bytarget", api.ServicePort{Name: "web", Port: 80, TargetPort: api.FromInt(8080)})
	byTargetEp := endpoints("bytarget", []string{"10.0.2.1"}, api.EndpointPort{Name: "other-name", Port: 8080})
	noEps := service("noeps", api.ServicePort{Port: 80})
	tbl := buildTable(t, ing, web, webEp, single, singleEp, byTarget, byTargetEp, noEps)
	tests := []struct {
		path string
		want []string
	}{
		{"/named", []string{"10.0.0.1:8080", "10.0.0.2:8080"}},
		{"/number", []string{"10.0.0.1:9090", "10.0.0.2:9090"}},
		{"/single", []string{"10.0.1.1:8080"}},
		{"/target", []string{"10.0.2.1:8080"}},
		{"/nosvc", nil},
		{"/noport", nil},
		{"/noeps", nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			b := tbl.lookup("x", tt.path)
			if b == nil {
				t.Fatal("no backend")
			}
			if len(b.addrs) != len(tt.want) {
				t.Fatalf("addrs = %v, want %v", b.addrs, tt.want)
			}
			for i := range tt.want {
				if b.addrs[i] != tt.want[i] {
					t.Errorf("addrs = %v, want %v", b.addrs, tt.want)
				}
			}
		})
	}
}

// A rebuilt table keeps each backend's round-robin position.
func TestCountersSurviveRebuild(t *testing.T) {
	ing := mustIngress(t, 0, "metadata: {name: r}\nspec: {defaultBackend: {service: {name: web, port: {number: 80}}}}\n")
	def, _ := defaultCertificate()
	bl := newBuilder(newCertCache(quiet, def))
	first := bl.build(newSnapshot(ing)).lookup("a", "/")
	first.next.Add(7)
	if second := bl.build(newSnapshot(ing)).lookup("a", "/"); second.next.Load() != 7 {
		t.Errorf("counter after rebuild = %d, want 7", second.next.Load())
	}
}
