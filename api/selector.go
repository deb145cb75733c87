package api

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Selector matches objects by their labels.
type Selector interface {
	// Matches reports whether labels satisfy every requirement.
	Matches(labels map[string]string) bool
	// String is the canonical string form, which ParseSelector reads back.
	String() string
	// Empty reports a selector with no requirement (it matches everything).
	Empty() bool
}

// Operator is the relation of one label requirement.
type Operator string

// The operators of label requirements.
const (
	OpEquals       Operator = "="
	OpDoubleEquals Operator = "=="
	OpNotEquals    Operator = "!="
	OpIn           Operator = "in"
	OpNotIn        Operator = "notin"
	OpExists       Operator = "exists"
	OpDoesNotExist Operator = "!"
	OpGt           Operator = "gt" // node affinity only: the label is an integer greater than Values[0]
	OpLt           Operator = "lt"
)

// Requirement is one condition on one label key. Values are sorted.
type Requirement struct {
	Key      string
	Operator Operator
	Values   []string
}

// NewRequirement checks and builds a requirement: the key must be a qualified name,
// values label values, with as many values as the operator needs.
func NewRequirement(key string, op Operator, values []string) (Requirement, error) {
	if errs := isQualifiedName(key); len(errs) > 0 {
		return Requirement{}, fmt.Errorf("%w: key %q: %s", ErrInvalidSelector, key, strings.Join(errs, "; "))
	}
	switch op {
	case OpEquals, OpDoubleEquals, OpNotEquals:
		if len(values) != 1 {
			return Requirement{}, fmt.Errorf("%w: %q: exactly one value is required", ErrInvalidSelector, key)
		}
	case OpIn, OpNotIn:
		if len(values) == 0 {
			return Requirement{}, fmt.Errorf("%w: %q: for 'in', 'notin' operators, values set can't be empty", ErrInvalidSelector, key)
		}
	case OpExists, OpDoesNotExist:
		if len(values) != 0 {
			return Requirement{}, fmt.Errorf("%w: %q: values set must be empty for exists and does not exist", ErrInvalidSelector, key)
		}
	case OpGt, OpLt:
		if len(values) != 1 {
			return Requirement{}, fmt.Errorf("%w: %q: for 'Gt', 'Lt' operators, exactly one value is required", ErrInvalidSelector, key)
		}
		if _, err := strconv.ParseInt(values[0], 10, 64); err != nil {
			return Requirement{}, fmt.Errorf("%w: %q: for 'Gt', 'Lt' operators, the value must be an integer", ErrInvalidSelector, key)
		}
		return Requirement{Key: key, Operator: op, Values: []string{values[0]}}, nil
	default:
		return Requirement{}, fmt.Errorf("%w: %q is not a valid label selector operator", ErrInvalidSelector, op)
	}
	for _, v := range values {
		if errs := isLabelValue(v); len(errs) > 0 {
			return Requirement{}, fmt.Errorf("%w: value %q: %s", ErrInvalidSelector, v, strings.Join(errs, "; "))
		}
	}
	vs := slices.Clone(values)
	slices.Sort(vs)
	return Requirement{Key: key, Operator: op, Values: slices.Compact(vs)}, nil
}

