package server

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

func mustCreateObj(t *testing.T, ts *testServer, doc string) api.Object {
	t.Helper()
	out, err := ts.client.Create(context.Background(), mustDecodeObject(t, doc))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return out
}

// quotaPodDoc is a pod of the default namespace; resources is the container's
// resources as YAML flow ("" for none).
func quotaPodDoc(name, resources string) string {
	if resources == "" {
		resources = "{}"
	}
	return fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata: {name: %s, namespace: default}\n"+
		"spec: {containers: [{name: app, image: busybox, resources: %s}]}\n", name, resources)
}

// storedNames lists the names of a kind in the default namespace, read through
// the leader.
func storedNames(t *testing.T, ts *testServer, kind string) []string {
	t.Helper()
	l, err := ts.client.List(context.Background(), mustRes(t, kind), "default", api.ListOptions{Consistent: true})
	if err != nil {
		t.Fatalf("list %s: %v", kind, err)
	}
	objs, err := l.Objects()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range objs {
		out = append(out, meta(o).Name)
	}
	return out
}

// wantForbidden fails unless err is a 403 whose message is want exactly.
func wantForbidden(t *testing.T, err error, want string) {
	t.Helper()
	wantReason(t, err, api.ReasonForbidden)
	if got := err.(*api.Error).Status.Message; got != want {
		t.Fatalf("message\n %q\nwant\n %q", got, want)
	}
}

// TestQuotaRefusesTheCreateThatWouldExceed: the pod past the quota fails with 403
// naming the quota and the amounts, and the store is as it was before.
func TestQuotaRefusesTheCreateThatWouldExceed(t *testing.T) {
	ts := mustStartServer(t, nil)
	ctx := context.Background()
	mustCreateObj(t, ts, "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: compute-quota, namespace: default}\nspec: {hard: {pods: '3', cpu: '4'}}\n")
	mustCreateObj(t, ts, quotaPodDoc("a", "{requests: {cpu: '1'}}"))
	mustCreateObj(t, ts, quotaPodDoc("b", "{requests: {cpu: '2'}}"))
	before := storedNames(t, ts, "Pod")

	_, err := ts.client.Create(ctx, mustDecodeObject(t, quotaPodDoc("x", "{requests: {cpu: '2'}}")))
	wantForbidden(t, err, `pods "x" is forbidden: exceeded quota: compute-quota, requested: cpu=2, used: cpu=3, limited: cpu=4`)
	if after := storedNames(t, ts, "Pod"); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Fatalf("pods %v after the refused create, want %v", after, before)
	}
	_, err = ts.client.Get(ctx, mustRes(t, "Pod"), "default", "x", api.GetOptions{Consistent: true})
	wantReason(t, err, api.ReasonNotFound)

	// What fits still goes in, up to the pod count.
	mustCreateObj(t, ts, quotaPodDoc("c", "{requests: {cpu: '1'}}"))
	_, err = ts.client.Create(ctx, mustDecodeObject(t, quotaPodDoc("d", "{requests: {cpu: 0}}")))
	wantForbidden(t, err, `pods "d" is forbidden: exceeded quota: compute-quota, requested: pods=1, used: pods=3, limited: pods=3`)
	if n := ts.s.quotas.pending(); n != 0 {
		t.Errorf("%d quota claims left after every write returned", n)
	}
}

// TestQuotaMustSpecify: a quota capping requests.cpu refuses a pod whose
// containers do not request cpu, as Kubernetes does.
func TestQuotaMustSpecify(t *testing.T) {
	ts := mustStartServer(t, nil)
	mustCreateObj(t, ts, "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: compute-quota, namespace: default}\nspec: {hard: {requests.cpu: '4'}}\n")
	_, err := ts.client.Create(context.Background(), mustDecodeObject(t, quotaPodDoc("x", "")))
	wantForbidden(t, err, `pods "x" is forbidden: failed quota: compute-quota: must specify requests.cpu for: app`)
	mustCreateObj(t, ts, quotaPodDoc("limited", "{limits: {cpu: 500m}}")) // the limit is the request
}

