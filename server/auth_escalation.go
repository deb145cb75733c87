package server

import (
	"fmt"
	"slices"
	"strings"

	"github.com/berth-dev/berth/api"
)

// Kubernetes' escalation check: a user may write a Role or ClusterRole only with
// rules they hold themselves (or the verb "escalate" on it), and bind a role only if
// they hold its rules (or the verb "bind" on it), in the namespace the role or
// binding acts in. Without it, a namespace admin (who may write RoleBindings) could
// bind cluster-admin in their namespace and, say, delete the namespace itself.

// needsEscalationCheck says whether a request writes an RBAC object.
func needsEscalationCheck(a attributes) bool {
	return a.resourceRequest && a.apiGroup == api.RBACGroup && a.subresource == "" &&
		(a.verb == api.VerbCreate || a.verb == api.VerbUpdate || a.verb == api.VerbPatch)
}

// checkEscalation judges obj, the body of the write a describes; nil means it may
// go on (a body that does not decode is left to the handler to refuse).
func checkEscalation(src rbacSource, a attributes, obj api.Object) *api.Error {
	if slices.Contains(a.user.Groups, groupMasters) {
		return nil
	}
	ns := a.namespace
	var rules []api.PolicyRule
	switch o := obj.(type) {
	case *api.Role:
		if authorize(src, resourceAttributes(a.user, "escalate", api.RBACGroup, "roles", "", ns, o.Name)).allowed {
			return nil
		}
		rules = o.Rules
	case *api.ClusterRole:
		if authorize(src, resourceAttributes(a.user, "escalate", api.RBACGroup, "clusterroles", "", "", o.Name)).allowed {
			return nil
		}
		ns, rules = "", o.Rules
	case *api.RoleBinding:
		var err *api.Error
		if rules, err = boundRules(src, a.user, ns, o.RoleRef); rules == nil {
			return err
		}
	case *api.ClusterRoleBinding:
		var err *api.Error
		if rules, err = boundRules(src, a.user, "", o.RoleRef); rules == nil {
			return err
		}
		ns = ""
	default:
		return nil
	}
	held := heldRules(src, a.user, ns)
	var missing []string
	for _, r := range rules {
		missing = append(missing, uncovered(held, r)...)
	}
	if len(missing) == 0 {
		return nil
	}
	if len(missing) > 5 {
		missing = append(missing[:5], fmt.Sprintf("and %d more", len(missing)-5))
	}
	qualified := a.resource + "." + a.apiGroup
	return api.NewError(api.ReasonForbidden, "%s %q is forbidden: User %q is attempting to grant RBAC permissions not currently held: %s",
		qualified, obj.GetObjectMeta().Name, a.user.Name, strings.Join(missing, "; "))
}

// boundRules returns the rules a binding to ref would grant, or nil with nil when
// the user may "bind" the role anyway, or nil with an error when it does not exist.
func boundRules(src rbacSource, u *userInfo, ns string, ref api.RoleRef) ([]api.PolicyRule, *api.Error) {
	plural, scope := "clusterroles", ns
	if ref.Kind == "Role" {
		plural = "roles"
	}
	// As Kubernetes: "bind" is asked in the binding's namespace even of a ClusterRole
	// (a Role there may allow binding one ClusterRole), so no scope normalizing.
	bind := attributes{user: u, verb: "bind", resourceRequest: true, apiGroup: api.RBACGroup,
		resource: plural, namespace: scope, name: ref.Name}
	if authorize(src, bind).allowed {
		return nil, nil
	}
	var rules []api.PolicyRule
	var found bool
	if ref.Kind == "Role" {
		var r *api.Role
		if r, found = src.role(ns, ref.Name); found {
			rules = r.Rules
		}
	} else {
		var r *api.ClusterRole
		if r, found = src.clusterRole(ref.Name); found {
			rules = r.Rules
		}
	}
	if !found {
		return nil, api.NewError(api.ReasonNotFound, "%s.%s %q not found", plural, api.RBACGroup, ref.Name)
	}
	return append([]api.PolicyRule{}, rules...), nil // non-nil even when empty
}

// heldRules is every rule the user holds in ns ("" is the cluster scope): those of
// their ClusterRoleBindings and, in a namespace, the resource rules of its
// RoleBindings.
func heldRules(src rbacSource, u *userInfo, ns string) []api.PolicyRule {
	var out []api.PolicyRule
	for _, b := range src.clusterRoleBindings() {
		if _, ok := appliesTo(u, b.Subjects, ""); ok && b.RoleRef.Kind == "ClusterRole" {
			if r, ok := src.clusterRole(b.RoleRef.Name); ok {
				out = append(out, r.Rules...)
			}
		}
	}
	if ns == "" {
		return out
	}
	for _, b := range src.roleBindings(ns) {
		if _, ok := appliesTo(u, b.Subjects, b.Namespace); !ok {
			continue
		}
		var rules []api.PolicyRule
		if r, ok := src.clusterRole(b.RoleRef.Name); ok && b.RoleRef.Kind == "ClusterRole" {
			rules = r.Rules
		} else if r, ok := src.role(b.Namespace, b.RoleRef.Name); ok && b.RoleRef.Kind == "Role" {
			rules = r.Rules
		}
		for _, r := range rules {
			if len(r.NonResourceURLs) == 0 {
				out = append(out, r)
			}
		}
	}
	return out
}

// uncovered breaks rule into single permissions (one verb, group, resource, name or
// path) and returns those no held rule covers, as Kubernetes' policy comparator does.
func uncovered(held []api.PolicyRule, rule api.PolicyRule) []string {
	var out []string
	if len(rule.NonResourceURLs) > 0 {
		for _, v := range rule.Verbs {
			for _, u := range rule.NonResourceURLs {
				if !slices.ContainsFunc(held, func(h api.PolicyRule) bool {
					return covers(h.Verbs, v) && urlCovers(h.NonResourceURLs, u)
				}) {
					out = append(out, fmt.Sprintf("{NonResourceURLs:[%q], Verbs:[%q]}", u, v))
				}
			}
		}
		return out
	}
	names := rule.ResourceNames
	if len(names) == 0 {
		names = []string{""}
	}
	for _, v := range rule.Verbs {
		for _, g := range rule.APIGroups {
			for _, res := range rule.Resources {
				for _, n := range names {
					if !slices.ContainsFunc(held, func(h api.PolicyRule) bool {
						return len(h.NonResourceURLs) == 0 && covers(h.Verbs, v) && covers(h.APIGroups, g) &&
							resourceCovers(h.Resources, res) && (len(h.ResourceNames) == 0 || (n != "" && slices.Contains(h.ResourceNames, n)))
					}) {
						s := fmt.Sprintf("{APIGroups:[%q], Resources:[%q], Verbs:[%q]", g, res, v)
						if n != "" {
							s += fmt.Sprintf(", ResourceNames:[%q]", n)
						}
						out = append(out, s+"}")
					}
				}
			}
		}
	}
	return out
}

// covers: a held list covers v if it has "*" or v itself ("*" asked is covered by
// "*" only).
func covers(held []string, v string) bool {
	return slices.Contains(held, "*") || slices.Contains(held, v)
}

func resourceCovers(held []string, res string) bool {
	if covers(held, res) {
		return true
	}
	_, sub, ok := strings.Cut(res, "/")
	return ok && slices.Contains(held, "*/"+sub)
}

func urlCovers(held []string, url string) bool {
	for _, h := range held {
		if h == "*" || h == url || (strings.HasSuffix(h, "*") && strings.HasPrefix(url, strings.TrimSuffix(h, "*"))) {
			return true
		}
	}
	return false
}
