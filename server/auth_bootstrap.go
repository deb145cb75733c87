package server

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/google/renameio/v2"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/pki"
	"github.com/berth-dev/berth/raftfsm"
)

// AdminTokenFile is the file in the data dir the bootstrap admin token is written
// to (mode 0600), on the server that made it.
const AdminTokenFile = "admin.token"

// bootstrapTokenAnnotation on the berth-system Namespace names the bootstrap admin
// token once it has been made, so it is made once per cluster: revoking it does not
// bring it back. Removing the annotation makes the next leader mint a new one (the
// way back in when the admin token is lost and an operator can still edit the
// namespace, or restores a snapshot).
const bootstrapTokenAnnotation = "auth.berth.io/bootstrap-token"

// The built-in roles, made by the leader when missing, as Kubernetes' bootstrap
// policy. Existing ones are left as they are: an operator may have changed them.
const rbacDefaultsLabel = "kubernetes.io/bootstrapping"

var (
	readVerbs  = []string{api.VerbGet, api.VerbList, api.VerbWatch}
	writeVerbs = []string{api.VerbCreate, api.VerbUpdate, api.VerbPatch, api.VerbDelete, api.VerbDeleteCollection}
	allVerbs   = append(append([]string{}, readVerbs...), writeVerbs...)
)

// namespacedWorkloads are what edit may change and view may read (Secrets apart).
var namespacedWorkloads = []api.PolicyRule{
	{APIGroups: []string{""}, Resources: []string{"pods", "pods/log", "pods/status", "services", "services/status",
		"endpoints", "configmaps", "events", "serviceaccounts", "persistentvolumeclaims", "replicationcontrollers"}},
	{APIGroups: []string{"apps"}, Resources: []string{"deployments", "deployments/status", "deployments/scale",
		"replicasets", "replicasets/status", "replicasets/scale", "statefulsets", "statefulsets/status",
		"statefulsets/scale", "daemonsets", "daemonsets/status"}},
	{APIGroups: []string{"batch"}, Resources: []string{"jobs", "jobs/status", "cronjobs"}},
	{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"ingresses", "ingresses/status", "networkpolicies"}},
}

func withVerbs(rules []api.PolicyRule, verbs []string) []api.PolicyRule {
	out := make([]api.PolicyRule, len(rules))
	for i, r := range rules {
		r.Verbs = verbs
		out[i] = r
	}
	return out
}

func builtinClusterRoles() []*api.ClusterRole {
	view := append(withVerbs(namespacedWorkloads, readVerbs),
		api.PolicyRule{Verbs: readVerbs, APIGroups: []string{""}, Resources: []string{"namespaces", "resourcequotas", "limitranges"}})
	edit := append(withVerbs(namespacedWorkloads, allVerbs),
		api.PolicyRule{Verbs: allVerbs, APIGroups: []string{""}, Resources: []string{"secrets"}},
		api.PolicyRule{Verbs: []string{api.VerbCreate, api.VerbGet}, APIGroups: []string{""}, Resources: []string{"pods/exec"}},
		api.PolicyRule{Verbs: readVerbs, APIGroups: []string{""}, Resources: []string{"namespaces", "resourcequotas", "limitranges"}})
	admin := append(append([]api.PolicyRule{}, edit...),
		api.PolicyRule{Verbs: allVerbs, APIGroups: []string{api.RBACGroup}, Resources: []string{"roles", "rolebindings"}})
	node := []api.PolicyRule{
		{Verbs: readVerbs, APIGroups: []string{""}, Resources: []string{"pods", "nodes", "services", "endpoints",
			"secrets", "configmaps", "namespaces", "events", "serviceaccounts"}},
		{Verbs: readVerbs, APIGroups: []string{"networking.k8s.io"}, Resources: []string{"ingresses", "ingressclasses", "networkpolicies"}},
		{Verbs: []string{api.VerbCreate, api.VerbUpdate, api.VerbPatch, api.VerbDelete}, APIGroups: []string{""}, Resources: []string{"nodes"}},
		{Verbs: []string{api.VerbUpdate, api.VerbPatch}, APIGroups: []string{""}, Resources: []string{"nodes/status", "pods/status"}},
		// The agent finishes a graceful deletion with a zero-grace DELETE.
		{Verbs: []string{api.VerbDelete}, APIGroups: []string{""}, Resources: []string{"pods"}},
		{Verbs: []string{api.VerbCreate, api.VerbUpdate, api.VerbPatch}, APIGroups: []string{""}, Resources: []string{"events"}},
	}
	all := []api.PolicyRule{
		{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}},
		{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}},
	}
	basic := []api.PolicyRule{{Verbs: []string{api.VerbCreate}, APIGroups: []string{api.AuthorizationGroup},
		Resources: []string{"selfsubjectaccessreviews"}}}
	roles := []*api.ClusterRole{
		{ObjectMeta: api.ObjectMeta{Name: "cluster-admin"}, Rules: all},
		{ObjectMeta: api.ObjectMeta{Name: "admin"}, Rules: admin},
		{ObjectMeta: api.ObjectMeta{Name: "edit"}, Rules: edit},
		{ObjectMeta: api.ObjectMeta{Name: "view"}, Rules: view},
		{ObjectMeta: api.ObjectMeta{Name: "berth:node"}, Rules: node},
		// The servers' own identity, for when they call each other with credentials
		// of their own (with TLS); today a forwarded request carries its caller's.
		{ObjectMeta: api.ObjectMeta{Name: "berth:server"}, Rules: all},
		{ObjectMeta: api.ObjectMeta{Name: "system:basic-user"}, Rules: basic},
	}
	for _, r := range roles {
		r.TypeMeta = api.TypeMeta{APIVersion: api.RBACGroup + "/v1", Kind: "ClusterRole"}
		r.Labels = map[string]string{rbacDefaultsLabel: "rbac-defaults"}
	}
	return roles
}

