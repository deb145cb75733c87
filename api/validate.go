package api

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// fieldError is one validation failure, printed as Kubernetes prints field errors:
// "spec.replicas: Invalid value: -1: must be greater than or equal to 0".
type fieldError struct {
	kind   string // "Required value", "Invalid value", ...
	field  string
	value  any
	detail string
}

// The kinds of field errors, with Kubernetes' wording.
const (
	errRequired    = "Required value"
	errInvalid     = "Invalid value"
	errDuplicate   = "Duplicate value"
	errUnsupported = "Unsupported value"
	errForbidden   = "Forbidden"
	errTooLong     = "Too long"
	errNotFound    = "Not found"
)

func (e fieldError) String() string {
	var b strings.Builder
	b.WriteString(e.field + ": " + e.kind)
	switch e.kind {
	case errInvalid, errDuplicate, errUnsupported, errNotFound:
		b.WriteString(": " + printValue(e.value))
	}
	if e.detail != "" {
		b.WriteString(": " + e.detail)
	}
	return b.String()
}

func printValue(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%q", x)
	case *string:
		if x == nil {
			return "null"
		}
		return fmt.Sprintf("%q", *x)
	case int, int32, int64, bool:
		return fmt.Sprint(x)
	case *int32:
		if x == nil {
			return "null"
		}
		return fmt.Sprint(*x)
	case *int64:
		if x == nil {
			return "null"
		}
		return fmt.Sprint(*x)
	case IntOrString:
		if x.Type == TypeString {
			return fmt.Sprintf("%q", x.StrVal)
		}
		return fmt.Sprint(x.IntVal)
	case Quantity:
		return fmt.Sprintf("%q", x.String())
	}
	return fmt.Sprintf("%#v", v)
}

// errs collects field errors; the helpers keep the call sites to one line.
type errs []fieldError

func (l *errs) required(field, detail string) {
	*l = append(*l, fieldError{kind: errRequired, field: field, detail: detail})
}
func (l *errs) invalid(field string, value any, detail string) {
	*l = append(*l, fieldError{kind: errInvalid, field: field, value: value, detail: detail})
}
func (l *errs) duplicate(field string, value any) {
	*l = append(*l, fieldError{kind: errDuplicate, field: field, value: value})
}
func (l *errs) forbidden(field, detail string) {
	*l = append(*l, fieldError{kind: errForbidden, field: field, detail: detail})
}
func (l *errs) notFound(field string, value any) {
	*l = append(*l, fieldError{kind: errNotFound, field: field, value: value})
}
func (l *errs) tooLong(field string, max int) {
	*l = append(*l, fieldError{kind: errTooLong, field: field, detail: fmt.Sprintf("must have at most %d bytes", max)})
}

// unsupported records a value outside a closed set, listing the set.
func (l *errs) unsupported(field string, value string, allowed ...string) {
	q := make([]string, len(allowed))
	for i, a := range allowed {
		q[i] = fmt.Sprintf("%q", a)
	}
	*l = append(*l, fieldError{kind: errUnsupported, field: field, value: value,
		detail: "supported values: " + strings.Join(q, ", ")})
}

// oneOf checks value against a closed set; "" passes when emptyOK (not yet defaulted).
func (l *errs) oneOf(field, value string, emptyOK bool, allowed ...string) {
	if value == "" && emptyOK {
		return
	}
	for _, a := range allowed {
		if value == a {
			return
		}
	}
	l.unsupported(field, value, allowed...)
}

// name checks value with a name rule, one Invalid error per failed reason.
func (l *errs) name(field, value string, rule func(string) []string) {
	for _, msg := range rule(value) {
		l.invalid(field, value, msg)
	}
}

func (l *errs) nonNegative(field string, v int64) {
	if v < 0 {
		l.invalid(field, v, "must be greater than or equal to 0")
	}
}

func (l *errs) portNumber(field string, port int32) {
	if port < 1 || port > 65535 {
		l.invalid(field, port, "must be between 1 and 65535, inclusive")
	}
}

// asError turns the list into the 422 answer, or nil when empty.
func (l errs) asError(obj Object) error {
	if len(l) == 0 {
		return nil
	}
	kind, qualified := obj.GetTypeMeta().Kind, obj.GetTypeMeta().Kind
	if res, ok := ResourceForObject(obj); ok {
		kind, qualified = res.Kind, res.Kind
		if res.Group != "" {
			qualified += "." + res.Group // Kubernetes names apps kinds "Deployment.apps"
		}
	}
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.String()
	}
	msg := parts[0]
	if len(parts) > 1 {
		msg = "[" + strings.Join(parts, ", ") + "]"
	}
	e := NewError(ReasonInvalid, "%s %q is invalid: %s", qualified, obj.GetObjectMeta().Name, msg)
	e.Status.Details = &StatusDetails{Name: obj.GetObjectMeta().Name, Kind: kind}
	return e
}

// Validate checks obj as the API does on create, and returns a 422 *Error whose
// message names every failing field. It accepts objects before or after Default.
func Validate(obj Object) error {
	if obj == nil || reflect.ValueOf(obj).IsNil() {
		return NewError(ReasonBadRequest, "no object")
	}
	var l errs
	res, ok := ResourceForObject(obj)
	if !ok {
		return NewError(ReasonBadRequest, "kind %q is not served by Berth", obj.GetTypeMeta().Kind)
	}
	validateObjectMeta(&l, obj.GetObjectMeta(), res)
	validateKind(&l, obj)
	return l.asError(obj)
}

