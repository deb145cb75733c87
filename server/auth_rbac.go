package server

import (
	"fmt"
	"slices"
	"strings"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// rbacSource is what the authorizer reads: roles and bindings. The server's is the
// local store (storeRBAC); tests give maps.
type rbacSource interface {
	clusterRoleBindings() []*api.ClusterRoleBinding
	roleBindings(namespace string) []*api.RoleBinding
	clusterRole(name string) (*api.ClusterRole, bool)
	role(namespace, name string) (*api.Role, bool)
}

// decision is the authorizer's verdict and why, in Kubernetes' words.
type decision struct {
	allowed bool
	reason  string
}

// authorize evaluates Kubernetes' RBAC for a: allowed when any rule of any role bound
// to the user covers the request. ClusterRoleBindings grant everywhere; a
// RoleBinding grants only inside its own namespace, whatever role it names, and
// never on non-resource URLs or at the cluster scope. system:masters is always
// allowed. There are no deny rules.
func authorize(src rbacSource, a attributes) decision {
	if a.user == nil {
		return decision{reason: "no user"}
	}
	if slices.Contains(a.user.Groups, groupMasters) {
		return decision{allowed: true, reason: "user is in group " + groupMasters}
	}
	for _, b := range src.clusterRoleBindings() {
		subj, ok := appliesTo(a.user, b.Subjects, "")
		if !ok || b.RoleRef.Kind != "ClusterRole" {
			continue
		}
		role, ok := src.clusterRole(b.RoleRef.Name)
		if ok && rulesAllow(role.Rules, a) {
			return decision{allowed: true, reason: fmt.Sprintf("RBAC: allowed by ClusterRoleBinding %q of ClusterRole %q to %s",
				b.Name, b.RoleRef.Name, describeSubject(subj))}
		}
	}
	if a.namespace == "" || !a.resourceRequest {
		return decision{reason: "no RBAC policy matched"}
	}
	for _, b := range src.roleBindings(a.namespace) {
		subj, ok := appliesTo(a.user, b.Subjects, b.Namespace)
		if !ok {
			continue
		}
		var rules []api.PolicyRule
		switch b.RoleRef.Kind {
		case "ClusterRole":
			if r, ok := src.clusterRole(b.RoleRef.Name); ok {
				rules = r.Rules
			}
		case "Role":
			if r, ok := src.role(b.Namespace, b.RoleRef.Name); ok {
				rules = r.Rules
			}
		}
		if rulesAllow(rules, a) {
			return decision{allowed: true, reason: fmt.Sprintf("RBAC: allowed by RoleBinding \"%s/%s\" of %s %q to %s",
				b.Name, b.Namespace, b.RoleRef.Kind, b.RoleRef.Name, describeSubject(subj))}
		}
	}
	return decision{reason: "no RBAC policy matched"}
}

// appliesTo finds the first subject that names u; bindingNS is a RoleBinding's
// namespace, the default of its ServiceAccount subjects.
func appliesTo(u *userInfo, subjects []api.Subject, bindingNS string) (api.Subject, bool) {
	for _, s := range subjects {
		switch s.Kind {
		case api.SubjectKindUser:
			if u.Name == s.Name {
				return s, true
			}
		case api.SubjectKindGroup:
			if slices.Contains(u.Groups, s.Name) {
				return s, true
			}
		case api.SubjectKindServiceAccount:
			ns := s.Namespace
			if ns == "" {
				ns = bindingNS
			}
			if ns != "" && u.Name == api.ServiceAccountUsername(ns, s.Name) {
				return s, true
			}
		}
	}
	return api.Subject{}, false
}

func describeSubject(s api.Subject) string {
	if s.Kind == api.SubjectKindServiceAccount && s.Namespace != "" {
		return fmt.Sprintf("%s \"%s/%s\"", s.Kind, s.Namespace, s.Name)
	}
	return fmt.Sprintf("%s %q", s.Kind, s.Name)
}

func rulesAllow(rules []api.PolicyRule, a attributes) bool {
	for i := range rules {
		if ruleAllows(&rules[i], a) {
			return true
		}
	}
	return false
}

// ruleAllows is Kubernetes' RuleAllows: a resource rule needs the verb, the group,
// the resource (with its subresource) and, if it lists names, the name; a
// non-resource rule needs the verb and the path.
func ruleAllows(r *api.PolicyRule, a attributes) bool {
	if !matchesOrStar(r.Verbs, a.verb) {
		return false
	}
	if !a.resourceRequest {
		return nonResourceURLMatches(r.NonResourceURLs, a.path)
	}
	return matchesOrStar(r.APIGroups, a.apiGroup) &&
		resourceMatches(r.Resources, a.resource, a.subresource) &&
		(len(r.ResourceNames) == 0 || (a.name != "" && slices.Contains(r.ResourceNames, a.name)))
}

func matchesOrStar(list []string, v string) bool {
	for _, x := range list {
		if x == api.VerbAll || x == v {
			return true
		}
	}
	return false
}

// resourceMatches accepts "*", "pods" for pods, "pods/log" for its subresource and
// "*/log" for any resource's.
func resourceMatches(list []string, resource, sub string) bool {
	combined := resource
	if sub != "" {
		combined += "/" + sub
	}
	for _, x := range list {
		switch {
		case x == "*", x == combined:
			return true
		case sub != "" && x == "*/"+sub:
			return true
		}
	}
	return false
}

// nonResourceURLMatches accepts the exact path, "*", or a prefix ending in "*".
func nonResourceURLMatches(list []string, path string) bool {
	for _, x := range list {
		switch {
		case x == "*", x == path:
			return true
		case strings.HasSuffix(x, "*") && strings.HasPrefix(path, strings.TrimSuffix(x, "*")):
			return true
		}
	}
	return false
}

// storeRBAC reads roles and bindings from the local store. The records are shared
// with the store and must not be changed.
type storeRBAC struct{ fsm *raftfsm.FSM }

var (
	roleRes               = mustResource("Role")
	clusterRoleRes        = mustResource("ClusterRole")
	roleBindingRes        = mustResource("RoleBinding")
	clusterRoleBindingRes = mustResource("ClusterRoleBinding")
)

func (s storeRBAC) clusterRoleBindings() []*api.ClusterRoleBinding {
	return listAs[*api.ClusterRoleBinding](s.fsm, clusterRoleBindingRes, "")
}

func (s storeRBAC) roleBindings(namespace string) []*api.RoleBinding {
	return listAs[*api.RoleBinding](s.fsm, roleBindingRes, namespace)
}

func (s storeRBAC) clusterRole(name string) (*api.ClusterRole, bool) {
	return getAs[*api.ClusterRole](s.fsm, clusterRoleRes, "", name)
}

func (s storeRBAC) role(namespace, name string) (*api.Role, bool) {
	return getAs[*api.Role](s.fsm, roleRes, namespace, name)
}

func listAs[T api.Object](fsm *raftfsm.FSM, res *api.Resource, namespace string) []T {
	recs, _ := fsm.List(res, namespace)
	out := make([]T, 0, len(recs))
	for _, rec := range recs {
		if o, ok := rec.Object.(T); ok {
			out = append(out, o)
		}
	}
	return out
}

func getAs[T api.Object](fsm *raftfsm.FSM, res *api.Resource, namespace, name string) (T, bool) {
	var zero T
	rec, ok := fsm.Get(res, namespace, name)
	if !ok {
		return zero, false
	}
	o, ok := rec.Object.(T)
	return o, ok
}
