package cli

import "testing"

// An Ingress with two hosts, TLS and a default backend, the Services and Endpoints
// behind it, a host-less Ingress with a status, and a class.
const fixtureIngresses = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  ingressClassName: berth
  defaultBackend: {service: {name: fallback, port: {number: 80}}}
  tls: [{hosts: [a.example.com], secretName: a-tls}]
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: app-a, port: {number: 80}}}}
      - {path: /admin, pathType: Exact, backend: {service: {name: app-a, port: {name: admin}}}}
  - host: "*.b.example.com"
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: missing, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: catchall}
spec:
  defaultBackend: {service: {name: app-a, port: {number: 80}}}
status:
  loadBalancer: {ingress: [{ip: 127.0.0.9}, {hostname: lb.example.com}]}
---
apiVersion: v1
kind: Service
metadata: {name: app-a}
spec:
  selector: {app: a}
  ports: [{name: http, port: 80, targetPort: 8080}, {name: admin, port: 81, targetPort: 9090}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: app-a}
subsets:
- addresses: [{ip: 10.244.0.5}, {ip: 10.244.0.6}]
  ports: [{name: http, port: 8080}, {name: admin, port: 9090}]
---
apiVersion: v1
kind: Service
metadata: {name: fallback}
spec:
  ports: [{port: 80}]
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: berth}
spec: {controller: berth.dev/ingress}
`

func TestGetIngress(t *testing.T) {
	f := newFakeServer(t)
	f.seed(fixtureIngresses)
	checkTables(t, f, []tableCase{
		{"ingresses", []string{"get", "ing"}, "" +
			"NAME       CLASS    HOSTS                           ADDRESS                    PORTS     AGE\n" +
			"catchall   <none>   *                               127.0.0.9,lb.example.com   80        4h\n" +
			"web        berth    a.example.com,*.b.example.com                              80, 443   4h\n"},
		{"ingressclasses", []string{"get", "ingressclass"}, "" +
			"NAME    CONTROLLER          PARAMETERS   AGE\n" +
			"berth   berth.dev/ingress   <none>       4h\n"},
		{"qualified name", []string{"get", "ingresses.networking.k8s.io/web", "-o", "name"}, "ingress.networking.k8s.io/web\n"},
	})
}

func TestDescribeIngress(t *testing.T) {
	f := newFakeServer(t)
	f.seed(fixtureIngresses)
	checkDescribes(t, f, []describeCase{
		{"rules, backends and their endpoints", []string{"describe", "ing", "web"}, []string{
			"Name:", "web", "Namespace:", "default", "Address:", "Ingress Class:", "berth",
			"Default backend:", "fallback:80 (<error: endpoints", "not found>)",
			"TLS:", "a-tls terminates a.example.com",
			"Rules:", "Host", "Path", "Backends",
			"a.example.com",
			"/ (Prefix)", "app-a:80 (10.244.0.5:8080,10.244.0.6:8080)",
			"/admin (Exact)", "app-a:admin (10.244.0.5:9090,10.244.0.6:9090)",
			"*.b.example.com", "/ (Prefix)", "missing:80 (<error:", "not found>)",
			"Events:",
		}, nil},
		{"default backend only", []string{"describe", "ingress/catchall"}, []string{
			"Address:", "127.0.0.9,lb.example.com", "Ingress Class:", "<none>",
			"Default backend:", "app-a:80 (10.244.0.5:8080,10.244.0.6:8080)",
			"Rules:", "*", "*", "app-a:80 (10.244.0.5:8080,10.244.0.6:8080)",
		}, nil},
		{"class", []string{"describe", "ingressclass", "berth"}, []string{
			"Name:", "berth", "Controller:", "berth.dev/ingress", "Parameters:", "<none>",
		}, nil},
	})
}