func validateKind(l *errs, obj Object) {
	switch o := obj.(type) {
	case *Pod:
		validatePodSpec(l, "spec", &o.Spec, false)
	case *ReplicaSet:
		validateReplicaSet(l, o)
	case *Deployment:
		validateDeployment(l, o)
	case *StatefulSet:
		validateStatefulSet(l, o)
	case *DaemonSet:
		validateDaemonSet(l, o)
	case *Job:
		validateJob(l, o)
	case *PriorityClass:
		validatePriorityClass(l, o)
	case *Service:
		validateService(l, o)
	case *Endpoints:
		validateEndpoints(l, o)
	case *Ingress:
		validateIngress(l, o)
	case *IngressClass:
		validateIngressClass(l, o)
	case *NetworkPolicy:
		validateNetworkPolicy(l, o)
	case *ConfigMap:
		validateConfigMap(l, o)
	case *Secret:
		validateSecret(l, o)
	case *ResourceQuota:
		validateResourceQuota(l, o)
	case *LimitRange:
		validateLimitRange(l, o)
	case *Node:
		validateNode(l, o)
	case *Event:
		validateEvent(l, o)
	case *Role, *ClusterRole, *RoleBinding, *ClusterRoleBinding, *Token:
		validateAuthKind(l, o)
	case *Namespace:
		for i, f := range o.Spec.Finalizers {
			l.name(fmt.Sprintf("spec.finalizers[%d]", i), f, isQualifiedName)
		}
	}
}

// maxAnnotationsSize is Kubernetes' limit on the total of annotation keys and values.
const maxAnnotationsSize = 256 * 1024

// nameRule is the rule each kind's names follow (a DNS-1123 subdomain unless listed).
var nameRule = map[string]func(string) []string{
	"Namespace": isDNS1123Label,
	"Service":   isDNS1035Label,
	// RBAC names may hold ':' ("system:node"); a Token's name is the id part of its
	// bearer string "berth-<name>.<secret>", so it holds no dot.
	"Role": isPathSegmentName, "ClusterRole": isPathSegmentName,
	"RoleBinding": isPathSegmentName, "ClusterRoleBinding": isPathSegmentName,
	"Token": isDNS1123Label,
}

func validateObjectMeta(l *errs, m *ObjectMeta, res *Resource) {
	rule := nameRule[res.Kind]
	if rule == nil {
		rule = isDNS1123Subdomain
	}
	switch {
	case m.Name != "":
		l.name("metadata.name", m.Name, rule)
	case m.GenerateName == "":
		l.required("metadata.name", "name or generateName is required")
	}
	if res.Namespaced {
		if m.Namespace == "" {
			l.required("metadata.namespace", "")
		} else {
			l.name("metadata.namespace", m.Namespace, isDNS1123Label)
		}
	} else if m.Namespace != "" {
		l.forbidden("metadata.namespace", "not allowed on this type")
	}
	validateLabels(l, "metadata.labels", m.Labels)
	validateAnnotations(l, "metadata.annotations", m.Annotations)
	if m.Generation < 0 {
		l.invalid("metadata.generation", m.Generation, "must be greater than or equal to 0")
	}
	for i, f := range m.Finalizers {
		l.name(fmt.Sprintf("metadata.finalizers[%d]", i), f, isQualifiedName)
	}
}

// validateLabels checks keys (qualified names) and values (label values), in key
// order so messages are stable.
func validateLabels(l *errs, field string, labels map[string]string) {
	for _, k := range sortedStringKeys(labels) {
		l.name(field, k, isQualifiedName)
		l.name(field, labels[k], isLabelValue)
	}
}

func validateAnnotations(l *errs, field string, ann map[string]string) {
	total := 0
	for _, k := range sortedStringKeys(ann) {
		l.name(field, strings.ToLower(k), isQualifiedName)
		total += len(k) + len(ann[k])
	}
	if total > maxAnnotationsSize {
		l.tooLong(field, maxAnnotationsSize)
	}
}

func sortedStringKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// validateLabelSelector checks a spec's structured selector.
func validateLabelSelector(l *errs, field string, s *LabelSelector) {
	if s == nil {
		return
	}
	validateLabels(l, field+".matchLabels", s.MatchLabels)
	for i, e := range s.MatchExpressions {
		f := fmt.Sprintf("%s.matchExpressions[%d]", field, i)
		l.name(f+".key", e.Key, isQualifiedName)
		switch e.Operator {
		case LabelSelectorOpIn, LabelSelectorOpNotIn:
			if len(e.Values) == 0 {
				l.required(f+".values", "must be specified when `operator` is 'In' or 'NotIn'")
			}
		case LabelSelectorOpExists, LabelSelectorOpDoesNotExist:
			if len(e.Values) > 0 {
				l.forbidden(f+".values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")
			}
		default:
			l.invalid(f+".operator", e.Operator, "not a valid selector operator")
		}
		for j, v := range e.Values {
			l.name(fmt.Sprintf("%s.values[%d]", f, j), v, isLabelValue)
		}
	}
}