// TestQuotaRaceForTheLastSlots: creates racing for a quota's slots; exactly as
// many as it allows succeed, the others are refused naming the quota.
func TestQuotaRaceForTheLastSlots(t *testing.T) {
	ts := mustStartServer(t, nil)
	mustCreateObj(t, ts, "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: pod-quota, namespace: default}\nspec: {hard: {pods: '3'}}\n")
	const racers = 12
	var wg sync.WaitGroup
	errs := make([]error, racers)
	start := make(chan struct{})
	for i := range racers {
		wg.Go(func() {
			<-start
			_, errs[i] = ts.client.Create(context.Background(), mustDecodeObject(t, quotaPodDoc(fmt.Sprintf("p%d", i), "")))
		})
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case api.ReasonOf(err) != api.ReasonForbidden || !strings.Contains(err.Error(), "exceeded quota: pod-quota"):
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 3 {
		t.Errorf("%d creates succeeded, want 3", ok)
	}
	if names := storedNames(t, ts, "Pod"); len(names) != 3 {
		t.Errorf("stored pods %v, want 3", names)
	}
}

// TestQuotaFinishedPodsDoNotCount: a pod that Succeeded frees its slot.
func TestQuotaFinishedPodsDoNotCount(t *testing.T) {
	ts := mustStartServer(t, nil)
	ctx := context.Background()
	mustCreateObj(t, ts, "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q, namespace: default}\nspec: {hard: {pods: '1'}}\n")
	mustCreateObj(t, ts, quotaPodDoc("done", ""))
	_, err := ts.client.Create(ctx, mustDecodeObject(t, quotaPodDoc("next", "")))
	wantReason(t, err, api.ReasonForbidden)
	// The scheduler may write the pod's status meanwhile: read, change, retry.
	waitFor(t, 10*time.Second, "the pod to be marked Succeeded", func() error {
		o, err := ts.client.Get(ctx, mustRes(t, "Pod"), "default", "done", api.GetOptions{Consistent: true})
		if err != nil {
			return err
		}
		p := o.(*api.Pod)
		p.Status.Phase = api.PodSucceeded
		_, err = ts.client.UpdateStatus(ctx, p)
		return err
	})
	mustCreateObj(t, ts, quotaPodDoc("next", ""))

	// The quota is full again; a label change of the finished pod, sent without its
	// status, does not count it again.
	o, err := ts.client.Get(ctx, mustRes(t, "Pod"), "default", "done", api.GetOptions{Consistent: true})
	if err != nil {
		t.Fatal(err)
	}
	p := o.(*api.Pod)
	p.Labels, p.Status, p.ResourceVersion = map[string]string{"seen": "yes"}, api.PodStatus{}, ""
	if _, err := ts.client.Update(ctx, p); err != nil {
		t.Fatalf("label update of a finished pod: %v", err)
	}
}

// TestQuotaCountsServicesAndSecrets: services, services.nodeports (also when an
// update turns a Service NodePort), secrets and count/<resource>.
func TestQuotaCountsServicesAndSecrets(t *testing.T) {
	ts := mustStartServer(t, nil)
	ctx := context.Background()
	mustCreateObj(t, ts, "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: objects, namespace: default}\n"+
		"spec: {hard: {services: '1', services.nodeports: '0', secrets: '1', count/configmaps: '1'}}\n")
	svc := mustCreateObj(t, ts, "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\nspec: {ports: [{port: 80}]}\n").(*api.Service)
	_, err := ts.client.Create(ctx, mustDecodeObject(t, "apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: default}\nspec: {ports: [{port: 80}]}\n"))
	wantForbidden(t, err, `services "api" is forbidden: exceeded quota: objects, requested: services=1, used: services=1, limited: services=1`)

	svc.Spec.Type = api.ServiceTypeNodePort
	_, err = ts.client.Update(ctx, svc)
	wantForbidden(t, err, `services "web" is forbidden: exceeded quota: objects, requested: services.nodeports=1, used: services.nodeports=0, limited: services.nodeports=0`)
	got, err := ts.client.Get(ctx, mustRes(t, "Service"), "default", "web", api.GetOptions{Consistent: true})
	if err != nil || got.(*api.Service).Spec.Type != api.ServiceTypeClusterIP {
		t.Fatalf("service after the refused update: %+v, %v", got, err)
	}

	mustCreateObj(t, ts, "apiVersion: v1\nkind: Secret\nmetadata: {name: one, namespace: default}\n")
	_, err = ts.client.Create(ctx, mustDecodeObject(t, "apiVersion: v1\nkind: Secret\nmetadata: {name: two, namespace: default}\n"))
	wantForbidden(t, err, `secrets "two" is forbidden: exceeded quota: objects, requested: secrets=1, used: secrets=1, limited: secrets=1`)

	mustCreateObj(t, ts, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one, namespace: default}\n")
	_, err = ts.client.Create(ctx, mustDecodeObject(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: two, namespace: default}\n"))
	wantForbidden(t, err, `configmaps "two" is forbidden: exceeded quota: objects, requested: count/configmaps=1, used: count/configmaps=1, limited: count/configmaps=1`)
}

// TestQuotaStatusUsed: the leader's controller reports status.hard and
// status.used.
func TestQuotaStatusUsed(t *testing.T) {
	ts := mustStartServer(t, nil)
	mustCreateObj(t, ts, "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q, namespace: default}\n"+
		"spec: {hard: {pods: '5', requests.memory: 1Gi, secrets: '4'}}\nstatus: {used: {pods: '99'}}\n")
	mustCreateObj(t, ts, quotaPodDoc("a", "{requests: {memory: 256Mi}}"))
	mustCreateObj(t, ts, quotaPodDoc("b", "{requests: {memory: 128Mi}}"))
	mustCreateObj(t, ts, "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: default}\n")
	want := "pods=2,requests.memory=384Mi,secrets=1"
	waitFor(t, 10*time.Second, "status.used "+want, func() error {
		o, err := ts.client.Get(context.Background(), mustRes(t, "ResourceQuota"), "default", "q", api.GetOptions{Consistent: true})
		if err != nil {
			return err
		}
		q := o.(*api.ResourceQuota)
		var parts []string
		for _, k := range sortedResourceNames(q.Status.Used) {
			parts = append(parts, k+"="+q.Status.Used[k].String())
		}
		if got := strings.Join(parts, ","); got != want || len(q.Status.Hard) != 3 {
			return fmt.Errorf("status %+v", q.Status)
		}
		return nil
	})
}

// TestLimitRangeDefaultsAndMax: a container without resources gets the range's
// defaults (and the annotation that says so); one past the max is refused with
// Kubernetes' message.
func TestLimitRangeDefaultsAndMax(t *testing.T) {
	ts := mustStartServer(t, nil)
	ctx := context.Background()
	mustCreateObj(t, ts, "apiVersion: v1\nkind: LimitRange\nmetadata: {name: limits, namespace: default}\nspec:\n  limits:\n"+
		"  - {type: Container, max: {cpu: 500m}, default: {cpu: 300m, memory: 128Mi}, defaultRequest: {cpu: 100m}}\n"+
		"  - {type: Pod, max: {memory: 200Mi}}\n")
	p := mustCreateObj(t, ts, quotaPodDoc("plain", "")).(*api.Pod)
	r := p.Spec.Containers[0].Resources
	if got := fmt.Sprint(r.Requests.Cpu(), " ", r.Limits.Cpu(), " ", r.Limits.Memory(), " ", r.Requests.Memory()); got != "100m 300m 128Mi 128Mi" {
		t.Errorf("request cpu, limit cpu, limit memory, request memory = %s, want 100m 300m 128Mi 128Mi", got)
	}
	if got, want := p.Annotations["kubernetes.io/limit-ranger"], "LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app"; got != want {
		t.Errorf("annotation %q, want %q", got, want)
	}

	_, err := ts.client.Create(ctx, mustDecodeObject(t, quotaPodDoc("big", "{limits: {cpu: '1'}}")))
	wantForbidden(t, err, `pods "big" is forbidden: maximum cpu usage per Container is 500m, but limit is 1`)

	two := "apiVersion: v1\nkind: Pod\nmetadata: {name: two, namespace: default}\nspec: {containers: [{name: a, image: i}, {name: b, image: i}]}\n"
	_, err = ts.client.Create(ctx, mustDecodeObject(t, two))
	wantForbidden(t, err, `pods "two" is forbidden: maximum memory usage per Pod is 200Mi, but limit is 256Mi`)
	if names := storedNames(t, ts, "Pod"); strings.Join(names, ",") != "plain" {
		t.Errorf("stored pods %v, want only plain", names)
	}
}