func builtinClusterRoleBindings() []*api.ClusterRoleBinding {
	bind := func(name, role, group string) *api.ClusterRoleBinding {
		return &api.ClusterRoleBinding{
			TypeMeta:   api.TypeMeta{APIVersion: api.RBACGroup + "/v1", Kind: "ClusterRoleBinding"},
			ObjectMeta: api.ObjectMeta{Name: name, Labels: map[string]string{rbacDefaultsLabel: "rbac-defaults"}},
			Subjects:   []api.Subject{{Kind: api.SubjectKindGroup, APIGroup: api.RBACGroup, Name: group}},
			RoleRef:    api.RoleRef{APIGroup: api.RBACGroup, Kind: "ClusterRole", Name: role},
		}
	}
	return []*api.ClusterRoleBinding{
		bind("cluster-admin", "cluster-admin", groupMasters),
		bind("berth:nodes", "berth:node", groupNodes),
		bind("berth:servers", "berth:server", groupServers),
		bind("system:basic-user", "system:basic-user", groupAuthenticated),
	}
}

// ensureAuthDefaults makes the built-in roles and bindings that are missing and,
// the first time a leader with Auth on runs, the bootstrap admin token. Nothing
// happens with Auth off: a cluster started without it gets them when it is turned on.
func (s *Server) ensureAuthDefaults(ctx context.Context) {
	if !s.cfg.Auth {
		return
	}
	var objs []api.Object
	for _, r := range builtinClusterRoles() {
		objs = append(objs, r)
	}
	for _, b := range builtinClusterRoleBindings() {
		objs = append(objs, b)
	}
	for _, obj := range objs {
		res, _ := api.ResourceForObject(obj)
		if _, ok := s.fsm.Get(res, "", obj.GetObjectMeta().Name); ok {
			continue
		}
		if _, err := s.createObject(ctx, res, obj); err != nil && !alreadyExists(err) {
			s.log.Warn("creating a built-in RBAC object", "kind", res.Kind, "name", obj.GetObjectMeta().Name, "err", err)
		}
	}
	if err := s.ensureBootstrapToken(ctx); err != nil {
		s.log.Error("making the bootstrap admin token", "err", err)
	}
}

func alreadyExists(err error) bool {
	return errors.Is(err, raftfsm.ErrAlreadyExists) || api.ReasonOf(err) == api.ReasonAlreadyExists
}

// ensureBootstrapToken makes the cluster's first admin token (user "admin" in
// system:masters) unless berth-system says one was made: it is stored hashed like
// any Token, written to DataDir/admin.token with mode 0600, and printed once.
func (s *Server) ensureBootstrapToken(ctx context.Context) error {
	nsRes := mustResource("Namespace")
	nsRec, ok := s.fsm.Get(nsRes, "", "berth-system")
	if !ok {
		return errors.New("namespace berth-system is missing")
	}
	if _, done := nsRec.Object.GetObjectMeta().Annotations[bootstrapTokenAnnotation]; done {
		return nil
	}
	tok := &api.Token{Spec: api.TokenSpec{User: "admin", Groups: []string{groupMasters},
		Description: "bootstrap admin token, made at cluster creation"}}
	secret := prepareToken(tok)
	rec, err := s.createObject(ctx, tokenRes, tok)
	if err != nil {
		return err
	}
	name := rec.Object.GetObjectMeta().Name
	bearer := bearerString(name, secret)
	path := filepath.Join(s.cfg.DataDir, AdminTokenFile)
	if err := writeSecretFile(path, bearer+"\n"); err != nil {
		s.log.Error("writing the bootstrap admin token", "file", path, "err", err)
	}
	if out := s.cfg.AdminTokenOut; out != nil {
		login := "http://" + s.httpAddr
		if s.tls != nil {
			login = "https://" + s.httpAddr + " --ca " + filepath.Join(s.cfg.DataDir, tlsDir, pki.CAFile)
		}
		fmt.Fprintf(out, "\nBerth bootstrap admin token (shown once; also in %s):\n\n    %s\n\n"+
			"Log in with: berth login --server %s --token %s\n\n", path, bearer, login, bearer)
	}
	s.log.Warn("made the bootstrap admin token", "token", name, "file", path)
	// Mark it made. A failure here (leadership lost) lets the next leader make
	// another; the first stays valid until revoked.
	ns := api.DeepCopy(nsRec.Object)
	m := ns.GetObjectMeta()
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	m.Annotations[bootstrapTokenAnnotation] = name
	m.ResourceVersion = ""
	_, err = s.updateObject(ctx, target{res: nsRes, name: "berth-system"}, ns)
	return err
}

// writeSecretFile replaces path with content, readable by its owner only, through a
// temporary file so a reader never sees half of it.
func writeSecretFile(path, content string) error {
	return renameio.WriteFile(path, []byte(content), 0o600)
}
