package api

import (
	"fmt"
	"strconv"
	"strings"
)

// FieldSelector matches objects by a few of their fields ("spec.nodeName=n1"). The
// zero FieldSelector matches everything.
type FieldSelector struct {
	reqs []FieldRequirement
}

// FieldRequirement is one "field=value" or "field!=value" condition.
type FieldRequirement struct {
	Field  string
	Value  string
	Negate bool // true for "!="
}

// fieldGetters lists the selectable fields of each kind beyond metadata.name and
// metadata.namespace, which every kind has. It is the one place to add a field.
var fieldGetters = map[string]map[string]func(Object) string{
	"Pod": {
		"spec.nodeName":      func(o Object) string { return o.(*Pod).Spec.NodeName },
		"spec.restartPolicy": func(o Object) string { return o.(*Pod).Spec.RestartPolicy },
		"spec.schedulerName": func(o Object) string { return o.(*Pod).Spec.SchedulerName },
		"status.phase":       func(o Object) string { return o.(*Pod).Status.Phase },
		"status.podIP":       func(o Object) string { return o.(*Pod).Status.PodIP },
	},
	"Node": {
		"spec.unschedulable": func(o Object) string { return strconv.FormatBool(o.(*Node).Spec.Unschedulable) },
	},
	"Event": {
		"involvedObject.kind":      func(o Object) string { return o.(*Event).InvolvedObject.Kind },
		"involvedObject.name":      func(o Object) string { return o.(*Event).InvolvedObject.Name },
		"involvedObject.namespace": func(o Object) string { return o.(*Event).InvolvedObject.Namespace },
		"involvedObject.uid":       func(o Object) string { return o.(*Event).InvolvedObject.UID },
		"reason":                   func(o Object) string { return o.(*Event).Reason },
		"type":                     func(o Object) string { return o.(*Event).Type },
		"source":                   func(o Object) string { return o.(*Event).Source.Component },
	},
	"Secret": {
		"type": func(o Object) string { return o.(*Secret).Type },
	},
}

// fieldValue reads a selectable field of obj; ok is false when the kind lacks it.
func fieldValue(obj Object, field string) (string, bool) {
	switch field {
	case "metadata.name":
		return obj.GetObjectMeta().Name, true
	case "metadata.namespace":
		return obj.GetObjectMeta().Namespace, true
	}
	get, ok := fieldGetters[kindOf(obj)][field]
	if !ok {
		return "", false
	}
	return get(obj), true
}

// kindOf is the kind of obj by its Go type (never by TypeMeta, which may be empty or
// wrong), for the kinds with getters; "" for the others.
func kindOf(obj Object) string {
	switch obj.(type) {
	case *Pod:
		return "Pod"
	case *Node:
		return "Node"
	case *Event:
		return "Event"
	case *Secret:
		return "Secret"
	}
	return ""
}

// ParseFieldSelector reads "f=v", "f==v", "f!=v" joined by "," (AND). In values,
// "\," "\=" and "\\" escape a comma, an equals sign and a backslash. The error wraps
// ErrInvalidSelector and names the bad part.
func ParseFieldSelector(s string) (FieldSelector, error) {
	if strings.TrimSpace(s) == "" {
		return FieldSelector{}, nil
	}
	var fs FieldSelector
	for _, part := range splitEscaped(s, ',') {
		r, err := parseFieldRequirement(part)
		if err != nil {
			return FieldSelector{}, err
		}
		fs.reqs = append(fs.reqs, r)
	}
	return fs, nil
}

func parseFieldRequirement(part string) (FieldRequirement, error) {
	bad := func(why string) error { return fmt.Errorf("%w %q: %s", ErrInvalidSelector, part, why) }
	i := strings.IndexAny(part, "!=")
	if i <= 0 {
		return FieldRequirement{}, bad("expected field=value or field!=value")
	}
	field, rest := strings.TrimSpace(part[:i]), part[i:]
	r := FieldRequirement{Field: field}
	switch {
	case strings.HasPrefix(rest, "!="):
		r.Negate, rest = true, rest[2:]
	case strings.HasPrefix(rest, "=="):
		rest = rest[2:]
	case strings.HasPrefix(rest, "="):
		rest = rest[1:]
	default:
		return FieldRequirement{}, bad("expected field=value or field!=value")
	}
	v, err := unescapeFieldValue(rest)
	if err != nil {
		return FieldRequirement{}, bad(err.Error())
	}
	if field == "" || strings.ContainsAny(field, " \t\\") {
		return FieldRequirement{}, bad("invalid field name")
	}
	r.Value = v
	return r, nil
}

// splitEscaped cuts s at every sep not preceded by a backslash escape.
func splitEscaped(s string, sep byte) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

func unescapeFieldValue(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 >= len(s) || !strings.ContainsRune(`\,=`, rune(s[i+1])) {
				return "", fmt.Errorf("invalid escape sequence")
			}
			i++
			b.WriteByte(s[i])
		case c == ',' || c == '=':
			return "", fmt.Errorf("unescaped %q in the value", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func escapeFieldValue(s string) string {
	return strings.NewReplacer(`\`, `\\`, `,`, `\,`, `=`, `\=`).Replace(s)
}

// Requirements lists the conditions, in the order given.
func (fs FieldSelector) Requirements() []FieldRequirement {
	return append([]FieldRequirement(nil), fs.reqs...)
}

// Empty reports a selector with no condition.
func (fs FieldSelector) Empty() bool { return len(fs.reqs) == 0 }

// String is the selector in its string syntax.
func (fs FieldSelector) String() string {
	parts := make([]string, len(fs.reqs))
	for i, r := range fs.reqs {
		op := "="
		if r.Negate {
			op = "!="
		}
		parts[i] = r.Field + op + escapeFieldValue(r.Value)
	}
	return strings.Join(parts, ",")
}

// Matches reports whether obj satisfies every condition. A field the kind does not
// have never matches; ValidateFieldSelector rejects such selectors up front.
func (fs FieldSelector) Matches(obj Object) bool {
	for _, r := range fs.reqs {
		v, ok := fieldValue(obj, r.Field)
		if !ok || (v == r.Value) == r.Negate {
			return false
		}
	}
	return true
}

// ValidateFieldSelector checks that every field of fs is selectable on res; the
// error is a BadRequest *Error "field label not supported: X".
func ValidateFieldSelector(res *Resource, fs FieldSelector) error {
	for _, r := range fs.reqs {
		if r.Field == "metadata.name" || r.Field == "metadata.namespace" {
			continue
		}
		if _, ok := fieldGetters[res.Kind][r.Field]; !ok {
			return NewError(ReasonBadRequest, "field label not supported: %s", r.Field)
		}
	}
	return nil
}
