package server

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

func TestServiceIPAllocatorReserve(t *testing.T) {
	tests := []struct {
		name     string
		cidr     string
		held     []string
		inFlight []string
		want     string
		wantGot  string
		wantWhy  string // a part of the refusal; "" when it succeeds
	}{
		{name: "first free skips the network and the reserved .1", cidr: "10.96.0.0/16", wantGot: "10.96.0.2"},
		{name: "skips held addresses", cidr: "10.96.0.0/16", held: []string{"10.96.0.2", "10.96.0.3", "None", "bogus"}, wantGot: "10.96.0.4"},
		{name: "skips in-flight addresses", cidr: "10.96.0.0/16", inFlight: []string{"10.96.0.2"}, wantGot: "10.96.0.3"},
		{name: "honors a free request", cidr: "10.96.0.0/16", want: "10.96.0.10", wantGot: "10.96.0.10"},
		{name: "request held", cidr: "10.96.0.0/16", held: []string{"10.96.0.10"}, want: "10.96.0.10", wantWhy: "provided IP is already allocated"},
		{name: "request in flight", cidr: "10.96.0.0/16", inFlight: []string{"10.96.0.10"}, want: "10.96.0.10", wantWhy: "provided IP is already allocated"},
		{name: "request outside", cidr: "10.96.0.0/16", want: "10.97.0.10", wantWhy: "not in the valid range. The range of valid IPs is 10.96.0.0/16"},
		{name: "request of the network address", cidr: "10.96.0.0/16", want: "10.96.0.0", wantWhy: "not in the valid range"},
		{name: "request of the broadcast address", cidr: "10.96.0.0/16", want: "10.96.255.255", wantWhy: "not in the valid range"},
		{name: "request of the reserved first address", cidr: "10.96.0.0/16", want: "10.96.0.1", wantWhy: "reserved"},
		{name: "request of IPv6", cidr: "10.96.0.0/16", want: "fd00::1", wantWhy: "not in the valid range"},
		{name: "last address", cidr: "10.96.0.0/28", held: hostRange("10.96.0.", 2, 13), wantGot: "10.96.0.14"},
		{name: "full", cidr: "10.96.0.0/28", held: hostRange("10.96.0.", 2, 14), wantWhy: "no cluster IP is free in the service CIDR 10.96.0.0/28"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newServiceIPAllocator(netip.MustParsePrefix(tt.cidr))
			for _, s := range tt.inFlight {
				a.inFlight[netip.MustParseAddr(s)] = true
			}
			got, why := a.reserve(tt.want, func() []string { return tt.held })
			if tt.wantWhy != "" {
				if !strings.Contains(why, tt.wantWhy) {
					t.Fatalf("reserve = %v, %q; want a refusal saying %q", got, why, tt.wantWhy)
				}
				return
			}
			if why != "" || got.String() != tt.wantGot {
				t.Fatalf("reserve = %v, %q; want %s", got, why, tt.wantGot)
			}
			if !a.inFlight[got] {
				t.Fatalf("%s is not held in flight", got)
			}
		})
	}
}

// hostRange lists prefix+from ... prefix+to.
func hostRange(prefix string, from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("%s%d", prefix, i))
	}
	return out
}

// TestServiceIPAllocatorRotates: a released address is not handed out again before
// the others, and the search wraps around.
func TestServiceIPAllocatorRotates(t *testing.T) {
	a := newServiceIPAllocator(netip.MustParsePrefix("10.96.0.0/28"))
	none := func() []string { return nil }
	first, _ := a.reserve("", none)
	a.release(first)
	second, _ := a.reserve("", none)
	if second == first {
		t.Fatalf("a released address came back at once: %s", first)
	}
	for range 11 {
		ip, why := a.reserve("", none)
		if why != "" {
			t.Fatalf("reserve: %s", why)
		}
		a.release(ip)
	}
	if again, _ := a.reserve("", none); again != first {
		t.Fatalf("after wrapping got %s, want %s", again, first)
	}
}

