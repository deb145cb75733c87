package api

import (
	"bytes"
	"encoding/json"
	"io"

	k8sjson "sigs.k8s.io/json"
)

// The fast path of DecodeObject: a JSON body decoded in one strict pass by
// sigs.k8s.io/json (Kubernetes' own case-sensitive decoder, which reports unknown
// and duplicate fields). Anything it does not accept as it stands — YAML, an
// unknown or duplicate field, a type error, kind or apiVersion not where the peek
// looks — goes to the general path, which builds the error message with every
// problem and its path. Both accept exactly the same documents: exact-case keys,
// none twice, each of the right type (decode_fast_test.go compares them).

// decodeJSONFast decodes data, one JSON object, when it is valid as it stands;
// ok is false when the general path must decide.
func decodeJSONFast(data []byte) (obj Object, res *Resource, ok bool) {
	kind, version, found := peekTypeMeta(data)
	if !found {
		return nil, nil, false
	}
	res, known := ResourceForKind(kind)
	if !known || res.APIVersion() != version {
		return nil, nil, false
	}
	obj = res.New()
	strictErrs, err := k8sjson.UnmarshalStrict(data, obj, k8sjson.DisallowDuplicateFields, k8sjson.DisallowUnknownFields)
	if err != nil || len(strictErrs) > 0 {
		return nil, nil, false
	}
	// The peek read the first keys only; the decode saw them all.
	if tm := obj.GetTypeMeta(); tm.Kind != res.Kind || tm.APIVersion != res.APIVersion() {
		return nil, nil, false
	}
	return obj, res, true
}

// peekTypeMeta reads kind and apiVersion when they come before the first key whose
// value is not a string (as every encoder of Kubernetes objects writes them).
func peekTypeMeta(data []byte) (kind, version string, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", "", false
	}
	for range 4 {
		kt, err := dec.Token()
		if err != nil {
			return "", "", false
		}
		key, isKey := kt.(string)
		if !isKey {
			return "", "", false
		}
		vt, err := dec.Token()
		if err != nil && err != io.EOF {
			return "", "", false
		}
		v, isString := vt.(string)
		if !isString {
			return "", "", false
		}
		switch key {
		case "kind":
			kind = v
		case "apiVersion":
			version = v
		}
		if kind != "" && version != "" {
			return kind, version, true
		}
	}
	return "", "", false
}
