package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

func testService(name string, selector map[string]string, ports ...api.ServicePort) *api.Service {
	svc := &api.Service{}
	svc.Name, svc.Namespace = name, "default"
	svc.Spec.Selector = selector
	svc.Spec.Ports = ports
	svc.Spec.ClusterIP = "10.96.0.10"
	return svc
}

func servicePort(name string, port int32, target api.IntOrString) api.ServicePort {
	return api.ServicePort{Name: name, Port: port, TargetPort: target}
}

// testPod is a pod of the default namespace; ports are container ports "name=number".
func testPod(name string, labels map[string]string, ports ...string) *api.Pod {
	p := &api.Pod{}
	p.Name, p.Namespace = name, "default"
	p.Labels = labels
	c := api.Container{Name: "app", Image: "web:1"}
	for _, s := range ports {
		var cp api.ContainerPort
		if n, _ := fmt.Sscanf(strings.Replace(s, "=", " ", 1), "%s %d", &cp.Name, &cp.ContainerPort); n != 2 {
			panic("bad port " + s)
		}
		c.Ports = append(c.Ports, cp)
	}
	p.Spec.Containers = []api.Container{c}
	return p
}

// podStatus plays the node agent: binds the pod to n1 and reports its IP and
// readiness.
func podStatus(t *testing.T, h *harness, name, ip string, ready bool) {
	t.Helper()
	p := h.get("Pod", "default", name).(*api.Pod)
	if p.Spec.NodeName == "" {
		h.runPod(p, "n1", ready)
		p = h.get("Pod", "default", name).(*api.Pod)
	}
	p.Status.Phase = api.PodRunning
	p.Status.PodIP = ip
	status := "False"
	if ready {
		status = "True"
	}
	p.Status.Conditions = []api.PodCondition{{Type: api.PodReady, Status: status}}
	if _, err := h.UpdateStatus(context.Background(), p); err != nil {
		t.Fatalf("status of %s: %v", name, err)
	}
}

func getEndpoints(h *harness, name string) *api.Endpoints {
	o := h.get("Endpoints", "default", name)
	if o == nil {
		return nil
	}
	return o.(*api.Endpoints)
}

// showEndpoints prints an Endpoints compactly: per subset, the ready addresses (by
// pod name, with the hostname after a colon), then "~" and the not-ready ones, then
// the ports. "<absent>" when there is no object.
func showEndpoints(ep *api.Endpoints) string {
	if ep == nil {
		return "<absent>"
	}
	names := func(as []api.EndpointAddress) string {
		var out []string
		for _, a := range as {
			s := a.IP
			if a.TargetRef != nil {
				s = a.TargetRef.Name
			}
			if a.Hostname != "" {
				s += ":" + a.Hostname
			}
			out = append(out, s)
		}
		return strings.Join(out, ",")
	}
	var parts []string
	for _, s := range ep.Subsets {
		var ports []string
		for _, p := range s.Ports {
			ports = append(ports, fmt.Sprintf("%s=%d", p.Name, p.Port))
		}
		parts = append(parts, fmt.Sprintf("[%s ~ %s | %s]", names(s.Addresses), names(s.NotReadyAddresses), strings.Join(ports, ",")))
	}
	return strings.Join(parts, " ")
}