func TestNodePortAllocatorReserve(t *testing.T) {
	svc := newService("default", "s", api.ServiceTypeNodePort)
	tests := []struct {
		name     string
		held     []int32
		inFlight []int32
		reqs     []portRequest
		want     []int32
		wantErr  string
	}{
		{name: "any", reqs: []portRequest{{0, 0}, {1, 0}}, want: []int32{30000, 30001}},
		{name: "skips held and in flight", held: []int32{30000}, inFlight: []int32{30001}, reqs: []portRequest{{0, 0}}, want: []int32{30002}},
		{name: "requested", reqs: []portRequest{{0, 30005}, {1, 0}}, want: []int32{30005, 30000}},
		{name: "requested twice in one service", reqs: []portRequest{{0, 30005}, {1, 30005}}, want: []int32{30005, 30005}},
		{name: "requested and held", held: []int32{30005}, reqs: []portRequest{{0, 0}, {1, 30005}},
			wantErr: `spec.ports[1].nodePort: Invalid value: 30005: provided port is already allocated`},
		{name: "requested outside", reqs: []portRequest{{2, 80}},
			wantErr: "spec.ports[2].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-30009"},
		{name: "full", held: []int32{30000, 30001, 30002, 30003, 30004, 30005, 30006, 30007, 30008}, reqs: []portRequest{{0, 0}, {1, 0}},
			wantErr: "spec.ports[1].nodePort: Forbidden: every port of the node port range 30000-30009 is allocated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newNodePortAllocator(portRange{30000, 30009})
			for _, p := range tt.inFlight {
				a.inFlight[p] = true
			}
			got, err := a.reserve(svc, tt.reqs, func() []int32 { return tt.held })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("reserve = %v, %v; want an error saying %q", got, err, tt.wantErr)
				}
				if len(a.inFlight) != len(tt.inFlight) {
					t.Fatalf("a refused reservation left ports in flight: %v", a.inFlight)
				}
				return
			}
			if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("reserve = %v, %v; want %v", got, err, tt.want)
			}
			for _, p := range got {
				if !a.inFlight[p] {
					t.Fatalf("%d not held in flight", p)
				}
			}
		})
	}
}

func TestParsePortRange(t *testing.T) {
	tests := []struct {
		in      string
		want    portRange
		wantErr string
	}{
		{in: "30000-32767", want: portRange{30000, 32767}},
		{in: "30000+2767", want: portRange{30000, 32767}},
		{in: "80-80", want: portRange{80, 80}},
		{in: "", wantErr: "is not a port range"},
		{in: "30000", wantErr: "is not a port range"},
		{in: "a-b", wantErr: "is not a port range"},
		{in: "32767-30000", wantErr: "low end first"},
		{in: "0-100", wantErr: "within 1-65535"},
		{in: "60000-70000", wantErr: "within 1-65535"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parsePortRange(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parsePortRange(%q) = %v, %v; want an error saying %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("parsePortRange(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestConfigServiceNetworks(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{name: "defaults", mutate: func(*Config) {}},
		{name: "not a CIDR", mutate: func(c *Config) { c.ServiceCIDR = "10.96.0.0" }, wantErr: "--service-cidr"},
		{name: "IPv6", mutate: func(c *Config) { c.ServiceCIDR = "fd00::/108" }, wantErr: "not an IPv4 CIDR"},
		{name: "too wide", mutate: func(c *Config) { c.ServiceCIDR = "10.0.0.0/8" }, wantErr: "between /12 and /28"},
		{name: "too narrow", mutate: func(c *Config) { c.ServiceCIDR = "10.96.0.0/30" }, wantErr: "between /12 and /28"},
		{name: "bad node port range", mutate: func(c *Config) { c.ServiceNodePortRange = "1-2-3" }, wantErr: "--service-node-port-range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.mutate(&c)
			err := c.validateServiceNetworks()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("validateServiceNetworks: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("validateServiceNetworks = %v, want an error saying %q", err, tt.wantErr)
			}
		})
	}
}

func newService(ns, name, typ string, ports ...int32) *api.Service {
	svc := &api.Service{}
	svc.APIVersion, svc.Kind = "v1", "Service"
	svc.Name, svc.Namespace = name, ns
	svc.Spec.Type = typ
	svc.Spec.Selector = map[string]string{"app": name}
	if len(ports) == 0 && typ != api.ServiceTypeExternalName {
		ports = []int32{80}
	}
	for i, p := range ports {
		sp := api.ServicePort{Port: p}
		if len(ports) > 1 {
			sp.Name = fmt.Sprintf("p%d", i)
		}
		svc.Spec.Ports = append(svc.Spec.Ports, sp)
	}
	return svc
}

func mustCreateService(t *testing.T, ts *testServer, svc *api.Service) *api.Service {
	t.Helper()
	got, err := ts.client.Create(context.Background(), svc)
	if err != nil {
		t.Fatalf("create service %s: %v", svc.Name, err)
	}
	return got.(*api.Service)
}

// wantInvalid fails unless err is a 422 whose message has every part of want.
func wantInvalid(t *testing.T, err error, want ...string) {
	t.Helper()
	wantReason(t, err, api.ReasonInvalid)
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Fatalf("error %q does not say %q", err, w)
		}
	}
}

