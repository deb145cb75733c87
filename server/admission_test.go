package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

func TestSpecChanged(t *testing.T) {
	cm := newConfigMap("default", "c", map[string]string{"k": "v"})
	pod := newPod("default", "p")
	tests := []struct {
		name   string
		base   api.Object
		change func(api.Object)
		want   bool
	}{
		{name: "identical", base: cm, change: func(api.Object) {}, want: false},
		{name: "labels are metadata", base: cm, change: func(o api.Object) { o.GetObjectMeta().Labels = map[string]string{"a": "b"} }, want: false},
		{name: "resourceVersion is metadata", base: cm, change: func(o api.Object) { o.GetObjectMeta().ResourceVersion = "99" }, want: false},
		{name: "configmap data", base: cm, change: func(o api.Object) { o.(*api.ConfigMap).Data["k"] = "w" }, want: true},
		{name: "configmap data added", base: cm, change: func(o api.Object) { o.(*api.ConfigMap).Data["new"] = "x" }, want: true},
		{name: "pod status", base: pod, change: func(o api.Object) { o.(*api.Pod).Status.Phase = "Running" }, want: false},
		{name: "pod spec", base: pod, change: func(o api.Object) { o.(*api.Pod).Spec.Containers[0].Image = "nginx" }, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := api.DeepCopy(tt.base)
			tt.change(next)
			if got := specChanged(tt.base, next); got != tt.want {
				t.Fatalf("specChanged = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCopyStatus(t *testing.T) {
	running := newPod("default", "src")
	running.Status.Phase = "Running"
	running.Status.PodIP = "10.244.0.5"
	tests := []struct {
		name      string
		dst, src  api.Object
		wantPhase string // dst's phase afterwards ("" for kinds without status)
	}{
		{name: "pod to pod", dst: newPod("default", "dst"), src: running, wantPhase: "Running"},
		{name: "empty status clears", dst: running, src: newPod("default", "x"), wantPhase: ""},
		{name: "kind without status", dst: newConfigMap("default", "c", nil), src: running},
		{name: "different status types", dst: newPod("default", "dst"), src: &api.Node{}, wantPhase: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := api.DeepCopy(tt.dst)
			copyStatus(dst, tt.src)
			if p, ok := dst.(*api.Pod); ok {
				if p.Status.Phase != tt.wantPhase {
					t.Fatalf("phase %q, want %q", p.Status.Phase, tt.wantPhase)
				}
				if p.Name != tt.dst.GetObjectMeta().Name || p.Spec.Containers[0].Image != "busybox" {
					t.Fatalf("copyStatus changed more than the status: %+v", p)
				}
			}
		})
	}
}

func TestStampNew(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name    string
		kind    string
		prepare func(api.Object)
		check   func(t *testing.T, m *api.ObjectMeta)
	}{
		{
			name: "server decides uid, version, generation, timestamps",
			kind: "ConfigMap",
			prepare: func(o api.Object) {
				m := o.GetObjectMeta()
				m.Name, m.Namespace = "c", "default"
				m.UID, m.ResourceVersion, m.Generation = "user-uid", "42", 7
				m.DeletionTimestamp = api.NewTime(now)
			},
			check: func(t *testing.T, m *api.ObjectMeta) {
				if m.UID == "" || m.UID == "user-uid" || m.ResourceVersion != "" || m.Generation != 1 || m.DeletionTimestamp != nil {
					t.Fatalf("stamped %+v", m)
				}
				if m.CreationTimestamp == nil || !m.CreationTimestamp.Equal(now) {
					t.Fatalf("creationTimestamp %v, want %v", m.CreationTimestamp, now)
				}
				if m.Name != "c" || m.Namespace != "default" {
					t.Fatalf("name or namespace changed: %+v", m)
				}
			},
		},
		{
			name:    "generateName",
			kind:    "Pod",
			prepare: func(o api.Object) { o.GetObjectMeta().GenerateName = "web-"; o.GetObjectMeta().Namespace = "default" },
			check: func(t *testing.T, m *api.ObjectMeta) {
				if !strings.HasPrefix(m.Name, "web-") || len(m.Name) != len("web-")+5 {
					t.Fatalf("name %q, want web- and five characters", m.Name)
				}
			},
		},
		{
			name: "a name wins over generateName",
			kind: "Pod",
			prepare: func(o api.Object) {
				o.GetObjectMeta().Name, o.GetObjectMeta().GenerateName = "fixed", "web-"
			},
			check: func(t *testing.T, m *api.ObjectMeta) {
				if m.Name != "fixed" {
					t.Fatalf("name %q, want fixed", m.Name)
				}
			},
		},
		{
			name:    "cluster-scoped kinds lose a namespace",
			kind:    "Node",
			prepare: func(o api.Object) { o.GetObjectMeta().Name, o.GetObjectMeta().Namespace = "n1", "default" },
			check: func(t *testing.T, m *api.ObjectMeta) {
				if m.Namespace != "" {
					t.Fatalf("namespace %q on a node", m.Namespace)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustRes(t, tt.kind)
			obj := res.New()
			obj.GetTypeMeta().APIVersion, obj.GetTypeMeta().Kind = "", ""
			tt.prepare(obj)
			stampNew(res, obj, now)
			if tm := obj.GetTypeMeta(); tm.Kind != res.Kind || tm.APIVersion != res.APIVersion() {
				t.Fatalf("type meta %+v", tm)
			}
			tt.check(t, obj.GetObjectMeta())
		})
	}
	a, b := newPod("default", "a"), newPod("default", "b")
	stampNew(mustRes(t, "Pod"), a, now)
	stampNew(mustRes(t, "Pod"), b, now)
	if a.UID == b.UID {
		t.Fatalf("two objects got the same uid %s", a.UID)
	}
}

func TestRandomSuffix(t *testing.T) {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789" // no vowels: no words; no 0/1/3: no look-alikes
	seen := map[string]bool{}
	used := map[rune]bool{}
	for range 2000 {
		s := randomSuffix()
		if len(s) != 5 {
			t.Fatalf("suffix %q is not five characters", s)
		}
		for _, r := range s {
			if !strings.ContainsRune(alphabet, r) {
				t.Fatalf("suffix %q has %q, outside the alphabet", s, r)
			}
			used[r] = true
		}
		seen[s] = true
	}
	if len(seen) < 1990 {
		t.Fatalf("only %d distinct suffixes in 2000", len(seen))
	}
	if len(used) != len(alphabet) {
		t.Fatalf("%d of %d alphabet characters used in 10000 draws", len(used), len(alphabet))
	}
}

func TestDecodeFor(t *testing.T) {
	cmColl := target{res: mustRes(t, "ConfigMap"), namespace: "default"}
	cmObj := cmColl
	cmObj.name = "c"
	nsColl := target{res: mustRes(t, "Namespace")}
	tests := []struct {
		name   string
		t      target
		body   string
		wantNS string
		errHas string
	}{
		{name: "namespace from the path", t: cmColl, body: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}`, wantNS: "default"},
		{name: "matching namespace", t: cmObj, body: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: default\n", wantNS: "default"},
		{name: "cluster-scoped", t: nsColl, body: `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"n"}}`},
		{name: "kind mismatch", t: cmColl, body: `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"c"}}`, errHas: `kind "Secret" (v1) does not match the resource in the path (configmaps)`},
		{name: "namespace mismatch", t: cmColl, body: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"other"}}`, errHas: "namespace of the object (other)"},
		{name: "name mismatch", t: cmObj, body: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d"}}`, errHas: "name of the object (d)"},
		{name: "unknown field", t: cmColl, body: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"dta":{}}`, errHas: "dta"},
		{name: "malformed", t: cmColl, body: `{"apiVersion":`, errHas: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, err := decodeFor(tt.t, []byte(tt.body))
			if tt.errHas != "" || strings.HasPrefix(tt.name, "malformed") {
				if err == nil {
					t.Fatalf("decoded %+v, want an error", obj)
				}
				e := toAPIError(err)
				if e.Status.Code != http.StatusBadRequest || !strings.Contains(e.Error(), tt.errHas) {
					t.Fatalf("error %d %q, want 400 saying %q", e.Status.Code, e.Error(), tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ns := obj.GetObjectMeta().Namespace; ns != tt.wantNS {
				t.Fatalf("namespace %q, want %q", ns, tt.wantNS)
			}
		})
	}
}

func TestEncodeCheckedLimit(t *testing.T) {
	small := newConfigMap("default", "small", map[string]string{"k": "v"})
	if _, err := encodeChecked(small); err != nil {
		t.Fatalf("small object: %v", err)
	}
	big := newConfigMap("default", "big", map[string]string{"k": strings.Repeat("x", maxObjectBytes)})
	_, err := encodeChecked(big)
	e := toAPIError(err)
	if err == nil || e.Status.Code != http.StatusRequestEntityTooLarge || !strings.Contains(e.Error(), "1 MiB") {
		t.Fatalf("big object: %v, want 413 naming the 1 MiB limit", err)
	}
}

func TestSanitizeWarning(t *testing.T) {
	got := sanitizeWarning("field \"x\\y\"\n é")
	if got != "field 'x'y'? ?" {
		t.Fatalf("sanitizeWarning = %q", got)
	}
}
