package api

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// The strict check walks a generic JSON value (maps, slices, json.Number, ...) along
// the Go type it will be decoded into, and reports every unknown field and wrong type
// with its full path. encoding/json cannot do this: DisallowUnknownFields stops at the
// first unknown field without a path, and it matches field names case-insensitively.

// maxStrictErrors bounds the report so a hostile document cannot make it huge.
const maxStrictErrors = 20

type strictChecker struct {
	errs    []string
	dropped int
}

func (c *strictChecker) add(format string, args ...any) {
	if len(c.errs) >= maxStrictErrors {
		c.dropped++
		return
	}
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}

// message joins the errors as Kubernetes does ("a, b"), "" when there are none.
func (c *strictChecker) message() string {
	msg := strings.Join(c.errs, ", ")
	if c.dropped > 0 {
		msg += fmt.Sprintf(", and %d more errors", c.dropped)
	}
	return msg
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// check validates v (decoded with UseNumber) against type t at path.
func (c *strictChecker) check(path string, v any, t reflect.Type) {
	if v == nil {
		return // encoding/json leaves the target alone on null
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		c.checkUnmarshaler(path, v, t)
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		c.check(path, v, t.Elem())
	case reflect.Struct:
		c.checkStruct(path, v, t)
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			c.add("%s: expected object, got %s", pathOrRoot(path), describe(v))
			return
		}
		for _, k := range sortedKeys(m) {
			c.check(path+"["+k+"]", m[k], t.Elem())
		}
	case reflect.Slice:
		c.checkSlice(path, v, t)
	case reflect.String:
		switch v.(type) {
		case string:
		case bool, json.Number: // YAML reads yes, on, y, 1.0 unquoted as non-strings
			c.add("%s: expected string, got %s (quote it in YAML)", pathOrRoot(path), describe(v))
		default:
			c.add("%s: expected string, got %s", pathOrRoot(path), describe(v))
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			c.add("%s: expected boolean, got %s", pathOrRoot(path), describe(v))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		if !ok {
			c.add("%s: expected integer, got %s", pathOrRoot(path), describe(v))
		} else if _, err := strconv.ParseInt(string(n), 10, t.Bits()); err != nil {
			c.add("%s: %s is not a %d-bit integer", pathOrRoot(path), n, t.Bits())
		}
	case reflect.Float32, reflect.Float64:
		if _, ok := v.(json.Number); !ok {
			c.add("%s: expected number, got %s", pathOrRoot(path), describe(v))
		}
	case reflect.Interface:
		// anything goes
	default:
		c.add("%s: cannot decode into %s", pathOrRoot(path), t)
	}
}

func (c *strictChecker) checkUnmarshaler(path string, v any, t reflect.Type) {
	raw, err := json.Marshal(v)
	if err != nil {
		c.add("%s: %s", pathOrRoot(path), err.Error())
		return
	}
	target := reflect.New(t).Interface().(json.Unmarshaler)
	if err := target.UnmarshalJSON(raw); err != nil {
		c.add("%s: %s", pathOrRoot(path), strings.TrimPrefix(err.Error(), "api: "))
	}
}

func (c *strictChecker) checkSlice(path string, v any, t reflect.Type) {
	if t.Elem().Kind() == reflect.Uint8 { // []byte is base64 text on the wire
		s, ok := v.(string)
		if !ok {
			c.add("%s: expected base64 string, got %s", pathOrRoot(path), describe(v))
		} else if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			c.add("%s: invalid base64 data: %s", pathOrRoot(path), err.Error())
		}
		return
	}
	items, ok := v.([]any)
	if !ok {
		c.add("%s: expected array, got %s", pathOrRoot(path), describe(v))
		return
	}
	for i, item := range items {
		c.check(path+"["+strconv.Itoa(i)+"]", item, t.Elem())
	}
}

func (c *strictChecker) checkStruct(path string, v any, t reflect.Type) {
	m, ok := v.(map[string]any)
	if !ok {
		c.add("%s: expected object, got %s", pathOrRoot(path), describe(v))
		return
	}
	fields := jsonFields(t)
	for _, k := range sortedKeys(m) {
		sub := k
		if path != "" {
			sub = path + "." + k
		}
		ft, ok := fields[k]
		if !ok {
			c.add("unknown field %q", sub)
			continue
		}
		c.check(sub, m[k], ft)
	}
}

func pathOrRoot(path string) string {
	if path == "" {
		return "object"
	}
	return path
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// describe names a generic value's JSON type, with the value when it is short.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		if len(x) > 40 {
			return "string"
		}
		return fmt.Sprintf("string %q", x)
	case json.Number:
		return "number " + string(x)
	case bool:
		return "boolean " + strconv.FormatBool(x)
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

var fieldCache sync.Map // reflect.Type -> map[string]reflect.Type

// jsonFields maps each JSON name of struct t to its type, following encoding/json's
// rules: an embedded struct without a tag name has its fields promoted, "-" is skipped.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if f, ok := fieldCache.Load(t); ok {
		return f.(map[string]reflect.Type)
	}
	out := map[string]reflect.Type{}
	collectFields(t, out)
	fieldCache.Store(t, out)
	return out
}

func collectFields(t reflect.Type, out map[string]reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				collectFields(ft, out)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, dup := out[name]; !dup { // the shallower field wins, as in encoding/json
			out[name] = f.Type
		}
	}
}
