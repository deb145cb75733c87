package api

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func mustReadFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRealisticManifestsDecodeDefaultValidate(t *testing.T) {
	objs, err := DecodeManifests(mustReadFile(t, "testdata/app.yaml"))
	if err != nil {
		t.Fatalf("DecodeManifests: %v", err)
	}
	if len(objs) != 3 {
		t.Fatalf("got %d objects, want 3", len(objs))
	}
	for _, obj := range objs {
		if err := Validate(obj); err != nil {
			t.Errorf("Validate before Default: %v", err)
		}
		Default(obj)
		if err := Validate(obj); err != nil {
			t.Errorf("Validate after Default: %v", err)
		}
	}
	d := objs[1].(*Deployment)
	c := d.Spec.Template.Spec.Containers[0]
	if got := c.Resources.Requests.Cpu().MilliValue(); got != 250 {
		t.Errorf("cpu request = %d m, want 250", got)
	}
	if c.LivenessProbe.HTTPGet.Port.StrVal != "http" || c.ReadinessProbe.HTTPGet.Port.IntVal != 8080 {
		t.Errorf("probe ports decoded wrong: %+v %+v", c.LivenessProbe.HTTPGet.Port, c.ReadinessProbe.HTTPGet.Port)
	}
	if *d.Spec.Strategy.RollingUpdate.MaxUnavailable != FromInt(0) {
		t.Errorf("maxUnavailable = %v", d.Spec.Strategy.RollingUpdate.MaxUnavailable)
	}
	want := []string{
		"spec.template.spec.securityContext: not supported by Berth yet, ignored",
		"spec.template.spec.containers[0].securityContext: not supported by Berth yet, ignored",
		"spec.template.spec.containers[0].lifecycle: not supported by Berth yet, ignored",
	}
	if got := Warnings(d); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Warnings = %q, want %q", got, want)
	}
	svc := objs[2].(*Service)
	if svc.Spec.Ports[1].TargetPort != FromInt(9090) || svc.Spec.Type != ServiceTypeClusterIP {
		t.Errorf("service not defaulted: %+v", svc.Spec)
	}
}

func TestDecodeObjectErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"unknown field path", `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: c
    imagee: nginx`, `unknown field "spec.containers[0].imagee"`},
		{"unknown top-level field", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"date":{}}`, `unknown field "date"`},
		{"field names are case-sensitive", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  Name: x\n", `unknown field "metadata.Name"`},
		{"several unknown fields", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, foo: 1}\nbar: 2\n",
			`unknown field "bar", unknown field "metadata.foo"`},
		{"wrong apiVersion", "apiVersion: v1\nkind: Deployment\nmetadata: {name: x}\n", `no kind "Deployment" is registered for version "v1"`},
		{"unknown kind", "apiVersion: v1\nkind: Foo\n", `no kind "Foo" is registered`},
		{"missing kind", "apiVersion: v1\nmetadata: {name: x}\n", `kind is missing`},
		{"missing apiVersion", "kind: Pod\n", `apiVersion is missing`},
		{"duplicate YAML key", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n", `already set`},
		{"duplicate JSON key", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","name":"b"}}`, `duplicate field "metadata.name"`},
		{"malformed YAML", "apiVersion: v1\nkind: Pod\n  bad: [\n", `invalid YAML`},
		{"malformed JSON", `{"apiVersion": "v1",`, `invalid JSON: unexpected end of input`},
		{"type error names the field", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replicas: three\n",
			`spec.replicas: expected integer, got string "three"`},
		{"int32 overflow", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replicas: 5000000000\n",
			`spec.replicas: 5000000000 is not a 32-bit integer`},
		{"bad quantity names the value", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: i\n    resources: {limits: {cpu: 12x}}\n",
			`spec.containers[0].resources.limits[cpu]: invalid quantity "12x"`},
		{"bad base64", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {k: '!!!'}\n", `data[k]: invalid base64 data`},
		{"not an object", "- a\n- b\n", `expected an object, got array`},
		{"two documents", "apiVersion: v1\nkind: Namespace\n---\napiVersion: v1\nkind: Namespace\n", `expected one object, found 2 documents`},
		{"no document", "# nothing\n", `expected one object, found 0 documents`},
		{"label must be a string", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  labels: {on: yes}\n", `metadata.labels[true]: expected string, got boolean true`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := DecodeObject([]byte(tt.in))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if ReasonOf(err) != ReasonBadRequest {
				t.Errorf("reason = %q, want BadRequest", ReasonOf(err))
			}
		})
	}
}

