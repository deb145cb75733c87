package proxy

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/berth-dev/berth/api"
)

func service(ns, name, typ, cip string, ports ...api.ServicePort) *api.Service {
	s := &api.Service{Spec: api.ServiceSpec{Type: typ, ClusterIP: cip, Ports: ports}}
	s.Namespace, s.Name = ns, name
	return s
}

func endpoints(ns, name string, subsets ...api.EndpointSubset) *api.Endpoints {
	e := &api.Endpoints{Subsets: subsets}
	e.Namespace, e.Name = ns, name
	return e
}

func addrs(ips ...string) []api.EndpointAddress {
	out := make([]api.EndpointAddress, len(ips))
	for i, ip := range ips {
		out[i].IP = ip
	}
	return out
}

func TestBuildPorts(t *testing.T) {
	seconds := int32(60)
	cip := netip.MustParseAddr("10.96.0.10")
	tests := []struct {
		name string
		svc  *api.Service
		eps  *api.Endpoints
		want []ServicePort
	}{{
		name: "ready addresses only, sorted and deduplicated",
		svc:  service("ns", "a", "ClusterIP", "10.96.0.10", api.ServicePort{Port: 80}),
		eps: endpoints("ns", "a",
			api.EndpointSubset{Addresses: addrs("10.244.2.2", "10.244.1.1"), NotReadyAddresses: addrs("10.244.3.3"), Ports: []api.EndpointPort{{Port: 8080}}},
			api.EndpointSubset{Addresses: addrs("10.244.1.1"), Ports: []api.EndpointPort{{Port: 8080, Protocol: "TCP"}}}),
		want: []ServicePort{{Namespace: "ns", Name: "a", Protocol: "tcp", ClusterIP: cip, Port: 80,
			Endpoints: []netip.AddrPort{ep("10.244.1.1:8080"), ep("10.244.2.2:8080")}}},
	}, {
		name: "named ports pick their endpoint port",
		svc: service("ns", "a", "NodePort", "10.96.0.10",
			api.ServicePort{Name: "http", Port: 80, NodePort: 30080}, api.ServicePort{Name: "dns", Port: 53, Protocol: "UDP"}),
		eps: endpoints("ns", "a", api.EndpointSubset{Addresses: addrs("10.244.1.1"),
			Ports: []api.EndpointPort{{Name: "dns", Port: 5353, Protocol: "UDP"}, {Name: "http", Port: 8080}}}),
		want: []ServicePort{
			{Namespace: "ns", Name: "a", PortName: "dns", Protocol: "udp", ClusterIP: cip, Port: 53,
				Endpoints: []netip.AddrPort{ep("10.244.1.1:5353")}},
			{Namespace: "ns", Name: "a", PortName: "http", Protocol: "tcp", ClusterIP: cip, Port: 80, NodePort: 30080,
				Endpoints: []netip.AddrPort{ep("10.244.1.1:8080")}},
		},
	}, {
		name: "ClientIP affinity with and without a timeout",
		svc: func() *api.Service {
			s := service("ns", "a", "", "10.96.0.10", api.ServicePort{Port: 80})
			s.Spec.SessionAffinity = api.SessionAffinityClientIP
			s.Spec.SessionAffinityConfig = &api.SessionAffinityConfig{ClientIP: &api.ClientIPConfig{TimeoutSeconds: &seconds}}
			return s
		}(),
		want: []ServicePort{{Namespace: "ns", Name: "a", Protocol: "tcp", ClusterIP: cip, Port: 80, AffinitySeconds: 60}},
	}, {
		name: "ClientIP affinity defaults to three hours",
		svc: func() *api.Service {
			s := service("ns", "a", "", "10.96.0.10", api.ServicePort{Port: 80})
			s.Spec.SessionAffinity = api.SessionAffinityClientIP
			return s
		}(),
		want: []ServicePort{{Namespace: "ns", Name: "a", Protocol: "tcp", ClusterIP: cip, Port: 80, AffinitySeconds: DefaultAffinitySeconds}},
	}, {
		name: "a ClusterIP service opens no node port",
		svc:  service("ns", "a", "ClusterIP", "10.96.0.10", api.ServicePort{Port: 80, NodePort: 30080}),
		want: []ServicePort{{Namespace: "ns", Name: "a", Protocol: "tcp", ClusterIP: cip, Port: 80}},
	}, {
		name: "headless",
		svc:  service("ns", "a", "ClusterIP", "None", api.ServicePort{Port: 80}),
	}, {
		name: "external name",
		svc:  service("ns", "a", "ExternalName", "", api.ServicePort{Port: 80}),
	}, {
		name: "IPv6 cluster IP",
		svc:  service("ns", "a", "ClusterIP", "fd00::10", api.ServicePort{Port: 80}),
	}, {
		name: "unknown protocol and out-of-range port",
		svc:  service("ns", "a", "ClusterIP", "10.96.0.10", api.ServicePort{Port: 80, Protocol: "ICMP"}, api.ServicePort{Port: 70000}),
	}, {
		name: "bad endpoint addresses are skipped",
		svc:  service("ns", "a", "ClusterIP", "10.96.0.10", api.ServicePort{Port: 80}),
		eps: endpoints("ns", "a", api.EndpointSubset{Addresses: addrs("nonsense", "fd00::1", "10.244.1.1"),
			Ports: []api.EndpointPort{{Port: 8080}}}, api.EndpointSubset{Addresses: addrs("10.244.9.9"), Ports: []api.EndpointPort{{Port: 0}}}),
		want: []ServicePort{{Namespace: "ns", Name: "a", Protocol: "tcp", ClusterIP: cip, Port: 80,
			Endpoints: []netip.AddrPort{ep("10.244.1.1:8080")}}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eps := map[string]*api.Endpoints{}
			if tc.eps != nil {
				eps[tc.eps.Namespace+"/"+tc.eps.Name] = tc.eps
			}
			got := BuildPorts([]*api.Service{tc.svc, nil}, eps)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("BuildPorts =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}
