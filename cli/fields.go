package cli

import (
	"strconv"
	"time"
)

// fields is an object in its wire form, read by path. Every accessor returns the zero
// value for a missing or mistyped field, so a printer never fails on odd input.
type fields map[string]any

// get walks a path of map keys.
func (f fields) get(path ...string) any {
	var cur any = map[string]any(f)
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

func (f fields) str(path ...string) string {
	switch v := f.get(path...).(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// num reads a JSON number (decoded as float64).
func (f fields) num(path ...string) int64 {
	if v, ok := f.get(path...).(float64); ok {
		return int64(v)
	}
	return 0
}

// has says whether the field is present at all (to tell 0 from unset).
func (f fields) has(path ...string) bool {
	return f.get(path...) != nil
}

func (f fields) boolean(path ...string) bool {
	v, _ := f.get(path...).(bool)
	return v
}

func (f fields) obj(path ...string) fields {
	if m, ok := f.get(path...).(map[string]any); ok {
		return fields(m)
	}
	return nil
}

// list returns the maps of an array field, skipping elements that are not objects.
func (f fields) list(path ...string) []fields {
	arr, _ := f.get(path...).([]any)
	out := make([]fields, 0, len(arr))
	for _, e := range arr {
		if m, ok := e.(map[string]any); ok {
			out = append(out, fields(m))
		}
	}
	return out
}

// strs returns the strings of an array field.
func (f fields) strs(path ...string) []string {
	arr, _ := f.get(path...).([]any)
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// strMap returns a map of strings (labels, annotations, data).
func (f fields) strMap(path ...string) map[string]string {
	m, _ := f.get(path...).(map[string]any)
	out := make(map[string]string, len(m))
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// size is the number of entries of a map or array field.
func (f fields) size(path ...string) int {
	switch v := f.get(path...).(type) {
	case map[string]any:
		return len(v)
	case []any:
		return len(v)
	}
	return 0
}

// time parses an RFC 3339 timestamp; the zero time when absent or malformed.
func (f fields) time(path ...string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, f.str(path...))
	if err != nil {
		return time.Time{}
	}
	return t
}

func (f fields) name() string      { return f.str("metadata", "name") }
func (f fields) namespace() string { return f.str("metadata", "namespace") }
