package api

import (
	"fmt"
	"strings"
	"unicode"
)

// validateAuthKind checks the RBAC kinds and Token, with Kubernetes' rules and
// wording where Kubernetes has them.
func validateAuthKind(l *errs, obj Object) {
	switch o := obj.(type) {
	case *Role:
		validatePolicyRules(l, o.Rules, true)
	case *ClusterRole:
		validatePolicyRules(l, o.Rules, false)
	case *RoleBinding:
		validateRoleRef(l, o.RoleRef, "Role", "ClusterRole")
		validateSubjects(l, o.Subjects, true)
	case *ClusterRoleBinding:
		validateRoleRef(l, o.RoleRef, "ClusterRole")
		validateSubjects(l, o.Subjects, false)
	case *Token:
		validateToken(l, o)
	}
}

// isPathSegmentName is Kubernetes' rule for RBAC object names: anything that can be
// one segment of a URL path, so "system:node" is a valid ClusterRole name. Berth
// also refuses control characters and spaces, which no manifest needs.
func isPathSegmentName(v string) []string {
	var out []string
	switch {
	case v == "." || v == "..":
		out = append(out, fmt.Sprintf("may not be '%s'", v))
	case strings.ContainsAny(v, "/%"):
		out = append(out, "may not contain '/' or '%'")
	case strings.IndexFunc(v, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0:
		out = append(out, "may not contain spaces or control characters")
	}
	if len(v) > dns1123SubdomainMaxLen {
		out = append(out, tooLong(dns1123SubdomainMaxLen))
	}
	return out
}

func validatePolicyRules(l *errs, rules []PolicyRule, namespaced bool) {
	for i, r := range rules {
		f := fmt.Sprintf("rules[%d]", i)
		if len(r.Verbs) == 0 {
			l.required(f+".verbs", "verbs must contain at least one value")
		}
		if len(r.NonResourceURLs) > 0 {
			if namespaced {
				l.invalid(f+".nonResourceURLs", r.NonResourceURLs, "namespaced rules cannot apply to non-resource URLs")
			}
			if len(r.APIGroups) > 0 || len(r.Resources) > 0 || len(r.ResourceNames) > 0 {
				l.invalid(f+".nonResourceURLs", r.NonResourceURLs, "rules cannot apply to both regular resources and non-resource URLs")
			}
			for j, u := range r.NonResourceURLs {
				if !strings.HasPrefix(u, "/") && u != "*" {
					l.invalid(fmt.Sprintf("%s.nonResourceURLs[%d]", f, j), u, "must start with '/' or be '*'")
				}
			}
			continue
		}
		if len(r.APIGroups) == 0 {
			l.required(f+".apiGroups", "resource rules must supply at least one api group")
		}
		if len(r.Resources) == 0 {
			l.required(f+".resources", "resource rules must supply at least one resource")
		}
	}
}

func validateRoleRef(l *errs, ref RoleRef, kinds ...string) {
	if ref.APIGroup != RBACGroup {
		l.unsupported("roleRef.apiGroup", ref.APIGroup, RBACGroup)
	}
	l.oneOf("roleRef.kind", ref.Kind, false, kinds...)
	if ref.Name == "" {
		l.required("roleRef.name", "")
	} else {
		l.name("roleRef.name", ref.Name, isPathSegmentName)
	}
}

// validateSubjects checks each subject; a ServiceAccount in a ClusterRoleBinding
// needs its namespace, in a RoleBinding it defaults to the binding's.
func validateSubjects(l *errs, subjects []Subject, inRoleBinding bool) {
	for i, s := range subjects {
		f := fmt.Sprintf("subjects[%d]", i)
		if s.Name == "" {
			l.required(f+".name", "")
		}
		switch s.Kind {
		case SubjectKindServiceAccount:
			if s.APIGroup != "" {
				l.unsupported(f+".apiGroup", s.APIGroup, "")
			}
			if s.Name != "" {
				l.name(f+".name", s.Name, isDNS1123Subdomain)
			}
			if s.Namespace == "" && !inRoleBinding {
				l.required(f+".namespace", "")
			}
		case SubjectKindUser, SubjectKindGroup:
			if s.APIGroup != "" && s.APIGroup != RBACGroup {
				l.unsupported(f+".apiGroup", s.APIGroup, RBACGroup)
			}
		default:
			l.unsupported(f+".kind", s.Kind, SubjectKindServiceAccount, SubjectKindUser, SubjectKindGroup)
		}
	}
}

func validateToken(l *errs, t *Token) {
	if t.Spec.User == "" {
		l.required("spec.user", "the user name the token authenticates as")
	} else if len(t.Spec.User) > dns1123SubdomainMaxLen {
		l.tooLong("spec.user", dns1123SubdomainMaxLen)
	}
	for i, g := range t.Spec.Groups {
		if strings.TrimSpace(g) == "" {
			l.invalid(fmt.Sprintf("spec.groups[%d]", i), g, "must not be empty")
		}
	}
	if j := t.Spec.Join; j != "" && j != JoinRoleServer && j != JoinRoleClient {
		l.invalid("spec.join", j, "must be server or client")
	}
	if ns, name, ok := strings.Cut(strings.TrimPrefix(t.Spec.User, "system:serviceaccount:"), ":"); ok &&
		strings.HasPrefix(t.Spec.User, "system:serviceaccount:") {
		l.name("spec.user", ns, isDNS1123Label)
		l.name("spec.user", name, isDNS1123Subdomain)
	}
}

// validateRoleRefUpdate keeps roleRef immutable, as Kubernetes does: changing what a
// binding grants is a delete and a create, which an audit trail can see.
func validateRoleRefUpdate(l *errs, old, cur Object) {
	var o, c RoleRef
	switch ob := old.(type) {
	case *RoleBinding:
		o, c = ob.RoleRef, cur.(*RoleBinding).RoleRef
	case *ClusterRoleBinding:
		o, c = ob.RoleRef, cur.(*ClusterRoleBinding).RoleRef
	default:
		return
	}
	if o != c {
		l.invalid("roleRef", c, "cannot change roleRef")
	}
}
