package server

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/berth-dev/berth/api"
)

// deletePodRaw sends DELETE for pod default/name with an optional query and body and
// returns the status code and the decoded answer (a Pod on 200).
func deletePodRaw(t *testing.T, ts *testServer, name, query, body string) (int, *api.Pod) {
	t.Helper()
	code, b := deleteRaw(t, ts, "/api/v1/namespaces/default/pods/"+name, query, body)
	if code != http.StatusOK {
		return code, nil
	}
	var p api.Pod
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return code, &p
}

// mustCreatePod creates default/name, bound to nodeName when it is not empty, with
// the given spec grace period (nil: the default).
func mustCreatePod(t *testing.T, ts *testServer, name, nodeName string, specGrace *int64) *api.Pod {
	t.Helper()
	p := newPod("default", name)
	p.Spec.NodeName = nodeName
	p.Spec.TerminationGracePeriodSeconds = specGrace
	got, err := ts.client.Create(context.Background(), p)
	if err != nil {
		t.Fatalf("create pod %s: %v", name, err)
	}
	return got.(*api.Pod)
}

func (ts *testServer) podExists(t *testing.T, name string) bool {
	t.Helper()
	_, err := ts.client.Get(context.Background(), mustRes(t, "Pod"), "default", name, api.GetOptions{Consistent: true})
	if err == nil {
		return true
	}
	wantReason(t, err, api.ReasonNotFound)
	return false
}

func int64p(v int64) *int64 { return &v }

// TestDeletePodGraceful checks the first DELETE of a pod: removed at once or only
// marked terminating, and with which grace period.
func TestDeletePodGraceful(t *testing.T) {
	ts := mustStartServer(t, nil)
	tests := []struct {
		name      string
		nodeName  string
		specGrace *int64
		query     string
		body      string
		wantCode  int
		wantGone  bool
		wantGrace int64 // when marked
	}{
		{name: "unbound pod goes at once", wantCode: 200, wantGone: true},
		{name: "bound pod defaults to 30s", nodeName: "n1", wantCode: 200, wantGrace: 30},
		{name: "bound pod takes the spec's grace", nodeName: "n1", specGrace: int64p(5), wantCode: 200, wantGrace: 5},
		{name: "body grace wins over the spec", nodeName: "n1", specGrace: int64p(5),
			body: `{"kind":"DeleteOptions","apiVersion":"v1","gracePeriodSeconds":7}`, wantCode: 200, wantGrace: 7},
		{name: "query grace", nodeName: "n1", query: "gracePeriodSeconds=3", wantCode: 200, wantGrace: 3},
		{name: "query grace wins over the body", nodeName: "n1", query: "gracePeriodSeconds=4",
			body: `{"gracePeriodSeconds":9}`, wantCode: 200, wantGrace: 4},
		{name: "zero grace goes at once", nodeName: "n1", query: "gracePeriodSeconds=0", wantCode: 200, wantGone: true},
		{name: "zero grace in the body", nodeName: "n1", body: `{"gracePeriodSeconds":0}`, wantCode: 200, wantGone: true},
		{name: "zero spec grace goes at once", nodeName: "n1", specGrace: int64p(0), wantCode: 200, wantGone: true},
		{name: "malformed query grace", nodeName: "n1", query: "gracePeriodSeconds=soon", wantCode: 400},
		{name: "negative grace", nodeName: "n1", query: "gracePeriodSeconds=-1", wantCode: 400},
		{name: "stale precondition", nodeName: "n1", body: `{"preconditions":{"resourceVersion":"1"}}`, wantCode: 409},
		{name: "uid precondition", nodeName: "n1", body: `{"preconditions":{"uid":"nobody"}}`, wantCode: 409},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "p" + string(rune('a'+i))
			created := mustCreatePod(t, ts, name, tt.nodeName, tt.specGrace)
			code, got := deletePodRaw(t, ts, name, tt.query, tt.body)
			if code != tt.wantCode {
				t.Fatalf("code %d, want %d", code, tt.wantCode)
			}
			if gone := !ts.podExists(t, name); gone != tt.wantGone {
				t.Fatalf("gone = %v, want %v", gone, tt.wantGone)
			}
			if code != 200 || tt.wantGone {
				return
			}
			if got.DeletionTimestamp == nil || got.DeletionGracePeriodSeconds == nil || *got.DeletionGracePeriodSeconds != tt.wantGrace {
				t.Fatalf("answer not marked with grace %d: %+v", tt.wantGrace, got.ObjectMeta)
			}
			if got.ResourceVersion == created.ResourceVersion || got.UID != created.UID {
				t.Fatalf("marking is not an update of the same pod: rv %s -> %s", created.ResourceVersion, got.ResourceVersion)
			}
		})
	}
}

