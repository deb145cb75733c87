package api

import (
	"os"
	"testing"
)

func FuzzDecodeManifest(f *testing.F) {
	for _, name := range []string{"testdata/app.yaml", "testdata/workloads.yaml"} {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: i}]}\n",
		`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"x"}}]}`,
		"---\n---\n",
		"apiVersion: v1\nkind: ConfigMap\ndata: &a {x: *a}\n",
		"apiVersion: apps/v1\nkind: Deployment\nspec: {replicas: 1e99, strategy: {rollingUpdate: {maxSurge: \"%\"}}}\n",
		"apiVersion: v1\nkind: Service\nspec: {ports: [{targetPort: 1.5}]}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := DecodeManifests(data)
		if err != nil {
			if ReasonOf(err) != ReasonBadRequest {
				t.Fatalf("error is not a BadRequest *Error: %v", err)
			}
			return
		}
		for _, obj := range objs {
			// Everything downstream of decoding must cope with any decoded object.
			_ = Validate(obj)
			Warnings(obj)
			Default(obj)
			_ = Validate(obj)
			_ = ValidateUpdate(obj, DeepCopy(obj))
			if _, err := Encode(obj); err != nil {
				t.Fatalf("decoded object does not encode: %v", err)
			}
		}
	})
}

func FuzzParseSelector(f *testing.F) {
	for _, s := range []string{"", "a=b", "a==b,c!=d", "a in (x,y)", "a notin (x)", "!a", "a", "a>1", "k8s.io/x in ()", "a=b,,", "(("} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := ParseSelector(s)
		if err == nil {
			sel.Matches(map[string]string{"a": "b"})
			again, err := ParseSelector(sel.String())
			if err != nil {
				t.Fatalf("canonical form %q of %q does not parse: %v", sel.String(), s, err)
			}
			if again.String() != sel.String() {
				t.Fatalf("canonical form is not stable: %q then %q", sel.String(), again.String())
			}
		}
		fs, err := ParseFieldSelector(s)
		if err == nil {
			fs.Matches(&Pod{})
			if _, err := ParseFieldSelector(fs.String()); err != nil {
				t.Fatalf("field selector %q of %q does not parse back: %v", fs.String(), s, err)
			}
		}
	})
}
