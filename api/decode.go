package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"

	yamlv2 "go.yaml.in/yaml/v2"
	"sigs.k8s.io/yaml"
)

// maxJSONDepth bounds nesting so a hostile document cannot exhaust the stack.
const maxJSONDepth = 200

// DecodeObject strictly decodes one JSON or YAML document into its kind. kind and
// apiVersion must name a registered resource; unknown fields, duplicate keys and
// wrong types are errors that name their path. Every error is a BadRequest *Error.
func DecodeObject(data []byte) (Object, *Resource, error) {
	if raw := jsonSource(data); raw != nil {
		if obj, res, ok := decodeJSONFast(raw); ok {
			return obj, res, nil
		}
	}
	docs, err := splitDocuments(data)
	if err != nil {
		return nil, nil, err
	}
	if len(docs) != 1 {
		return nil, nil, NewError(ReasonBadRequest, "expected one object, found %d documents", len(docs))
	}
	obj, res, err := decodeGeneric(docs[0], jsonSource(data), nil)
	if err != nil {
		return nil, nil, badRequest(err)
	}
	return obj, res, nil
}

// DecodeInto strictly decodes one document into obj, a known kind. kind and
// apiVersion may be left out of data; when present they must match obj's resource.
func DecodeInto(data []byte, obj Object) error {
	docs, err := splitDocuments(data)
	if err != nil {
		return err
	}
	if len(docs) != 1 {
		return NewError(ReasonBadRequest, "expected one object, found %d documents", len(docs))
	}
	if _, _, err := decodeGeneric(docs[0], jsonSource(data), obj); err != nil {
		return badRequest(err)
	}
	return nil
}

// DecodeManifests decodes what a user applies: YAML documents separated by "---"
// lines (empty ones skipped), a JSON object, or a List ("kind: List" or any
// "*List") whose items are objects. Errors name the document, counted from 1 among
// the non-empty ones, and the item of a List.
func DecodeManifests(data []byte) ([]Object, error) {
	docs, err := splitDocuments(data)
	if err != nil {
		return nil, err
	}
	var out []Object
	for i, doc := range docs {
		if !isList(doc) {
			obj, _, err := decodeGeneric(doc, nil, nil)
			if err != nil {
				return nil, NewError(ReasonBadRequest, "document %d: %s", i+1, docLabel(doc, err))
			}
			out = append(out, obj)
			continue
		}
		m := doc.(map[string]any)
		if err := checkListKeys(m); err != nil {
			return nil, NewError(ReasonBadRequest, "document %d: %s", i+1, err.Error())
		}
		items, ok := m["items"].([]any)
		if !ok && m["items"] != nil {
			return nil, NewError(ReasonBadRequest, "document %d: items: expected array, got %s", i+1, describe(m["items"]))
		}
		for j, item := range items {
			obj, _, err := decodeGeneric(item, nil, nil)
			if err != nil {
				return nil, NewError(ReasonBadRequest, "document %d, item %d: %s", i+1, j+1, docLabel(item, err))
			}
			out = append(out, obj)
		}
	}
	return out, nil
}

// isList reports a "kind: List" or "kind: FooList" document, which holds items.
func isList(doc any) bool {
	m, _ := doc.(map[string]any)
	kind, _ := m["kind"].(string)
	if _, registered := ResourceForKind(kind); registered {
		return false
	}
	return strings.HasSuffix(kind, "List")
}

// checkListKeys allows only what a List carries.
func checkListKeys(m map[string]any) error {
	for _, k := range sortedKeys(m) {
		switch k {
		case "apiVersion", "kind", "metadata", "items":
		default:
			return fmt.Errorf("unknown field %q", k)
		}
	}
	return nil
}

// docLabel prefixes an error with the object it is about, when its kind and name are
// readable, so a user finds it in a long file.
func docLabel(doc any, err error) string {
	m, _ := doc.(map[string]any)
	kind, _ := m["kind"].(string)
	meta, _ := m["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	if kind == "" || name == "" {
		return err.Error()
	}
	return fmt.Sprintf("%s %q: %s", kind, name, err.Error())
}