// TestDeletePodTerminating follows one bound pod through its graceful deletion: status
// kept, repeated DELETEs change nothing, a user's PUT cannot unmark it, grace 0 ends it.
func TestDeletePodTerminating(t *testing.T) {
	ts := mustStartServer(t, nil)
	ctx := context.Background()
	pod := mustCreatePod(t, ts, "web", "n1", nil)
	pod.Status.Phase = api.PodRunning
	if _, err := ts.client.UpdateStatus(ctx, pod); err != nil {
		t.Fatalf("status: %v", err)
	}
	w, err := ts.client.Watch(ctx, mustRes(t, "Pod"), "default", api.WatchOptions{})
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	defer w.Close()

	_, marked := deletePodRaw(t, ts, "web", "", "")
	if marked == nil || marked.DeletionTimestamp == nil || marked.Status.Phase != api.PodRunning {
		t.Fatalf("first DELETE: %+v; want marked with its status kept", marked)
	}
	waitEvent(t, w, api.WatchModified, marked.ResourceVersion)

	for _, q := range []string{"", "gracePeriodSeconds=10"} {
		_, again := deletePodRaw(t, ts, "web", q, "")
		if again == nil || again.ResourceVersion != marked.ResourceVersion {
			t.Fatalf("repeated DELETE %q changed the pod: %+v", q, again)
		}
	}

	// A user's PUT neither clears nor moves the mark.
	put := api.DeepCopy(marked).(*api.Pod)
	put.DeletionTimestamp, put.DeletionGracePeriodSeconds = nil, int64p(1)
	put.ResourceVersion = ""
	put.Labels = map[string]string{"edited": "yes"}
	updated, err := ts.client.Update(ctx, put)
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	um := updated.GetObjectMeta()
	if um.DeletionTimestamp == nil || !um.DeletionTimestamp.Equal(marked.DeletionTimestamp.Time) ||
		um.DeletionGracePeriodSeconds == nil || *um.DeletionGracePeriodSeconds != 30 {
		t.Fatalf("PUT changed the deletion mark: %+v", um)
	}

	if code, _ := deletePodRaw(t, ts, "web", "gracePeriodSeconds=0", ""); code != 200 {
		t.Fatalf("final DELETE: %d", code)
	}
	if ts.podExists(t, "web") {
		t.Fatal("pod still exists after a zero-grace DELETE")
	}
}

// TestCreateIgnoresDeletionMark: a create cannot smuggle in a deletion mark.
func TestCreateIgnoresDeletionMark(t *testing.T) {
	ts := mustStartServer(t, nil)
	p := newPod("default", "sneaky")
	p.Spec.NodeName = "n1"
	p.DeletionGracePeriodSeconds = int64p(3)
	got, err := ts.client.Create(context.Background(), p)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if m := got.GetObjectMeta(); m.DeletionTimestamp != nil || m.DeletionGracePeriodSeconds != nil {
		t.Fatalf("create kept a deletion mark: %+v", m)
	}
}

// waitEvent reads events until one of type typ at resourceVersion rv arrives.
func waitEvent(t *testing.T, w *api.Watcher, typ, rv string) {
	t.Helper()
	for {
		ev, err := w.Next()
		if err != nil {
			t.Fatalf("watch ended before %s at %s: %v", typ, rv, err)
		}
		if ev.Object != nil && ev.Object.GetObjectMeta().ResourceVersion == rv {
			if ev.Type != typ {
				t.Fatalf("event at %s is %s, want %s", rv, ev.Type, typ)
			}
			return
		}
	}
}