func TestDecodeObjectKinds(t *testing.T) {
	for _, res := range Resources() {
		t.Run(res.Kind, func(t *testing.T) {
			in := "apiVersion: " + res.APIVersion() + "\nkind: " + res.Kind + "\nmetadata:\n  name: x\n"
			obj, got, err := DecodeObject([]byte(in))
			if err != nil {
				t.Fatal(err)
			}
			if got != res || obj.GetObjectMeta().Name != "x" || obj.GetTypeMeta().Kind != res.Kind {
				t.Errorf("decoded %T %+v as %v", obj, obj.GetTypeMeta(), got)
			}
		})
	}
}

func TestDecodeInto(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{"kind may be omitted", "metadata: {name: x}\ndata: {a: b}\n", ""},
		{"matching kind", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", ""},
		{"other kind", "apiVersion: v1\nkind: Secret\nmetadata: {name: x}\n", `expected kind "ConfigMap"`},
		{"unknown field", "metadata: {name: x}\ndatta: {}\n", `unknown field "datta"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cm ConfigMap
			err := DecodeInto([]byte(tt.in), &cm)
			if tt.wantErr == "" {
				if err != nil || cm.Name != "x" || cm.Kind != "ConfigMap" || cm.APIVersion != "v1" {
					t.Fatalf("err %v, got %+v", err, cm)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestDecodeManifests(t *testing.T) {
	ns := "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n"
	tests := []struct {
		name      string
		in        string
		wantNames []string
		wantErr   string
	}{
		{"multi-doc with empty documents", "---\n" + strings.ReplaceAll(ns, "%s", "a") + "---\n# only a comment\n---\n\n---\n" +
			strings.ReplaceAll(ns, "%s", "b") + "--- # trailing comment\n" + strings.ReplaceAll(ns, "%s", "c"), []string{"a", "b", "c"}, ""},
		{"json object", `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"j"}}`, []string{"j"}, ""},
		{"kind List", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: l1}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: l2}\n",
			[]string{"l1", "l2"}, ""},
		{"PodList from kubectl get", "apiVersion: v1\nkind: PodList\nmetadata: {resourceVersion: \"1\"}\nitems: []\n", nil, ""},
		{"error names the document", strings.ReplaceAll(ns, "%s", "a") + "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n  nam: c\n",
			nil, `document 2: Namespace "b": unknown field "metadata.nam"`},
		{"error names the list item", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: ok}\n- apiVersion: v1\n  kind: Nope\n",
			nil, `document 1, item 2: no kind "Nope" is registered`},
		{"malformed second document", strings.ReplaceAll(ns, "%s", "a") + "---\nkind: [\n", nil, `document 2: invalid YAML`},
		{"content on a separator line", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n--- {apiVersion: v1}\n", nil, `more than one YAML document`},
		{"unknown list field", "apiVersion: v1\nkind: List\nitems: []\nextra: 1\n", nil, `document 1: unknown field "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := DecodeManifests([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				var e *Error
				if !errors.As(err, &e) || e.Code() != 400 {
					t.Errorf("error %T is not a 400 *Error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, o := range objs {
				names = append(names, o.GetObjectMeta().Name)
			}
			if strings.Join(names, ",") != strings.Join(tt.wantNames, ",") {
				t.Errorf("names %v, want %v", names, tt.wantNames)
			}
		})
	}
}

func TestDeepCopyAndEncode(t *testing.T) {
	objs, err := DecodeManifests(mustReadFile(t, "testdata/app.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range objs {
		cp := DeepCopy(obj)
		a, err := Encode(obj)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Encode(cp)
		if string(a) != string(b) {
			t.Errorf("copy differs:\n%s\n%s", a, b)
		}
		if cp.GetObjectMeta().Labels != nil {
			cp.GetObjectMeta().Labels["changed"] = "yes"
			if obj.GetObjectMeta().Labels["changed"] != "" {
				t.Error("copy shares labels with the original")
			}
		}
		back, _, err := DecodeObject(a)
		if err != nil {
			t.Fatalf("own encoding does not decode strictly: %v", err)
		}
		c, _ := Encode(back)
		if string(c) != string(a) {
			t.Errorf("round trip differs:\n%s\n%s", a, c)
		}
	}
	if DeepCopy(nil) != nil || DeepCopy((*Pod)(nil)) != nil {
		t.Error("DeepCopy of nil is not nil")
	}
}