func waitEndpoints(t *testing.T, h *harness, name, want string) {
	t.Helper()
	var last string
	deadline := time.Now().Add(10 * time.Second)
	for {
		if last = showEndpoints(getEndpoints(h, name)); last == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("endpoints %s = %s, want %s", name, last, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func startEndpoints(h *harness) {
	h.run(NewEndpointsController(h.env()))
}

// TestEndpointsFollowReadiness: Ready pods are addresses, the others
// notReadyAddresses, pods without an IP, of other labels or terminating are left
// out, and a pod turning unready leaves the addresses at once.
func TestEndpointsFollowReadiness(t *testing.T) {
	h := newHarness(t)
	svc := testService("web", map[string]string{"app": "web"}, servicePort("", 80, api.FromInt(8080)))
	svc.Labels = map[string]string{"team": "a"}
	h.mustCreate(svc)
	for _, name := range []string{"w1", "w2", "w3", "other"} {
		labels := map[string]string{"app": "web"}
		if name == "other" {
			labels = map[string]string{"app": "db"}
		}
		h.mustCreate(testPod(name, labels))
	}
	podStatus(t, h, "w1", "10.244.1.5", true)
	podStatus(t, h, "w2", "10.244.1.6", false)
	podStatus(t, h, "other", "10.244.1.7", true)
	startEndpoints(h)
	waitEndpoints(t, h, "web", "[w1 ~ w2 | =8080]")

	ep := getEndpoints(h, "web")
	a := ep.Subsets[0].Addresses[0]
	w1 := h.get("Pod", "default", "w1").(*api.Pod)
	if a.IP != "10.244.1.5" || a.NodeName == nil || *a.NodeName != "n1" || a.TargetRef.Kind != "Pod" ||
		a.TargetRef.Namespace != "default" || a.TargetRef.UID != w1.UID || ep.Subsets[0].Ports[0].Protocol != "TCP" {
		t.Fatalf("address %+v (targetRef %+v) ports %+v", a, a.TargetRef, ep.Subsets[0].Ports)
	}
	if ep.Labels["team"] != "a" || ep.Annotations[annotationLastChange] == "" {
		t.Fatalf("labels %v annotations %v: want the service's labels and the last-change time", ep.Labels, ep.Annotations)
	}

	podStatus(t, h, "w2", "10.244.1.6", true)
	waitEndpoints(t, h, "web", "[w1,w2 ~  | =8080]")
	start := time.Now()
	podStatus(t, h, "w1", "10.244.1.5", false)
	waitEndpoints(t, h, "web", "[w2 ~ w1 | =8080]")
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("an unready pod left the addresses after %v, want under 2 s", d)
	}
	podStatus(t, h, "w3", "10.244.1.8", true)
	waitEndpoints(t, h, "web", "[w2,w3 ~ w1 | =8080]")

	// Terminating pods leave; a label change takes a pod out.
	if err := h.Delete(context.Background(), resOf(&api.Pod{}), "default", "w3", DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitEndpoints(t, h, "web", "[w2 ~ w1 | =8080]")
	relabel := h.get("Pod", "default", "w1").(*api.Pod)
	relabel.Labels = map[string]string{"app": "other"}
	if _, err := h.Update(context.Background(), relabel); err != nil {
		t.Fatal(err)
	}
	waitEndpoints(t, h, "web", "[w2 ~  | =8080]")
	if err := h.Delete(context.Background(), resOf(&api.Pod{}), "default", "w2", DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitEndpoints(t, h, "web", "")
}

// TestEndpointsWriteOnlyChanges: a sync that finds the Endpoints right writes
// nothing.
func TestEndpointsWriteOnlyChanges(t *testing.T) {
	h := newHarness(t)
	h.mustCreate(testService("web", map[string]string{"app": "web"}, servicePort("", 80, api.FromInt(8080))))
	h.mustCreate(testPod("w1", map[string]string{"app": "web"}))
	podStatus(t, h, "w1", "10.244.1.5", true)
	c := NewEndpointsController(h.env())
	h.run(c)
	waitEndpoints(t, h, "web", "[w1 ~  | =8080]")
	rv := getEndpoints(h, "web").ResourceVersion
	for range 3 {
		if err := c.sync(context.Background(), "default/web"); err != nil {
			t.Fatalf("sync: %v", err)
		}
	}
	if got := getEndpoints(h, "web").ResourceVersion; got != rv {
		t.Fatalf("resourceVersion %s -> %s with nothing changed", rv, got)
	}
}

// TestEndpointsNamedTargetPort: a named targetPort resolves per pod; a pod without
// the name is left out of that port only.
func TestEndpointsNamedTargetPort(t *testing.T) {
	h := newHarness(t)
	h.mustCreate(testService("web", map[string]string{"app": "web"},
		servicePort("http", 80, api.FromString("web")), servicePort("metrics", 9090, api.FromInt(0))))
	h.mustCreate(testPod("a", map[string]string{"app": "web"}, "web=8080"))
	h.mustCreate(testPod("b", map[string]string{"app": "web"}, "web=8081"))
	h.mustCreate(testPod("c", map[string]string{"app": "web"}, "other=7000"))
	udp := testPod("d", map[string]string{"app": "web"}, "web=8082")
	udp.Spec.Containers[0].Ports[0].Protocol = "UDP"
	h.mustCreate(udp)
	for i, name := range []string{"a", "b", "c", "d"} {
		podStatus(t, h, name, fmt.Sprintf("10.244.1.%d", 10+i), true)
	}
	startEndpoints(h)
	waitEndpoints(t, h, "web", "[a ~  | http=8080,metrics=9090] [b ~  | http=8081,metrics=9090] [c,d ~  | metrics=9090]")
}

// TestEndpointsPublishNotReady: every pod is an address, terminating ones too.
func TestEndpointsPublishNotReady(t *testing.T) {
	h := newHarness(t)
	svc := testService("peers", map[string]string{"app": "db"}, servicePort("", 5432, api.FromInt(5432)))
	svc.Spec.PublishNotReadyAddresses = true
	h.mustCreate(svc)
	for i, name := range []string{"db-0", "db-1"} {
		h.mustCreate(testPod(name, map[string]string{"app": "db"}))
		podStatus(t, h, name, fmt.Sprintf("10.244.2.%d", i+1), i == 0)
	}
	startEndpoints(h)
	waitEndpoints(t, h, "peers", "[db-0,db-1 ~  | =5432]")
	if err := h.Delete(context.Background(), resOf(&api.Pod{}), "default", "db-1", DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if p := h.get("Pod", "default", "db-1").(*api.Pod); p.DeletionTimestamp == nil {
		t.Fatal("db-1 is not terminating")
	}
	waitEndpoints(t, h, "peers", "[db-0,db-1 ~  | =5432]")
}

// TestEndpointsHostname: a pod whose subdomain is the Service gets its hostname
// listed; a headless Service without ports lists bare addresses.
func TestEndpointsHostname(t *testing.T) {
	h := newHarness(t)
	svc := testService("db", map[string]string{"app": "db"})
	svc.Spec.ClusterIP = api.ClusterIPNone
	h.mustCreate(svc)
	for i, name := range []string{"db-0", "db-1", "db-2"} {
		p := testPod(name, map[string]string{"app": "db"})
		p.Spec.Hostname = name
		p.Spec.Subdomain = "db"
		if name == "db-2" {
			p.Spec.Subdomain = "elsewhere"
		}
		h.mustCreate(p)
		podStatus(t, h, name, fmt.Sprintf("10.244.3.%d", i+1), true)
	}
	startEndpoints(h)
	waitEndpoints(t, h, "db", "[db-0:db-0,db-1:db-1,db-2 ~  | ]")
	if _, ok := getEndpoints(h, "db").Labels[labelHeadless]; !ok {
		t.Fatalf("headless endpoints labels = %v, want %s", getEndpoints(h, "db").Labels, labelHeadless)
	}
}

// TestEndpointsServiceLifecycle: the Endpoints go with their Service, come back when
// deleted, follow a selector change; a Service without selector keeps its user's
// Endpoints, which go with it; leftovers of a Service deleted while no controller
// ran go unless a user wrote them.
func TestEndpointsServiceLifecycle(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	epRes := resOf(&api.Endpoints{})
	svcRes := resOf(&api.Service{})

	user := &api.Endpoints{Subsets: []api.EndpointSubset{{Addresses: []api.EndpointAddress{{IP: "192.168.1.10"}}, Ports: []api.EndpointPort{{Port: 5432}}}}}
	user.Name, user.Namespace = "external-db", "default"
	h.mustCreate(testService("external-db", nil, servicePort("", 5432, api.FromInt(5432))))
	userRV := h.mustCreate(user).GetObjectMeta().ResourceVersion
	orphanUser := api.DeepCopy(user).(*api.Endpoints)
	orphanUser.Name = "orphan-user"
	h.mustCreate(orphanUser)
	leftover := api.DeepCopy(user).(*api.Endpoints)
	leftover.Name = "leftover"
	leftover.Annotations = map[string]string{annotationLastChange: "2024-01-01T00:00:00Z"}
	h.mustCreate(leftover)

	h.mustCreate(testService("web", map[string]string{"app": "web"}, servicePort("", 80, api.FromInt(8080))))
	h.mustCreate(testPod("w1", map[string]string{"app": "web", "track": "stable"}))
	h.mustCreate(testPod("w2", map[string]string{"app": "web", "track": "canary"}))
	podStatus(t, h, "w1", "10.244.1.5", true)
	podStatus(t, h, "w2", "10.244.1.6", true)
	startEndpoints(h)
	waitEndpoints(t, h, "web", "[w1,w2 ~  | =8080]")
	waitEndpoints(t, h, "leftover", "<absent>")

	// Someone deletes them: they come back.
	if err := h.Delete(ctx, epRes, "default", "web", DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitEndpoints(t, h, "web", "[w1,w2 ~  | =8080]")

	// A new selector picks other pods.
	svc := h.get("Service", "default", "web").(*api.Service)
	svc.Spec.Selector = map[string]string{"app": "web", "track": "canary"}
	if _, err := h.Update(ctx, svc); err != nil {
		t.Fatal(err)
	}
	waitEndpoints(t, h, "web", "[w2 ~  | =8080]")

	if err := h.Delete(ctx, svcRes, "default", "web", DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitEndpoints(t, h, "web", "<absent>")

	// The user's Endpoints of the selector-less Service were never touched.
	if ep := getEndpoints(h, "external-db"); ep == nil || ep.ResourceVersion != userRV || showEndpoints(ep) != "[192.168.1.10 ~  | =5432]" {
		t.Fatalf("user endpoints changed: %+v", ep)
	}
	if getEndpoints(h, "orphan-user") == nil {
		t.Fatal("user endpoints without a service were deleted")
	}
	if err := h.Delete(ctx, svcRes, "default", "external-db", DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitEndpoints(t, h, "external-db", "<absent>")
}

func TestDesiredEndpointsTruncates(t *testing.T) {
	svc := testService("big", map[string]string{"app": "big"}, servicePort("", 80, api.FromInt(80)))
	var pods []*api.Pod
	for i := range maxEndpointAddresses + 5 {
		p := testPod(fmt.Sprintf("p%04d", i), map[string]string{"app": "big"})
		p.Status.PodIP = fmt.Sprintf("10.244.%d.%d", i/250, i%250+1)
		if i%2 == 0 {
			p.Status.Conditions = []api.PodCondition{{Type: api.PodReady, Status: "True"}}
		}
		pods = append(pods, p)
	}
	ep := desiredEndpoints(svc, pods)
	ready, notReady := len(ep.Subsets[0].Addresses), len(ep.Subsets[0].NotReadyAddresses)
	if ready != (maxEndpointAddresses+6)/2 || ready+notReady != maxEndpointAddresses || ep.Annotations[annotationOverCapacity] != "truncated" {
		t.Fatalf("%d ready + %d not ready, annotations %v; want every ready one, %d in all, truncated",
			ready, notReady, ep.Annotations, maxEndpointAddresses)
	}
	if ep := desiredEndpoints(svc, pods[:10]); ep.Annotations != nil {
		t.Fatalf("annotations %v under the cap", ep.Annotations)
	}
}

func TestServiceIndex(t *testing.T) {
	x := newServiceIndex()
	x.setService("default", "web", map[string]string{"app": "web"})
	x.setService("default", "all-web", map[string]string{"tier": "fe"})
	x.setService("other", "web", map[string]string{"app": "web"})
	p := testPod("w1", map[string]string{"app": "web", "tier": "fe"})
	p.Status.PodIP = "10.244.1.5"
	tests := []struct {
		name string
		pod  *api.Pod // nil: deleted
		want string
	}{
		{"new pod queues both selecting services of its namespace", p, "all-web,web"},
		{"same pod again queues nothing", p, ""},
		{"a restart count queues nothing", withStatus(p, func(s *api.PodStatus) {
			s.ContainerStatuses = []api.ContainerStatus{{Name: "app", RestartCount: 1}}
		}), ""},
		{"readiness queues both", withStatus(p, func(s *api.PodStatus) {
			s.Conditions = []api.PodCondition{{Type: api.PodReady, Status: "True"}}
		}), "all-web,web"},
		{"a label change queues the services it leaves and stays in", withLabels(p, map[string]string{"tier": "fe"}), "all-web,web"},
		{"deleted queues those that selected it", nil, "all-web"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := x.setPod("default", "w1", tt.pod)
			slices.Sort(got)
			if strings.Join(got, ",") != tt.want {
				t.Fatalf("setPod queued %v, want %s", got, tt.want)
			}
		})
	}
	x.setPod("default", "w2", withLabels(p, map[string]string{"app": "web"}))
	x.setService("default", "web", map[string]string{"app": "web"}) // unchanged: kept
	if n := len(x.podsOf("default", "web")); n != 1 {
		t.Fatalf("web has %d pods, want 1", n)
	}
	// A pod the store lost is forgotten, unless a newer version came meanwhile.
	w2 := x.podsOf("default", "web")[0]
	x.forgetPod("default", "w2", withLabels(p, nil))
	if n := len(x.podsOf("default", "web")); n != 1 {
		t.Fatalf("forgot a pod of another version: web has %d pods", n)
	}
	x.forgetPod("default", "w2", w2)
	if n := len(x.podsOf("default", "web")); n != 0 {
		t.Fatalf("web has %d pods after forgetting its only one", n)
	}
	x.setService("default", "web", nil)
	if pods := x.podsOf("default", "web"); pods != nil {
		t.Fatalf("a forgotten service has pods %v", pods)
	}
}

func withStatus(p *api.Pod, f func(*api.PodStatus)) *api.Pod {
	c := api.DeepCopy(p).(*api.Pod)
	f(&c.Status)
	return c
}

func withLabels(p *api.Pod, labels map[string]string) *api.Pod {
	c := api.DeepCopy(p).(*api.Pod)
	c.Labels = labels
	return c
}

// BenchmarkServiceIndexPodEvent is the cost of one pod event with 30,000 pods and
// 300 Services (100 pods each) in one namespace.
func BenchmarkServiceIndexPodEvent(b *testing.B) {
	x := newServiceIndex()
	for i := range 300 {
		x.setService("default", fmt.Sprintf("s%d", i), map[string]string{"app": fmt.Sprintf("a%d", i)})
	}
	pods := make([]*api.Pod, 30000)
	for i := range pods {
		p := testPod(fmt.Sprintf("p%d", i), map[string]string{"app": fmt.Sprintf("a%d", i%300)})
		p.Status.PodIP = fmt.Sprintf("10.%d.%d.%d", i/65536, i/256%256, i%256)
		pods[i] = p
		x.setPod("default", p.Name, p)
	}
	ready := make([]*api.Pod, len(pods))
	for i, p := range pods {
		ready[i] = withStatus(p, func(s *api.PodStatus) {
			s.Conditions = []api.PodCondition{{Type: api.PodReady, Status: "True"}}
		})
	}
	b.ResetTimer()
	for i := range b.N {
		j := i % len(pods)
		p := pods[j]
		if i/len(pods)%2 == 0 {
			p = ready[j]
		}
		if got := x.setPod("default", p.Name, p); len(got) != 1 {
			b.Fatalf("pod event queued %v", got)
		}
	}
}
