package ingress

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// quiet is a logger for tests that drops everything.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// mustIngress decodes an Ingress manifest and stamps its namespace and age (older
// ingresses have a larger age).
func mustIngress(t *testing.T, age time.Duration, doc string) *api.Ingress {
	t.Helper()
	obj, _, err := api.DecodeObject([]byte("apiVersion: networking.k8s.io/v1\nkind: Ingress\n" + doc))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	ing := obj.(*api.Ingress)
	if ing.Namespace == "" {
		ing.Namespace = "default"
	}
	if err := api.Validate(ing); err != nil {
		t.Fatalf("fixture is not a valid Ingress: %v", err)
	}
	ing.CreationTimestamp = api.NewTime(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(-age))
	return ing
}

// service is a Service in "default" with one TCP port named name (may be empty)
// sending port to targetPort.
func service(name string, ports ...api.ServicePort) *api.Service {
	svc := &api.Service{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"}}
	svc.Spec.Ports = ports
	return svc
}

// endpoints is an Endpoints object with one subset: ready addresses on ports.
func endpoints(name string, ips []string, ports ...api.EndpointPort) *api.Endpoints {
	sub := api.EndpointSubset{Ports: ports}
	for _, ip := range ips {
		sub.Addresses = append(sub.Addresses, api.EndpointAddress{IP: ip})
	}
	return &api.Endpoints{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"}, Subsets: []api.EndpointSubset{sub}}
}

// newSnapshot indexes objects the way the cache does.
func newSnapshot(objs ...api.Object) *snapshot {
	s := &snapshot{services: map[string]*api.Service{}, endpoints: map[string]*api.Endpoints{}, secrets: map[string]*api.Secret{}}
	for _, o := range objs {
		switch x := o.(type) {
		case *api.Ingress:
			s.ingresses = append(s.ingresses, x)
		case *api.Service:
			s.services[objKey(x)] = x
		case *api.Endpoints:
			s.endpoints[objKey(x)] = x
		case *api.Secret:
			s.secrets[objKey(x)] = x
		}
	}
	return s
}

func buildTable(t *testing.T, objs ...api.Object) *table {
	t.Helper()
	def, err := defaultCertificate()
	if err != nil {
		t.Fatal(err)
	}
	return newBuilder(newCertCache(quiet, def)).build(newSnapshot(objs...))
}