// TestServiceClusterIPs: unique across 300 Services, released on delete and
// reusable, a requested address checked, headless and ExternalName Services
// without one, the IP family fields defaulted, the address immutable.
func TestServiceClusterIPs(t *testing.T) {
	ts := mustStartServer(t, nil)
	ctx := context.Background()
	svcCIDR := netip.MustParsePrefix("10.96.0.0/16")
	seen := map[string]string{}
	for i := range 300 {
		svc := mustCreateService(t, ts, newService("default", fmt.Sprintf("s%d", i), ""))
		ip := svc.Spec.ClusterIP
		addr, err := netip.ParseAddr(ip)
		if err != nil || !svcCIDR.Contains(addr) || ip == "10.96.0.1" || ip == "10.96.0.0" {
			t.Fatalf("%s got cluster IP %q, outside the usable service CIDR", svc.Name, ip)
		}
		if prev, dup := seen[ip]; dup {
			t.Fatalf("%s and %s both got %s", prev, svc.Name, ip)
		}
		seen[ip] = svc.Name
		if len(svc.Spec.ClusterIPs) != 1 || svc.Spec.ClusterIPs[0] != ip ||
			len(svc.Spec.IPFamilies) != 1 || svc.Spec.IPFamilies[0] != "IPv4" ||
			svc.Spec.IPFamilyPolicy == nil || *svc.Spec.IPFamilyPolicy != "SingleStack" {
			t.Fatalf("%s: clusterIPs %v, ipFamilies %v, ipFamilyPolicy %v; want [%s], [IPv4], SingleStack",
				svc.Name, svc.Spec.ClusterIPs, svc.Spec.IPFamilies, svc.Spec.IPFamilyPolicy, ip)
		}
	}

	s0, err := ts.client.Get(ctx, mustRes(t, "Service"), "default", "s0", api.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	taken := s0.(*api.Service).Spec.ClusterIP
	req := newService("default", "wants-taken", "")
	req.Spec.ClusterIP = taken
	_, err = ts.client.Create(ctx, req)
	wantInvalid(t, err, fmt.Sprintf(`spec.clusterIP: Invalid value: %q: provided IP is already allocated`, taken))

	// Deleted: the address is free again and may be asked for.
	if _, err := ts.client.Delete(ctx, mustRes(t, "Service"), "default", "s0", api.DeleteOptions{}); err != nil {
		t.Fatalf("delete s0: %v", err)
	}
	if got := mustCreateService(t, ts, req); got.Spec.ClusterIP != taken {
		t.Fatalf("asked for the freed %s, got %s", taken, got.Spec.ClusterIP)
	}

	for _, tt := range []struct{ ip, want string }{
		{"10.97.0.5", `spec.clusterIP: Invalid value: "10.97.0.5": provided IP is not in the valid range. The range of valid IPs is 10.96.0.0/16`},
		{"10.96.0.1", `spec.clusterIP: Invalid value: "10.96.0.1": provided IP is reserved`},
		{"nope", `spec.clusterIP: Invalid value: "nope"`},
	} {
		bad := newService("default", "bad", "")
		bad.Spec.ClusterIP = tt.ip
		_, err := ts.client.Create(ctx, bad)
		wantInvalid(t, err, tt.want)
	}
	v6 := newService("default", "v6", "")
	v6.Spec.IPFamilies = []string{"IPv6"}
	_, err = ts.client.Create(ctx, v6)
	wantInvalid(t, err, `spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster`)

	headless := newService("default", "headless", "")
	headless.Spec.ClusterIP = "None"
	if got := mustCreateService(t, ts, headless); got.Spec.ClusterIP != "None" || len(got.Spec.ClusterIPs) != 1 || got.Spec.ClusterIPs[0] != "None" {
		t.Fatalf("headless: clusterIP %q clusterIPs %v, want None", got.Spec.ClusterIP, got.Spec.ClusterIPs)
	}
	ext := newService("default", "ext", api.ServiceTypeExternalName)
	ext.Spec.ExternalName = "db.example.com"
	if got := mustCreateService(t, ts, ext); got.Spec.ClusterIP != "" || len(got.Spec.ClusterIPs) != 0 || got.Spec.IPFamilyPolicy != nil {
		t.Fatalf("ExternalName: clusterIP %q clusterIPs %v policy %v, want none", got.Spec.ClusterIP, got.Spec.ClusterIPs, got.Spec.IPFamilyPolicy)
	}

	// Updates: a manifest without the address keeps it; another address is refused.
	again := newService("default", "s1", "")
	again.Labels = map[string]string{"v": "2"}
	got, err := ts.client.Update(ctx, again)
	if err != nil {
		t.Fatalf("update without clusterIP: %v", err)
	}
	s1IP := got.(*api.Service).Spec.ClusterIP
	if s1IP == "" || seen[s1IP] != "s1" {
		t.Fatalf("update changed the cluster IP to %q", s1IP)
	}
	moved := newService("default", "s1", "")
	moved.Spec.ClusterIP = "10.96.200.200"
	_, err = ts.client.Update(ctx, moved)
	wantInvalid(t, err, `spec.clusterIP: Invalid value: "10.96.200.200": field is immutable`)

	// ExternalName and back: the address is released, then a new one assigned.
	toExt := newService("default", "s1", api.ServiceTypeExternalName)
	toExt.Spec.ExternalName = "x.example.com"
	got, err = ts.client.Update(ctx, toExt)
	if err != nil {
		t.Fatalf("update to ExternalName: %v", err)
	}
	if sp := got.(*api.Service).Spec; sp.ClusterIP != "" || len(sp.ClusterIPs) != 0 {
		t.Fatalf("ExternalName kept clusterIP %q %v", sp.ClusterIP, sp.ClusterIPs)
	}
	takeOver := newService("default", "takes-s1", "")
	takeOver.Spec.ClusterIP = s1IP
	mustCreateService(t, ts, takeOver)
	got, err = ts.client.Update(ctx, newService("default", "s1", ""))
	if err != nil {
		t.Fatalf("update back to ClusterIP: %v", err)
	}
	if ip := got.(*api.Service).Spec.ClusterIP; ip == "" || ip == s1IP || seen[ip] != "" {
		t.Fatalf("back to ClusterIP got %q, want a new free address", ip)
	}

	st, err := ts.client.ServerStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.ServiceCIDR != "10.96.0.0/16" || st.ClusterCIDR != "10.244.0.0/16" || st.ServiceNodePortRange != "30000-32767" {
		t.Fatalf("status networks = %q %q %q", st.ServiceCIDR, st.ClusterCIDR, st.ServiceNodePortRange)
	}
}

// TestServiceClusterIPsConcurrent: Services created at once never share an address,
// and a full range says so.
func TestServiceClusterIPsConcurrent(t *testing.T) {
	ts := mustStartServer(t, func(c *Config) { c.ServiceCIDR = "10.97.0.0/27" }) // 29 usable
	const n = 29
	createConcurrently(t, n, "c", func(i int) (string, error) {
		got, err := ts.client.Create(context.Background(), newService("default", fmt.Sprintf("c%d", i), ""))
		if err != nil {
			return "", err
		}
		return got.(*api.Service).Spec.ClusterIP, nil
	})
	_, err := ts.client.Create(context.Background(), newService("default", "one-too-many", ""))
	wantInvalid(t, err, "spec.clusterIP: Forbidden: no cluster IP is free in the service CIDR 10.97.0.0/27")
}

func nodePortsOf(o api.Object) []int32 {
	var out []int32
	for _, p := range o.(*api.Service).Spec.Ports {
		out = append(out, p.NodePort)
	}
	return out
}

// TestServiceNodePorts: allocated in the range, requested, refused when taken or
// outside, kept by a re-applied manifest, released by a type change.
func TestServiceNodePorts(t *testing.T) {
	ts := mustStartServer(t, func(c *Config) { c.ServiceNodePortRange = "31000-31099" })
	ctx := context.Background()

	a := mustCreateService(t, ts, newService("default", "a", api.ServiceTypeNodePort, 80, 443))
	for _, np := range nodePortsOf(a) {
		if np < 31000 || np > 31099 {
			t.Fatalf("a got node ports %v, outside 31000-31099", nodePortsOf(a))
		}
	}
	if np := nodePortsOf(a); np[0] == np[1] {
		t.Fatalf("a's two ports share node port %d", np[0])
	}

	b := newService("default", "b", api.ServiceTypeNodePort, 80)
	b.Spec.Ports[0].NodePort = 31050
	if got := nodePortsOf(mustCreateService(t, ts, b)); got[0] != 31050 {
		t.Fatalf("b asked for 31050, got %v", got)
	}
	clash := newService("default", "clash", api.ServiceTypeNodePort, 80)
	clash.Spec.Ports[0].NodePort = 31050
	_, err := ts.client.Create(ctx, clash)
	wantInvalid(t, err, "spec.ports[0].nodePort: Invalid value: 31050: provided port is already allocated")
	clash.Spec.Ports[0].NodePort = 30080
	_, err = ts.client.Create(ctx, clash)
	wantInvalid(t, err, "spec.ports[0].nodePort: Invalid value: 30080: provided port is not in the valid range. The range of valid ports is 31000-31099")

	// A re-applied manifest without node ports keeps them (matched by port name).
	re := newService("default", "a", api.ServiceTypeNodePort, 80, 443)
	re.Labels = map[string]string{"v": "2"}
	got, err := ts.client.Update(ctx, re)
	if err != nil {
		t.Fatalf("re-apply a: %v", err)
	}
	if fmt.Sprint(nodePortsOf(got)) != fmt.Sprint(nodePortsOf(a)) {
		t.Fatalf("re-apply changed node ports %v -> %v", nodePortsOf(a), nodePortsOf(got))
	}

	// NodePort -> ClusterIP releases b's port; ClusterIP -> NodePort allocates one.
	got, err = ts.client.Update(ctx, newService("default", "b", api.ServiceTypeClusterIP, 80))
	if err != nil {
		t.Fatalf("b to ClusterIP: %v", err)
	}
	if np := nodePortsOf(got); np[0] != 0 {
		t.Fatalf("b as ClusterIP kept node port %d", np[0])
	}
	if got := nodePortsOf(mustCreateService(t, ts, withNodePort(clash, 31050))); got[0] != 31050 {
		t.Fatalf("the freed 31050 was not given: %v", got)
	}
	got, err = ts.client.Update(ctx, newService("default", "b", api.ServiceTypeNodePort, 80))
	if err != nil {
		t.Fatalf("b back to NodePort: %v", err)
	}
	if np := nodePortsOf(got)[0]; np < 31000 || np > 31099 || np == 31050 {
		t.Fatalf("b back to NodePort got %d", np)
	}
	// Asking for another Service's port on update is refused too.
	steal := newService("default", "b", api.ServiceTypeNodePort, 80)
	steal.Spec.Ports[0].NodePort = nodePortsOf(a)[0]
	_, err = ts.client.Update(ctx, steal)
	wantInvalid(t, err, fmt.Sprintf("spec.ports[0].nodePort: Invalid value: %d: provided port is already allocated", nodePortsOf(a)[0]))

	// The node port stays free for others when the whole Service goes.
	if _, err := ts.client.Delete(ctx, mustRes(t, "Service"), "default", "a", api.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	reuse := newService("default", "reuse", api.ServiceTypeNodePort, 80)
	reuse.Spec.Ports[0].NodePort = nodePortsOf(a)[0]
	mustCreateService(t, ts, reuse)

	ext := newService("default", "ext-np", api.ServiceTypeExternalName, 80)
	ext.Spec.ExternalName = "x.example.com"
	ext.Spec.Ports[0].NodePort = 31090
	_, err = ts.client.Create(ctx, ext)
	wantInvalid(t, err, "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ExternalName'")
}

// withNodePort returns a copy of svc whose first port asks for np.
func withNodePort(svc *api.Service, np int32) *api.Service {
	c := api.DeepCopy(svc).(*api.Service)
	c.Spec.Ports[0].NodePort = np
	return c
}

// TestServiceEndpoints: the leader runs the endpoints controller: a Ready pod the
// Service selects shows up in its Endpoints.
func TestServiceEndpoints(t *testing.T) {
	ts := mustStartServer(t, nil)
	ctx := context.Background()
	mustCreateService(t, ts, newService("default", "web", ""))
	pod := newPod("default", "web-1")
	pod.Labels = map[string]string{"app": "web"}
	pod.Spec.NodeName = "n1"
	created, err := ts.client.Create(ctx, pod)
	if err != nil {
		t.Fatal(err)
	}
	p := created.(*api.Pod)
	p.Status.Phase, p.Status.PodIP = api.PodRunning, "10.244.0.5"
	p.Status.Conditions = []api.PodCondition{{Type: api.PodReady, Status: "True"}}
	if _, err := ts.client.UpdateStatus(ctx, p); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "endpoints of web", func() error {
		o, err := ts.client.Get(ctx, mustRes(t, "Endpoints"), "default", "web", api.GetOptions{})
		if err != nil {
			return err
		}
		ep := o.(*api.Endpoints)
		if len(ep.Subsets) != 1 || len(ep.Subsets[0].Addresses) != 1 || ep.Subsets[0].Addresses[0].IP != "10.244.0.5" ||
			ep.Subsets[0].Ports[0].Port != 80 {
			return fmt.Errorf("endpoints %+v", ep.Subsets)
		}
		return nil
	})
}

// FuzzAdmitService: no Service that passes api validation makes admission panic,
// and an admitted one has a cluster IP exactly when it should.
func FuzzAdmitService(f *testing.F) {
	for _, m := range []string{
		"apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: d}\nspec: {ports: [{port: 80}]}\n",
		"apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: d}\nspec: {type: NodePort, ports: [{port: 80, nodePort: 30001}, {name: b, port: 81, protocol: UDP, nodePort: 30001}]}\n",
		"apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: d}\nspec: {clusterIP: None, clusterIPs: [None], ipFamilyPolicy: RequireDualStack}\n",
		"apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: d}\nspec: {clusterIPs: [10.96.0.9, fd00::1], ipFamilies: [IPv4, IPv6], ports: [{port: 80}]}\n",
		"apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: d}\nspec: {type: ExternalName, externalName: a.b, clusterIPs: [x]}\n",
		"apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: d}\nspec: {type: LoadBalancer, allocateLoadBalancerNodePorts: false, ports: [{port: 80, nodePort: 30002}]}\n",
	} {
		f.Add([]byte(m))
	}
	s := &Server{
		fsm:        raftfsm.New(raftfsm.DefaultConfig()),
		serviceIPs: newServiceIPAllocator(netip.MustParsePrefix("10.96.0.0/28")),
		nodePorts:  newNodePortAllocator(portRange{30000, 30009}),
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := api.DecodeManifests(data)
		if err != nil {
			return
		}
		for _, o := range objs {
			svc, ok := o.(*api.Service)
			if !ok {
				continue
			}
			api.Default(svc)
			if api.Validate(svc) != nil {
				continue
			}
			var held reservations
			err := s.admitService(nil, svc, &held)
			held.release()
			if err != nil {
				continue
			}
			hasIP := svc.Spec.ClusterIP != "" && svc.Spec.ClusterIP != api.ClusterIPNone
			if hasIP != (svc.Spec.Type != api.ServiceTypeExternalName && svc.Spec.ClusterIP != api.ClusterIPNone) {
				t.Fatalf("admitted %+v", svc.Spec)
			}
		}
	})
}