func badRequest(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return NewError(ReasonBadRequest, "%s", err.Error())
}

// decodeGeneric resolves doc's resource and decodes it strictly. into, when not nil,
// is the object to fill (its resource must match a kind given in doc).
// jsonSource is data when it is one JSON document (what splitDocuments parsed as
// JSON), nil for YAML: the typed decode can then read the caller's bytes instead of
// a re-encoding of the generic document.
func jsonSource(data []byte) []byte {
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if len(trimmed) > 0 && trimmed[0] == '{' {
		return trimmed
	}
	return nil
}

// decodeGeneric checks doc strictly against the Go type of its kind and decodes it.
// raw, when not nil, is doc's own JSON text: once the strict check has passed (every
// key names a field exactly, none twice), decoding it gives what decoding a
// re-encoding of doc would, one encode cheaper.
func decodeGeneric(doc any, raw []byte, into Object) (Object, *Resource, error) {
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, nil, fmt.Errorf("expected an object, got %s", describe(doc))
	}
	res, err := resolveResource(m, into)
	if err != nil {
		return nil, nil, err
	}
	obj := into
	if obj == nil {
		obj = res.New()
	}
	var c strictChecker
	c.check("", m, reflect.TypeOf(obj).Elem())
	if msg := c.message(); msg != "" {
		return nil, nil, errors.New(msg)
	}
	if raw == nil {
		var err error
		if raw, err = json.Marshal(m); err != nil {
			return nil, nil, err
		}
	}
	if err := json.Unmarshal(raw, obj); err != nil {
		return nil, nil, err // not expected once the strict check passed
	}
	if res != nil {
		obj.GetTypeMeta().Kind, obj.GetTypeMeta().APIVersion = res.Kind, res.APIVersion()
	}
	return obj, res, nil
}

// resolveResource finds the resource doc's kind and apiVersion name.
func resolveResource(m map[string]any, into Object) (*Resource, error) {
	kind, kindOK := m["kind"].(string)
	version, versionOK := m["apiVersion"].(string)
	if into != nil {
		res, known := ResourceForObject(into)
		switch {
		case !known:
			return nil, nil
		case kind != "" && kind != res.Kind, version != "" && version != res.APIVersion():
			return nil, fmt.Errorf("expected kind %q of version %q, got kind %q of version %q",
				res.Kind, res.APIVersion(), kind, version)
		}
		return res, nil
	}
	switch {
	case !kindOK || kind == "":
		return nil, fmt.Errorf("kind is missing")
	case !versionOK || version == "":
		return nil, fmt.Errorf("apiVersion is missing")
	}
	res, ok := ResourceForKind(kind)
	if !ok {
		return nil, fmt.Errorf("no kind %q is registered", kind)
	}
	if res.APIVersion() != version {
		return nil, fmt.Errorf("no kind %q is registered for version %q", kind, version)
	}
	return res, nil
}

var (
	byTypeOnce sync.Once
	byType     map[reflect.Type]*Resource
)

// ResourceForObject finds the resource of obj by its Go type.
func ResourceForObject(obj Object) (*Resource, bool) {
	byTypeOnce.Do(func() {
		byType = map[reflect.Type]*Resource{}
		for _, r := range resources {
			byType[reflect.TypeOf(r.New())] = r
		}
	})
	if obj == nil {
		return nil, false
	}
	r, ok := byType[reflect.TypeOf(obj)]
	return r, ok
}

// splitDocuments turns data into generic documents, skipping empty ones.
func splitDocuments(data []byte) ([]any, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		v, err := parseJSON(trimmed)
		if err != nil {
			return nil, NewError(ReasonBadRequest, "invalid JSON: %s", err.Error())
		}
		return []any{v}, nil
	}
	var docs []any
	for _, chunk := range splitYAML(data) {
		v, err := parseYAML(chunk)
		if err != nil {
			return nil, NewError(ReasonBadRequest, "document %d: %s", len(docs)+1, err.Error())
		}
		if v != nil {
			docs = append(docs, v)
		}
	}
	return docs, nil
}

