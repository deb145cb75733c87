package api

import (
	"strings"
	"testing"
)

// An Ingress as `kubectl get ingress -o yaml` prints it: two hosts, a wildcard, TLS,
// every path type, status from a controller.
const kubectlIngress = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: default
  annotations: {nginx.ingress.kubernetes.io/rewrite-target: /}
spec:
  ingressClassName: nginx
  defaultBackend:
    service: {name: fallback, port: {number: 80}}
  tls:
  - hosts: [a.example.com, "*.b.example.com"]
    secretName: web-tls
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: app-a, port: {number: 8080}}}}
      - {path: /exact, pathType: Exact, backend: {service: {name: app-a, port: {name: http}}}}
  - host: "*.b.example.com"
    http:
      paths:
      - {pathType: ImplementationSpecific, backend: {service: {name: app-b, port: {number: 80}}}}
status:
  loadBalancer:
    ingress: [{ip: 10.0.0.5}, {hostname: lb.example.com, ports: [{port: 443, protocol: TCP}]}]
`

func TestIngressRegistry(t *testing.T) {
	tests := []struct {
		name, kind, collection string
		namespaced             bool
	}{
		{"ing", "Ingress", "/apis/networking.k8s.io/v1/namespaces/ns/ingresses", true},
		{"ingresses.networking.k8s.io", "Ingress", "/apis/networking.k8s.io/v1/namespaces/ns/ingresses", true},
		{"ingressclass", "IngressClass", "/apis/networking.k8s.io/v1/ingressclasses", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := ResourceForName(tt.name)
			if !ok {
				t.Fatalf("%q not found", tt.name)
			}
			if r.Kind != tt.kind || r.APIVersion() != "networking.k8s.io/v1" || r.Namespaced != tt.namespaced || r.CollectionPath("ns") != tt.collection {
				t.Errorf("got %s %s %v %s", r.Kind, r.APIVersion(), r.Namespaced, r.CollectionPath("ns"))
			}
			if byPath, _ := ResourceForPath("networking.k8s.io", r.Plural); byPath != r {
				t.Error("ResourceForPath disagrees")
			}
			if back, _ := ResourceForObject(r.New()); back != r {
				t.Error("ResourceForObject disagrees")
			}
		})
	}
	if r, _ := ResourceForName("ing"); !r.HasStatus {
		t.Error("Ingress has a status subresource")
	}
}

// The kubectl output decodes strictly, validates before and after Default (which
// changes nothing), and encodes back with the same field names.
func TestIngressDecode(t *testing.T) {
	obj, before := mustDecodeValid(t, kubectlIngress)
	ing, ok := obj.(*Ingress)
	if !ok {
		t.Fatal("not an *Ingress")
	}
	if after, _ := Encode(ing); string(before) != string(after) {
		t.Errorf("Default changed an Ingress:\n%s\n%s", before, after)
	}
	s := ing.Spec
	if *s.IngressClassName != "nginx" || s.DefaultBackend.Service.Port.Number != 80 || s.TLS[0].Hosts[1] != "*.b.example.com" ||
		s.Rules[0].HTTP.Paths[1].Backend.Service.Port.Name != "http" || *s.Rules[1].HTTP.Paths[0].PathType != PathTypeImplementationSpecific ||
		ing.Status.LoadBalancer.Ingress[1].Ports[0].Port != 443 {
		t.Errorf("decoded spec: %+v", s)
	}
	for _, want := range []string{`"ingressClassName":"nginx"`, `"defaultBackend":{"service":{"name":"fallback","port":{"number":80}}}`,
		`"pathType":"Exact"`, `"secretName":"web-tls"`, `"host":"*.b.example.com","http":{"paths"`} {
		if !strings.Contains(string(before), want) {
			t.Errorf("encoding lacks %s:\n%s", want, before)
		}
	}
}

func TestIngressDecodeStrict(t *testing.T) {
	_, _, err := DecodeObject([]byte(ingHead + "  rules: [{host: a.com, http: {paths: [{path: /, pathType: Prefix, backend: {serviceName: x, servicePort: 80}}]}}]\n"))
	if err == nil || !strings.Contains(err.Error(), `unknown field "spec.rules[0].http.paths[0].backend.serviceName"`) {
		t.Errorf("extensions/v1beta1 fields in a v1 Ingress: %v", err)
	}
}

const (
	ingHead = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: default}\nspec:\n"
	icHead  = "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: berth}\nspec:\n"
	// svcBackend is a valid backend for path entries.
	svcBackend = "backend: {service: {name: app, port: {number: 80}}}"
)

// rule is one host rule with one path, for the validation table.
func rule(host, path, pathType string) string {
	p := "{" + svcBackend
	if path != "" {
		p += ", path: " + path
	}
	if pathType != "" {
		p += ", pathType: " + pathType
	}
	return "  rules: [{host: \"" + host + "\", http: {paths: [" + p + "}]}}]\n"
}

func TestValidateIngress(t *testing.T) {
	checkValidate(t, []validateCase{
		{"default backend only", ingHead + "  defaultBackend: {service: {name: app, port: {name: http}}}\n", nil},
		{"rule", ingHead + rule("a.example.com", "/api", "Prefix"), nil},
		{"host-less rule", ingHead + rule("", "/", "Exact"), nil},
		{"wildcard host", ingHead + rule("*.example.com", "/", "Prefix"), nil},
		{"implementation specific without path", ingHead + rule("a.com", "", "ImplementationSpecific"), nil},
		{"nothing to route", ingHead + "  ingressClassName: berth\n",
			[]string{`Ingress.networking.k8s.io "web" is invalid: spec.rules: Required value: either ` + "`defaultBackend` or `rules` must be specified"}},
		{"pathType required", ingHead + rule("a.com", "/", ""),
			[]string{"spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified"}},
		{"pathType closed set", ingHead + rule("a.com", "/", "Regex"),
			[]string{`spec.rules[0].http.paths[0].pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"`}},
		{"relative path", ingHead + rule("a.com", "api", "Prefix"),
			[]string{`spec.rules[0].http.paths[0].path: Invalid value: "api": must be an absolute path`}},
		{"relative implementation specific path", ingHead + rule("a.com", "api", "ImplementationSpecific"),
			[]string{`spec.rules[0].http.paths[0].path: Invalid value: "api": must be an absolute path`}},
		{"empty prefix path", ingHead + rule("a.com", "", "Prefix"),
			[]string{`spec.rules[0].http.paths[0].path: Invalid value: "": must be an absolute path`}},
		{"path sequences", ingHead + rule("a.com", "/a//b/..", "Exact"),
			[]string{`path: Invalid value: "/a//b/..": must not contain '//'`, `cannot end with '/..'`}},
		{"encoded slash", ingHead + rule("a.com", "/a%2Fb", "Prefix"), []string{"must not contain '%2F'"}},
		{"two-label wildcard", ingHead + rule("*.*.example.com", "/", "Prefix"),
			[]string{`spec.rules[0].host: Invalid value: "*.*.example.com": a wildcard DNS-1123 subdomain must start with '*.'`}},
		{"wildcard in the middle", ingHead + rule("a.*.com", "/", "Prefix"), []string{`spec.rules[0].host: Invalid value: "a.*.com"`}},
		{"bare wildcard", ingHead + rule("*", "/", "Prefix"), []string{`spec.rules[0].host: Invalid value: "*"`}},
		{"IP host", ingHead + rule("10.0.0.1", "/", "Prefix"),
			[]string{`spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address`}},
		{"host with port", ingHead + rule("a.com:80", "/", "Prefix"), []string{`spec.rules[0].host: Invalid value: "a.com:80"`}},
		{"uppercase host", ingHead + rule("A.com", "/", "Prefix"), []string{"a lowercase RFC 1123 subdomain"}},
		{"no paths", ingHead + "  rules: [{host: a.com, http: {paths: []}}]\n", []string{"spec.rules[0].http.paths: Required value"}},
		{"host without http", ingHead + "  rules: [{host: a.com}]\n", nil},
		{"backend port both", ingHead + "  defaultBackend: {service: {name: app, port: {name: http, number: 80}}}\n",
			[]string{`spec.defaultBackend.service.port: Invalid value: "": cannot set both port name & port number`}},
		{"backend port neither", ingHead + "  defaultBackend: {service: {name: app}}\n",
			[]string{"spec.defaultBackend.service.port: Required value: port name or number is required"}},
		{"backend port range", ingHead + "  defaultBackend: {service: {name: app, port: {number: 70000}}}\n",
			[]string{"spec.defaultBackend.service.port.number: Invalid value: 70000: must be between 1 and 65535, inclusive"}},
		{"backend port name", ingHead + "  defaultBackend: {service: {name: app, port: {name: HTTP_1}}}\n",
			[]string{`spec.defaultBackend.service.port.name: Invalid value: "HTTP_1"`}},
		{"backend service name", ingHead + "  defaultBackend: {service: {name: 1app, port: {number: 80}}}\n",
			[]string{`spec.defaultBackend.service.name: Invalid value: "1app": a DNS-1035 label`}},
		{"backend service name required", ingHead + "  defaultBackend: {service: {name: \"\", port: {number: 80}}}\n",
			[]string{"spec.defaultBackend.service.name: Required value"}},
		{"backend empty", ingHead + "  defaultBackend: {}\n",
			[]string{`spec.defaultBackend: Invalid value: "": resource or service backend is required`}},
		{"backend both", ingHead + "  defaultBackend: {service: {name: app, port: {number: 80}}, resource: {kind: Bucket, name: b}}\n",
			[]string{"cannot set both resource and service backends"}},
		{"resource backend", ingHead + "  defaultBackend: {resource: {apiGroup: k8s.example.com, kind: StorageBucket, name: static}}\n", nil},
		{"resource backend fields", ingHead + "  defaultBackend: {resource: {kind: \"\", name: \"\"}}\n",
			[]string{"spec.defaultBackend.resource.kind: Required value", "spec.defaultBackend.resource.name: Required value"}},
		{"tls hosts", ingHead + "  tls: [{hosts: [ok.com, \"*.ok.com\", \"bad host\"], secretName: Bad}]\n" + rule("a.com", "/", "Prefix"),
			[]string{`spec.tls[0].hosts[2]: Invalid value: "bad host"`, `spec.tls[0].secretName: Invalid value: "Bad"`}},
		{"class name", ingHead + "  ingressClassName: Nginx\n" + rule("a.com", "/", "Prefix"),
			[]string{`spec.ingressClassName: Invalid value: "Nginx"`}},
		{"ingress class", icHead + "  controller: berth.dev/ingress\n", nil},
		{"ingress class controller required", icHead + "  parameters: {kind: X, name: p}\n", []string{"spec.controller: Required value"}},
		{"ingress class controller path", icHead + "  controller: berth\n",
			[]string{`spec.controller: Invalid value: "berth": must be a domain-prefixed path`}},
		{"ingress class parameters", icHead + "  controller: a.io/b\n  parameters: {kind: \"\", name: p, scope: Namespace}\n",
			[]string{"spec.parameters.kind: Required value", "spec.parameters.namespace: Required value"}},
		{"ingress class cluster parameters", icHead + "  controller: a.io/b\n  parameters: {kind: K, name: p, namespace: ns}\n",
			[]string{"spec.parameters.namespace: Forbidden"}},
	})
}