// Matches reports whether labels satisfy the requirement.
func (r Requirement) Matches(labels map[string]string) bool {
	v, has := labels[r.Key]
	switch r.Operator {
	case OpEquals, OpDoubleEquals, OpIn:
		return has && slices.Contains(r.Values, v)
	case OpNotEquals, OpNotIn:
		return !has || !slices.Contains(r.Values, v)
	case OpExists:
		return has
	case OpDoesNotExist:
		return !has
	case OpGt, OpLt:
		if !has || len(r.Values) != 1 {
			return false
		}
		lv, err1 := strconv.ParseInt(v, 10, 64)
		rv, err2 := strconv.ParseInt(r.Values[0], 10, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		return (r.Operator == OpGt && lv > rv) || (r.Operator == OpLt && lv < rv)
	}
	return false
}

// String is the requirement in selector syntax ("a in (x,y)", "!b").
func (r Requirement) String() string {
	switch r.Operator {
	case OpExists:
		return r.Key
	case OpDoesNotExist:
		return "!" + r.Key
	case OpIn, OpNotIn:
		return r.Key + " " + string(r.Operator) + " (" + strings.Join(r.Values, ",") + ")"
	case OpGt:
		return r.Key + ">" + strings.Join(r.Values, "")
	case OpLt:
		return r.Key + "<" + strings.Join(r.Values, "")
	}
	return r.Key + string(r.Operator) + strings.Join(r.Values, "")
}

// Requirements is a selector: the AND of its requirements, kept sorted by key.
type Requirements []Requirement

// Matches reports whether labels satisfy every requirement.
func (rs Requirements) Matches(labels map[string]string) bool {
	for _, r := range rs {
		if !r.Matches(labels) {
			return false
		}
	}
	return true
}

// String joins the requirements with ",".
func (rs Requirements) String() string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	return strings.Join(parts, ",")
}

// Empty reports no requirement.
func (rs Requirements) Empty() bool { return len(rs) == 0 }

func newRequirements(rs []Requirement) Requirements {
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Key < rs[j].Key })
	return Requirements(rs)
}

type nothingSelector struct{}

func (nothingSelector) Matches(map[string]string) bool { return false }
func (nothingSelector) String() string                 { return "" }
func (nothingSelector) Empty() bool                    { return false }

// Everything selects every object.
func Everything() Selector { return Requirements(nil) }

// Nothing selects no object (what a nil LabelSelector means).
func Nothing() Selector { return nothingSelector{} }

// SelectorFromSet selects objects whose labels include every pair of set.
func SelectorFromSet(set map[string]string) Selector {
	rs := make([]Requirement, 0, len(set))
	for k, v := range set {
		rs = append(rs, Requirement{Key: k, Operator: OpEquals, Values: []string{v}})
	}
	return newRequirements(rs)
}

// ParseSelector reads the string syntax of label selectors: "a=b", "a==b", "a!=b",
// "a in (x,y)", "a notin (x)", "a", "!a", "a>1", "a<1", joined by "," (AND). An empty
// string selects everything. The error wraps ErrInvalidSelector and names the bad part.
func ParseSelector(s string) (Selector, error) {
	parts, err := splitSelector(s)
	if err != nil {
		return nil, err
	}
	rs := make([]Requirement, 0, len(parts))
	for _, p := range parts {
		r, err := parseRequirement(p)
		if err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	return newRequirements(rs), nil
}

// splitSelector cuts s at the commas outside parentheses.
func splitSelector(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
			if depth > 1 {
				return nil, fmt.Errorf("%w %q: nested parentheses", ErrInvalidSelector, s)
			}
		case ')':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("%w %q: unbalanced ')'", ErrInvalidSelector, s)
			}
		case ',':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("%w %q: missing ')'", ErrInvalidSelector, s)
	}
	parts = append(parts, s[start:])
	for _, p := range parts {
		if strings.TrimSpace(p) == "" {
			return nil, fmt.Errorf("%w %q: empty requirement", ErrInvalidSelector, s)
		}
	}
	return parts, nil
}

func isKeyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '/'
}

// parseRequirement reads one requirement, without commas outside parentheses.
func parseRequirement(part string) (Requirement, error) {
	p := strings.TrimSpace(part)
	bad := func(why string) error { return fmt.Errorf("%w %q: %s", ErrInvalidSelector, p, why) }
	if rest, ok := strings.CutPrefix(p, "!"); ok && !strings.HasPrefix(rest, "=") {
		key := strings.TrimSpace(rest)
		r, err := NewRequirement(key, OpDoesNotExist, nil)
		if err != nil {
			return r, bad(strings.TrimPrefix(err.Error(), ErrInvalidSelector.Error()+": "))
		}
		return r, nil
	}
	i := 0
	for i < len(p) && isKeyChar(p[i]) {
		i++
	}
	key, rest := p[:i], strings.TrimLeft(p[i:], " \t")
	if key == "" {
		return Requirement{}, bad("missing key")
	}
	op, values, err := parseOperatorAndValues(rest)
	if err != nil {
		return Requirement{}, bad(err.Error())
	}
	r, err := NewRequirement(key, op, values)
	if err != nil {
		return r, bad(strings.TrimPrefix(err.Error(), ErrInvalidSelector.Error()+": "))
	}
	return r, nil
}

