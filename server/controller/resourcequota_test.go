package controller

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/berth-dev/berth/api"
)

func testQuota(name string, hard map[string]string) *api.ResourceQuota {
	q := &api.ResourceQuota{}
	q.Name, q.Namespace = name, "default"
	q.Spec.Hard = api.ResourceList{}
	for k, v := range hard {
		amount, err := api.ParseQuantity(v)
		if err != nil {
			panic(err)
		}
		q.Spec.Hard[k] = amount
	}
	return q
}

// cpuPod is a pod of the default namespace whose one container requests cpu.
func cpuPod(name, cpu string) *api.Pod {
	p := testPod(name, nil)
	amount, err := api.ParseQuantity(cpu)
	if err != nil {
		panic(err)
	}
	p.Spec.Containers[0].Resources.Requests = api.ResourceList{api.ResourceCPU: amount}
	return p
}

// quotaStatus prints a quota's status.used as sorted name=value pairs, and
// "hard-mismatch" when status.hard is not the spec's.
func quotaStatus(h *harness, name string) string {
	o := h.get("ResourceQuota", "default", name)
	if o == nil {
		return "<absent>"
	}
	q := o.(*api.ResourceQuota)
	if !SameResourceLists(q.Status.Hard, q.Spec.Hard) {
		return "hard-mismatch"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(q.Status.Used)) {
		parts = append(parts, k+"="+q.Status.Used[k].String())
	}
	return strings.Join(parts, ",")
}

// TestResourceQuotaSyncWritesOnlyChanges: a sync sets status.hard and
// status.used from the store; a second sync with nothing changed writes nothing.
func TestResourceQuotaSyncWritesOnlyChanges(t *testing.T) {
	h := newHarness(t)
	h.mustCreate(testQuota("q", map[string]string{"pods": "5", "requests.cpu": "4", "secrets": "3", "count/deployments.apps": "2"}))
	h.mustCreate(cpuPod("a", "500m"))
	h.mustCreate(cpuPod("b", "1"))
	h.mustCreate(&api.Secret{ObjectMeta: api.ObjectMeta{Name: "s", Namespace: "default"}})
	other := cpuPod("elsewhere", "3")
	h.mustCreate(&api.Namespace{ObjectMeta: api.ObjectMeta{Name: "other"}})
	other.Namespace = "other"
	h.mustCreate(other)

	c := NewResourceQuotaController(h.env())
	c.queue = NewQueue()
	ctx := context.Background()
	if err := c.sync(ctx, "default/q"); err != nil {
		t.Fatal(err)
	}
	if got, want := quotaStatus(h, "q"), "count/deployments.apps=0,pods=2,requests.cpu=1500m,secrets=1"; got != want {
		t.Fatalf("status.used %s, want %s", got, want)
	}
	writes := h.writes
	if err := c.sync(ctx, "default/q"); err != nil {
		t.Fatal(err)
	}
	if h.writes != writes {
		t.Errorf("a sync with nothing changed wrote %d times", h.writes-writes)
	}
}

// TestResourceQuotaControllerFollowsChanges: the running controller brings
// status.used along as pods come, finish and go, and as secrets are deleted.
func TestResourceQuotaControllerFollowsChanges(t *testing.T) {
	h := newHarness(t)
	h.mustCreate(testQuota("q", map[string]string{"pods": "5", "cpu": "4", "secrets": "3"}))
	h.run(NewResourceQuotaController(h.env()))
	waitFor(t, "the first status", func() bool { return quotaStatus(h, "q") == "cpu=0,pods=0,secrets=0" })

	h.mustCreate(cpuPod("a", "500m"))
	h.mustCreate(cpuPod("b", "1"))
	h.mustCreate(&api.Secret{ObjectMeta: api.ObjectMeta{Name: "s", Namespace: "default"}})
	waitFor(t, "two pods and a secret counted", func() bool { return quotaStatus(h, "q") == "cpu=1500m,pods=2,secrets=1" })

	done := h.get("Pod", "default", "b").(*api.Pod)
	done.Status.Phase = api.PodSucceeded
	if _, err := h.UpdateStatus(context.Background(), done); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a finished pod to stop counting", func() bool { return quotaStatus(h, "q") == "cpu=500m,pods=1,secrets=1" })

	secrets, _ := api.ResourceForKind("Secret")
	if err := h.Delete(context.Background(), secrets, "default", "s", DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the deleted secret to go", func() bool { return quotaStatus(h, "q") == "cpu=500m,pods=1,secrets=0" })

	q := h.get("ResourceQuota", "default", "q").(*api.ResourceQuota)
	q.Spec.Hard["configmaps"] = api.NewQuantity(2, api.DecimalSI)
	if _, err := h.Update(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a new cap to be reported", func() bool { return quotaStatus(h, "q") == "configmaps=0,cpu=500m,pods=1,secrets=0" })
}