func TestIngressWarnings(t *testing.T) {
	ing := mustDecode(t, ingHead+"  defaultBackend: {resource: {kind: Bucket, name: b}}\n"+
		"  rules: [{http: {paths: [{path: /, pathType: Prefix, "+svcBackend+"}, {path: /s, pathType: Prefix, backend: {resource: {kind: Bucket, name: b}}}]}}]\n")
	want := []string{
		"spec.defaultBackend.resource: Berth's ingress routes to Services only, ignored",
		"spec.rules[0].http.paths[1].backend.resource: Berth's ingress routes to Services only, ignored",
	}
	if got := Warnings(ing); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings = %q, want %q", got, want)
	}
}

// Nothing of an Ingress is immutable: an update may change every route.
func TestValidateIngressUpdate(t *testing.T) {
	old := mustDecode(t, ingHead+rule("a.com", "/", "Prefix")).(*Ingress)
	cur := mustDecode(t, ingHead+rule("b.com", "/x", "Exact")).(*Ingress)
	if err := ValidateUpdate(old, cur); err != nil {
		t.Errorf("ValidateUpdate: %v", err)
	}
	bad := mustDecode(t, ingHead+rule("b.com", "x", "Exact")).(*Ingress)
	if err := ValidateUpdate(old, bad); err == nil || !strings.Contains(err.Error(), "must be an absolute path") {
		t.Errorf("ValidateUpdate of an invalid Ingress: %v", err)
	}
}
