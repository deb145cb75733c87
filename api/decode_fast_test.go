package api

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

// generalDecode is DecodeObject without the fast path.
func generalDecode(data []byte) (Object, *Resource, error) {
	docs, err := splitDocuments(data)
	if err != nil {
		return nil, nil, err
	}
	if len(docs) != 1 {
		return nil, nil, NewError(ReasonBadRequest, "expected one object, found %d documents", len(docs))
	}
	return decodeGeneric(docs[0], jsonSource(data), nil)
}

// fastDecodeCases are JSON documents on both sides of the strict rules.
var fastDecodeCases = []struct {
	name string
	doc  string
	fast bool // taken by the fast path
}{
	{"pod", `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p","labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i","resources":{"requests":{"cpu":"10m","memory":"16Mi"}}}]}}`, true},
	{"apiVersion first", `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":3,"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}}`, true},
	{"kind after metadata", `{"metadata":{"name":"p"},"kind":"ConfigMap","apiVersion":"v1","data":{"k":"v"}}`, false},
	{"unknown field", `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"},"spec":{"containerz":[]}}`, false},
	{"duplicate field", `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p","name":"q"}}`, false},
	{"duplicate map key", `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p","labels":{"a":"1","a":"2"}}}`, false},
	{"duplicate kind", `{"kind":"Pod","apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"p"}}`, false},
	{"wrong case", `{"kind":"Pod","apiVersion":"v1","Metadata":{"name":"p"}}`, false},
	{"type error", `{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"d"},"spec":{"replicas":"3"}}`, false},
	{"float for int", `{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"d"},"spec":{"replicas":1.5}}`, false},
	{"bad quantity", `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i","resources":{"limits":{"cpu":"lots"}}}]}}`, false},
	{"bad base64", `{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s"},"data":{"k":"!!"}}`, false},
	{"wrong version", `{"kind":"Pod","apiVersion":"v2","metadata":{"name":"p"}}`, false},
	{"unknown kind", `{"kind":"Widget","apiVersion":"v1","metadata":{"name":"p"}}`, false},
	{"trailing data", `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"}} {}`, false},
	{"nulls", `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p","labels":null},"spec":null}`, true},
}

// TestDecodeFastAgreesWithGeneral: the fast path takes exactly the documents it
// should, and what it takes decodes as the general path decodes it.
func TestDecodeFastAgreesWithGeneral(t *testing.T) {
	for _, tc := range fastDecodeCases {
		t.Run(tc.name, func(t *testing.T) {
			obj, res, ok := decodeJSONFast([]byte(tc.doc))
			if ok != tc.fast {
				t.Fatalf("fast path took it: %v, want %v", ok, tc.fast)
			}
			checkFastAgrees(t, []byte(tc.doc))
			if ok && (obj == nil || res == nil || obj.GetTypeMeta().Kind != res.Kind) {
				t.Fatalf("fast path gave %#v, %v", obj, res)
			}
		})
	}
}

// TestDecodeObjectErrorsUnchanged: documents the fast path refuses still get the
// general path's message, with the field's path.
func TestDecodeObjectErrorsUnchanged(t *testing.T) {
	_, _, err := DecodeObject([]byte(`{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"},"spec":{"containerz":[]}}`))
	if err == nil || !strings.Contains(err.Error(), `unknown field "spec.containerz"`) {
		t.Fatalf("DecodeObject = %v, want the unknown field named with its path", err)
	}
}

// TestDecodeFastTakesEncodedObjects: what Encode writes (the shape of every body
// Berth's own clients send) takes the fast path.
func TestDecodeFastTakesEncodedObjects(t *testing.T) {
	for _, name := range []string{"testdata/app.yaml", "testdata/workloads.yaml"} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := DecodeManifests(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			raw, err := Encode(o)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, ok := decodeJSONFast(raw); !ok {
				t.Errorf("%s %s: encoded form not taken by the fast path: %s", o.GetTypeMeta().Kind, o.GetObjectMeta().Name, raw)
			}
			checkFastAgrees(t, raw)
		}
	}
}

// checkFastAgrees fails when the fast path accepts data and the general path does
// not, or decodes it differently.
func checkFastAgrees(t *testing.T, data []byte) {
	t.Helper()
	fast, fres, ok := decodeJSONFast(data)
	if !ok {
		return
	}
	gen, gres, err := generalDecode(data)
	if err != nil {
		t.Fatalf("fast path accepted what the general path refuses (%v): %s", err, data)
	}
	if fres != gres || !reflect.DeepEqual(fast, gen) {
		fj, _ := json.Marshal(fast)
		gj, _ := json.Marshal(gen)
		t.Fatalf("fast and general decodes differ:\nfast    %s\ngeneral %s", fj, gj)
	}
}

// FuzzDecodeFastAgrees: no input is accepted by the fast path and refused, or read
// differently, by the general one.
func FuzzDecodeFastAgrees(f *testing.F) {
	for _, tc := range fastDecodeCases {
		f.Add([]byte(tc.doc))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFastAgrees(t, data)
	})
}