// splitYAML cuts data at "---" lines (a trailing comment allowed).
func splitYAML(data []byte) [][]byte {
	var out [][]byte
	start := 0
	for start <= len(data) {
		end := bytes.IndexByte(data[start:], '\n')
		lineEnd := len(data)
		if end >= 0 {
			lineEnd = start + end
		}
		line := strings.TrimRight(string(data[start:lineEnd]), " \t\r")
		if rest, ok := strings.CutPrefix(line, "---"); ok && (rest == "" || strings.HasPrefix(strings.TrimLeft(rest, " \t"), "#")) {
			out = append(out, data[:start])
			data = data[lineEnd:]
			if len(data) > 0 {
				data = data[1:]
			}
			start = 0
			continue
		}
		if end < 0 {
			break
		}
		start = lineEnd + 1
	}
	return append(out, data)
}

// parseYAML converts one YAML document to a generic JSON value (nil when empty).
func parseYAML(doc []byte) (any, error) {
	if err := singleYAMLDocument(doc); err != nil {
		return nil, err
	}
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return nil, errors.New(cleanYAMLError(err))
	}
	return parseJSON(js)
}

// singleYAMLDocument refuses a chunk that still holds several documents (a "---"
// followed by content on its line), which the converter would silently truncate.
func singleYAMLDocument(doc []byte) error {
	dec := yamlv2.NewDecoder(bytes.NewReader(doc))
	var v any
	for n := 0; ; n++ {
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return errors.New(cleanYAMLError(err))
		}
		if n >= 1 {
			return errors.New("more than one YAML document: put '---' on a line of its own between documents")
		}
	}
}

func cleanYAMLError(err error) string {
	msg := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
	msg = strings.ReplaceAll(msg, "\n", " ")
	return "invalid YAML: " + strings.Join(strings.Fields(msg), " ")
}

// parseJSON decodes exactly one JSON value with numbers kept exact, refusing
// duplicate keys (which encoding/json would resolve silently, last one winning).
func parseJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := parseJSONValue(dec, "", 0)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("unexpected end of input")
	}
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("unexpected data after the top-level value")
	}
	return v, nil
}

func parseJSONValue(dec *json.Decoder, path string, depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, fmt.Errorf("nested deeper than %d levels", maxJSONDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	switch d {
	case '{':
		m := map[string]any{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			key, _ := kt.(string)
			sub := joinPath(path, key)
			if _, dup := m[key]; dup {
				return nil, fmt.Errorf("duplicate field %q", sub)
			}
			if m[key], err = parseJSONValue(dec, sub, depth+1); err != nil {
				return nil, err
			}
		}
		_, err := dec.Token() // '}'
		return m, err
	case '[':
		items := []any{}
		for i := 0; dec.More(); i++ {
			v, err := parseJSONValue(dec, fmt.Sprintf("%s[%d]", path, i), depth+1)
			if err != nil {
				return nil, err
			}
			items = append(items, v)
		}
		_, err := dec.Token() // ']'
		return items, err
	}
	return nil, fmt.Errorf("unexpected %q", d)
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// DeepCopy returns an independent copy of obj (a JSON round trip), nil for nil.
func DeepCopy(obj Object) Object {
	if obj == nil || reflect.ValueOf(obj).IsNil() {
		return nil
	}
	out := reflect.New(reflect.TypeOf(obj).Elem()).Interface().(Object)
	raw, err := json.Marshal(obj)
	if err != nil {
		return out
	}
	_ = json.Unmarshal(raw, out) // our own output always decodes
	return out
}

// Encode writes obj as JSON.
func Encode(obj Object) ([]byte, error) {
	return json.Marshal(obj)
}
