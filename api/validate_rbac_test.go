package api

import (
	"strings"
	"testing"
)

func TestValidateRBAC(t *testing.T) {
	checkValidate(t, []validateCase{
		{"a Kubernetes role", `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: a}
rules:
- apiGroups: [""]
  resources: ["pods", "pods/log"]
  resourceNames: ["web"]
  verbs: ["get", "watch", "list"]`, nil},
		{"a ClusterRole named with a colon", `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:metrics"}
rules:
- nonResourceURLs: ["/metrics", "/v1/*"]
  verbs: ["get"]`, nil},
		{"a name with a slash", `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "a/b"}
rules: []`, []string{`metadata.name: Invalid value: "a/b": may not contain '/' or '%'`}},
		{"rule without verbs or groups", `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: r, namespace: a}
rules:
- resources: ["pods"]`, []string{"rules[0].verbs: Required value", "rules[0].apiGroups: Required value"}},
		{"non-resource URLs in a Role", `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: r, namespace: a}
rules:
- nonResourceURLs: ["/metrics"]
  verbs: ["get"]`, []string{"namespaced rules cannot apply to non-resource URLs"}},
		{"resources and URLs in one rule", `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: r}
rules:
- nonResourceURLs: ["/metrics"]
  resources: ["pods"]
  verbs: ["get"]`, []string{"rules cannot apply to both regular resources and non-resource URLs"}},
		{"a RoleBinding", `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-edit, namespace: a}
subjects:
- {kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}
- {kind: ServiceAccount, name: ci}
roleRef: {kind: ClusterRole, name: edit, apiGroup: rbac.authorization.k8s.io}`, nil},
		{"a ClusterRoleBinding needs ServiceAccount namespaces and a ClusterRole", `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: b}
subjects:
- {kind: ServiceAccount, name: ci}
- {kind: Robot, name: r2}
roleRef: {kind: Role, name: edit, apiGroup: rbac.authorization.k8s.io}`, []string{
			`roleRef.kind: Unsupported value: "Role"`, "subjects[0].namespace: Required value", `subjects[1].kind: Unsupported value: "Robot"`}},
		{"roleRef needs the RBAC group", `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: b, namespace: a}
roleRef: {kind: ClusterRole, name: edit}`, []string{`roleRef.apiGroup: Unsupported value: ""`}},
		{"a token", `apiVersion: auth.berth.io/v1
kind: Token
metadata: {name: ci1}
spec: {user: "system:serviceaccount:a:ci", groups: [dev]}`, nil},
		{"a token needs a user and a dotless name", `apiVersion: auth.berth.io/v1
kind: Token
metadata: {name: a.b}
spec: {groups: [""]}`, []string{"spec.user: Required value", `metadata.name: Invalid value: "a.b"`, "spec.groups[0]: Invalid value"}},
	})
}

func TestValidateRoleRefImmutable(t *testing.T) {
	old := &RoleBinding{TypeMeta: TypeMeta{APIVersion: RBACGroup + "/v1", Kind: "RoleBinding"},
		ObjectMeta: ObjectMeta{Name: "b", Namespace: "a"},
		Subjects:   []Subject{{Kind: SubjectKindUser, Name: "alice"}},
		RoleRef:    RoleRef{APIGroup: RBACGroup, Kind: "ClusterRole", Name: "view"}}
	cur := DeepCopy(old).(*RoleBinding)
	cur.Subjects = append(cur.Subjects, Subject{Kind: SubjectKindUser, Name: "bob"})
	if err := ValidateUpdate(old, cur); err != nil {
		t.Fatalf("changing subjects: %v", err)
	}
	cur.RoleRef.Name = "edit"
	if err := ValidateUpdate(old, cur); err == nil || !strings.Contains(err.Error(), "roleRef: Invalid value") ||
		!strings.Contains(err.Error(), "cannot change roleRef") {
		t.Fatalf("changing roleRef: %v", err)
	}
}

func TestParseToken(t *testing.T) {
	tests := []struct {
		in, name, secret string
		ok               bool
	}{
		{"berth-abc.s3cr3t", "abc", "s3cr3t", true},
		{"berth-abc.s3.cr3t", "abc", "s3.cr3t", true},
		{"berth-abc", "", "", false},
		{"berth-.x", "", "", false},
		{"berth-abc.", "", "", false},
		{"other-abc.x", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			name, secret, ok := ParseToken(tt.in)
			if name != tt.name || secret != tt.secret || ok != tt.ok {
				t.Errorf("ParseToken = %q %q %v, want %q %q %v", name, secret, ok, tt.name, tt.secret, tt.ok)
			}
		})
	}
}
