package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/server/controller"
)

// deleteRaw sends DELETE path?query with an optional body; it returns the status
// code and the answer's bytes.
func deleteRaw(t *testing.T, ts *testServer, path, query, body string) (int, []byte) {
	t.Helper()
	url := ts.base + path
	if query != "" {
		url += "?" + query
	}
	req, err := http.NewRequest(http.MethodDelete, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("DELETE %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// ownedBy is an ownerReference to o that blocks o's foreground deletion.
func ownedBy(o api.Object) api.OwnerReference {
	yes := true
	tm, m := o.GetTypeMeta(), o.GetObjectMeta()
	return api.OwnerReference{APIVersion: tm.APIVersion, Kind: tm.Kind, Name: m.Name, UID: m.UID, BlockOwnerDeletion: &yes}
}

// mustAdd creates obj through the API.
func (ts *testServer) mustAdd(t *testing.T, obj api.Object) api.Object {
	t.Helper()
	out, err := ts.client.Create(context.Background(), obj)
	if err != nil {
		t.Fatalf("create %s: %v", obj.GetObjectMeta().Name, err)
	}
	return out
}

// lookup reads an object consistently; nil when it is gone.
func (ts *testServer) lookup(t *testing.T, kind, ns, name string) api.Object {
	t.Helper()
	o, err := ts.client.Get(context.Background(), mustRes(t, kind), ns, name, api.GetOptions{Consistent: true})
	if api.ReasonOf(err) == api.ReasonNotFound {
		return nil
	}
	if err != nil {
		t.Fatalf("get %s %s/%s: %v", kind, ns, name, err)
	}
	return o
}

func (ts *testServer) waitGone(t *testing.T, kind, ns, name string) {
	t.Helper()
	waitFor(t, 15*time.Second, kind+" "+name+" to be gone", func() error {
		if ts.lookup(t, kind, ns, name) != nil {
			return fmt.Errorf("%s %s still exists", kind, name)
		}
		return nil
	})
}

// confirmPod plays the node's agent: the DELETE with a zero grace period.
func (ts *testServer) confirmPod(t *testing.T, ns, name string) {
	t.Helper()
	code, body := deleteRaw(t, ts, "/api/v1/namespaces/"+ns+"/pods/"+name, "gracePeriodSeconds=0", "")
	if code != http.StatusOK && code != http.StatusNotFound {
		t.Fatalf("confirm pod %s: %d %s", name, code, body)
	}
}

func refUIDs(o api.Object) []string {
	var out []string
	for _, r := range o.GetObjectMeta().OwnerReferences {
		out = append(out, r.UID)
	}
	return out
}

func TestDeleteOrphanKeepsDependents(t *testing.T) {
	ts := mustStartServer(t, nil)
	tests := []struct {
		name, query, body string
		viaWriter         bool
	}{
		{name: "body propagationPolicy", body: `{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Orphan"}`},
		{name: "query propagationPolicy", query: "propagationPolicy=Orphan"},
		{name: "legacy orphanDependents", body: `{"orphanDependents":true}`},
		{name: "query wins over the body", query: "propagationPolicy=Orphan", body: `{"propagationPolicy":"Background"}`},
		{name: "controllers' Writer", viaWriter: true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := fmt.Sprintf("o%d-", i)
			owner := ts.mustAdd(t, newConfigMap("default", p+"owner", nil))
			other := ts.mustAdd(t, newConfigMap("default", p+"other", nil))
			only := newConfigMap("default", p+"only", nil)
			only.OwnerReferences = []api.OwnerReference{ownedBy(owner)}
			ts.mustAdd(t, only)
			shared := newConfigMap("default", p+"shared", nil)
			shared.OwnerReferences = []api.OwnerReference{ownedBy(owner), ownedBy(other)}
			ts.mustAdd(t, shared)
			pod := newPod("default", p+"pod")
			pod.OwnerReferences = []api.OwnerReference{ownedBy(owner)}
			ts.mustAdd(t, pod)

			if tt.viaWriter {
				err := controllerWriter{ts.s}.Delete(context.Background(), mustRes(t, "ConfigMap"), "default", p+"owner",
					controller.DeleteOptions{PropagationPolicy: controller.PropagationOrphan})
				if err != nil {
					t.Fatalf("Writer.Delete: %v", err)
				}
			} else if code, body := deleteRaw(t, ts, "/api/v1/namespaces/default/configmaps/"+p+"owner", tt.query, tt.body); code != 200 {
				t.Fatalf("DELETE: %d %s", code, body)
			}
			if ts.lookup(t, "ConfigMap", "default", p+"owner") != nil {
				t.Fatal("the owner still exists")
			}
			for _, d := range []struct{ kind, name string }{{"ConfigMap", p + "only"}, {"ConfigMap", p + "shared"}, {"Pod", p + "pod"}} {
				o := ts.lookup(t, d.kind, "default", d.name)
				if o == nil {
					t.Fatalf("dependent %s was deleted", d.name)
				}
				if slices.Contains(refUIDs(o), owner.GetObjectMeta().UID) {
					t.Fatalf("dependent %s still names the owner: %v", d.name, refUIDs(o))
				}
			}
			if got := refUIDs(ts.lookup(t, "ConfigMap", "default", p+"shared")); len(got) != 1 || got[0] != other.GetObjectMeta().UID {
				t.Fatalf("shared dependent's references = %v, want only the other owner", got)
			}
		})
	}
}

func TestDeleteBackgroundCollectsDependents(t *testing.T) {
	ts := mustStartServer(t, nil)
	owner := ts.mustAdd(t, newConfigMap("default", "owner", nil))
	dep := newConfigMap("default", "dep", nil)
	dep.OwnerReferences = []api.OwnerReference{ownedBy(owner)}
	ts.mustAdd(t, dep)
	pod := newPod("default", "dep-pod")
	pod.OwnerReferences = []api.OwnerReference{ownedBy(owner)}
	ts.mustAdd(t, pod)

	if code, body := deleteRaw(t, ts, "/api/v1/namespaces/default/configmaps/owner", "", ""); code != 200 {
		t.Fatalf("DELETE: %d %s", code, body)
	}
	ts.waitGone(t, "ConfigMap", "default", "dep")
	ts.waitGone(t, "Pod", "default", "dep-pod")
}

func TestDeleteForegroundWaitsForDependents(t *testing.T) {
	ts := mustStartServer(t, nil)
	owner := ts.mustAdd(t, newConfigMap("default", "owner", nil))
	pod := newPod("default", "blocker")
	pod.Spec.NodeName = "n1" // bound: its deletion waits for the agent
	pod.OwnerReferences = []api.OwnerReference{ownedBy(owner)}
	ts.mustAdd(t, pod)

	code, body := deleteRaw(t, ts, "/api/v1/namespaces/default/configmaps/owner", "", `{"propagationPolicy":"Foreground"}`)
	if code != 200 {
		t.Fatalf("DELETE: %d %s", code, body)
	}
	var marked api.ConfigMap
	if err := json.Unmarshal(body, &marked); err != nil {
		t.Fatal(err)
	}
	if marked.DeletionTimestamp == nil || !slices.Contains(marked.Finalizers, controller.FinalizerForeground) {
		t.Fatalf("answer %+v, want the owner marked for foreground deletion", marked.ObjectMeta)
	}
	waitFor(t, 15*time.Second, "the dependent pod to be terminating", func() error {
		p := ts.lookup(t, "Pod", "default", "blocker")
		if p == nil || p.GetObjectMeta().DeletionTimestamp == nil {
			return fmt.Errorf("pod %v not terminating", p)
		}
		return nil
	})
	if ts.lookup(t, "ConfigMap", "default", "owner") == nil {
		t.Fatal("the owner went before its blocking dependent")
	}
	if code, _ := deleteRaw(t, ts, "/api/v1/namespaces/default/configmaps/owner", "", ""); code != 200 {
		t.Fatalf("a repeated DELETE of the marked owner: %d, want 200", code)
	}
	ts.confirmPod(t, "default", "blocker")
	ts.waitGone(t, "ConfigMap", "default", "owner")

	// Without dependents, Foreground deletes at once.
	ts.mustAdd(t, newConfigMap("default", "alone", nil))
	if code, body := deleteRaw(t, ts, "/api/v1/namespaces/default/configmaps/alone", "propagationPolicy=Foreground", ""); code != 200 {
		t.Fatalf("DELETE alone: %d %s", code, body)
	}
	if ts.lookup(t, "ConfigMap", "default", "alone") != nil {
		t.Fatal("an owner without dependents was only marked")
	}
}

func TestDeleteRefusesBadPolicy(t *testing.T) {
	ts := mustStartServer(t, nil)
	ts.mustAdd(t, newConfigMap("default", "cm", nil))
	tests := []struct{ name, query, body, want string }{
		{name: "unknown body policy", body: `{"propagationPolicy":"Cascade"}`, want: `supported values: "Orphan", "Background", "Foreground"`},
		{name: "unknown query policy", query: "propagationPolicy=orphan", want: `Unsupported value: "orphan"`},
		{name: "both forms", body: `{"propagationPolicy":"Orphan","orphanDependents":true}`, want: "cannot both be set"},
		{name: "malformed orphanDependents", query: "orphanDependents=maybe", want: "orphanDependents"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := deleteRaw(t, ts, "/api/v1/namespaces/default/configmaps/cm", tt.query, tt.body)
			var st api.Status
			json.Unmarshal(body, &st)
			if code != http.StatusBadRequest || !strings.Contains(st.Message, tt.want) {
				t.Fatalf("got %d %s, want 400 naming %q", code, body, tt.want)
			}
		})
	}
	if ts.lookup(t, "ConfigMap", "default", "cm") == nil {
		t.Fatal("a refused DELETE deleted the object")
	}
}

func TestNamespaceDeleteTerminatesThenRemoves(t *testing.T) {
	ts := mustStartServer(t, nil)
	ts.mustAdd(t, &api.Namespace{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: api.ObjectMeta{Name: "team"}})
	ts.mustAdd(t, newConfigMap("team", "cm", nil))
	pod := newPod("team", "web")
	pod.Spec.NodeName = "n1"
	ts.mustAdd(t, pod)

	code, body := deleteRaw(t, ts, "/api/v1/namespaces/team", "", "")
	if code != 200 {
		t.Fatalf("DELETE namespace: %d %s", code, body)
	}
	var ns api.Namespace
	if err := json.Unmarshal(body, &ns); err != nil {
		t.Fatal(err)
	}
	if ns.DeletionTimestamp == nil || ns.Status.Phase != api.NamespaceTerminating {
		t.Fatalf("answer %+v %+v, want the namespace Terminating", ns.ObjectMeta, ns.Status)
	}
	_, err := ts.client.Create(context.Background(), newConfigMap("team", "late", nil))
	wantReason(t, err, api.ReasonForbidden)
	if want := "unable to create new content in namespace team because it is being terminated"; !strings.Contains(err.Error(), want) {
		t.Fatalf("create in a terminating namespace: %v, want %q", err, want)
	}

	ts.waitGone(t, "ConfigMap", "team", "cm")
	waitFor(t, 15*time.Second, "the pod to be terminating", func() error {
		p := ts.lookup(t, "Pod", "team", "web")
		if p != nil && p.GetObjectMeta().DeletionTimestamp == nil {
			return fmt.Errorf("pod not terminating")
		}
		return nil
	})
	got := ts.lookup(t, "Namespace", "", "team")
	if got == nil || got.(*api.Namespace).Status.Phase != api.NamespaceTerminating {
		t.Fatalf("namespace while its pod terminates = %v, want it Terminating", got)
	}
	ts.confirmPod(t, "team", "web")
	ts.waitGone(t, "Namespace", "", "team")

	if code, _ := deleteRaw(t, ts, "/api/v1/namespaces/default", "", ""); code != http.StatusForbidden {
		t.Fatalf("DELETE default: %d, want 403", code)
	}
}