// parseOperatorAndValues reads what follows a key.
func parseOperatorAndValues(rest string) (Operator, []string, error) {
	for _, op := range []Operator{OpDoubleEquals, OpNotEquals, OpEquals} {
		if v, ok := strings.CutPrefix(rest, string(op)); ok {
			return op, []string{strings.TrimSpace(v)}, nil
		}
	}
	if v, ok := strings.CutPrefix(rest, ">"); ok {
		return OpGt, []string{strings.TrimSpace(v)}, nil
	}
	if v, ok := strings.CutPrefix(rest, "<"); ok {
		return OpLt, []string{strings.TrimSpace(v)}, nil
	}
	if rest == "" {
		return OpExists, nil, nil
	}
	for _, op := range []Operator{OpNotIn, OpIn} {
		v, ok := strings.CutPrefix(rest, string(op))
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		inner, ok := strings.CutPrefix(v, "(")
		if !ok {
			return "", nil, fmt.Errorf("expected '(' after %q", op)
		}
		inner, ok = strings.CutSuffix(inner, ")")
		if !ok {
			return "", nil, fmt.Errorf("expected ')' at the end")
		}
		var values []string
		if strings.TrimSpace(inner) != "" {
			for _, x := range strings.Split(inner, ",") {
				x = strings.TrimSpace(x)
				if x == "" { // "(a,)" is a typo far more often than a wish for ""
					return "", nil, fmt.Errorf("empty value in the set")
				}
				values = append(values, x)
			}
		}
		return op, values, nil
	}
	return "", nil, fmt.Errorf("unexpected %q after the key", rest)
}

// LabelSelector is the structured selector of specs (matchLabels AND matchExpressions).
type LabelSelector struct {
	MatchLabels      map[string]string          `json:"matchLabels,omitempty"`
	MatchExpressions []LabelSelectorRequirement `json:"matchExpressions,omitempty"`
}

// LabelSelectorRequirement is one expression: In, NotIn, Exists or DoesNotExist.
type LabelSelectorRequirement struct {
	Key      string   `json:"key"`
	Operator string   `json:"operator"`
	Values   []string `json:"values,omitempty"`
}

// The operators of LabelSelectorRequirement.
const (
	LabelSelectorOpIn           = "In"
	LabelSelectorOpNotIn        = "NotIn"
	LabelSelectorOpExists       = "Exists"
	LabelSelectorOpDoesNotExist = "DoesNotExist"
)

var labelSelectorOps = map[string]Operator{
	LabelSelectorOpIn: OpIn, LabelSelectorOpNotIn: OpNotIn,
	LabelSelectorOpExists: OpExists, LabelSelectorOpDoesNotExist: OpDoesNotExist,
}

// AsSelector converts to a Selector. As in Kubernetes, a nil LabelSelector selects
// nothing and an empty one selects everything.
func (ls *LabelSelector) AsSelector() (Selector, error) {
	if ls == nil {
		return Nothing(), nil
	}
	rs := make([]Requirement, 0, len(ls.MatchLabels)+len(ls.MatchExpressions))
	for k, v := range ls.MatchLabels {
		r, err := NewRequirement(k, OpEquals, []string{v})
		if err != nil {
			return nil, fmt.Errorf("matchLabels: %w", err)
		}
		rs = append(rs, r)
	}
	for i, e := range ls.MatchExpressions {
		op, ok := labelSelectorOps[e.Operator]
		if !ok {
			return nil, fmt.Errorf("matchExpressions[%d].operator: %w: %q is not a valid label selector operator",
				i, ErrInvalidSelector, e.Operator)
		}
		r, err := NewRequirement(e.Key, op, e.Values)
		if err != nil {
			return nil, fmt.Errorf("matchExpressions[%d]: %w", i, err)
		}
		rs = append(rs, r)
	}
	return newRequirements(rs), nil
}
