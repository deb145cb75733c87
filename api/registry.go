package api

import (
	"sort"
	"strings"
)

// Resource describes one kind as the API serves it: its names, where it lives and how
// to make an empty one. The server routes by it, the store keeps one table per
// Resource, and the CLI resolves "cm", "configmap" and "configmaps" through it.
type Resource struct {
	Kind       string   // "ConfigMap"
	Plural     string   // "configmaps": the path segment and the store's table name
	Singular   string   // "configmap"
	ShortNames []string // "cm"
	Group      string   // "" for core, "apps", "networking.k8s.io"
	Version    string   // "v1"
	Namespaced bool
	// HasStatus says the kind has a status subresource: writes to the main resource
	// keep the stored status, writes to /status change only the status.
	HasStatus bool
	// New returns an empty object of the kind, with its TypeMeta set.
	New func() Object
}

// APIVersion is the group/version string of the resource ("v1", "apps/v1").
func (r *Resource) APIVersion() string {
	if r.Group == "" {
		return r.Version
	}
	return r.Group + "/" + r.Version
}

// PathPrefix is where the resource's group lives: "/api/v1" or "/apis/apps/v1".
func (r *Resource) PathPrefix() string {
	if r.Group == "" {
		return "/api/" + r.Version
	}
	return "/apis/" + r.Group + "/" + r.Version
}

// CollectionPath is the path of the resource's collection in a namespace ("" for
// cluster-scoped kinds or to list across all namespaces).
func (r *Resource) CollectionPath(namespace string) string {
	if r.Namespaced && namespace != "" {
		return r.PathPrefix() + "/namespaces/" + namespace + "/" + r.Plural
	}
	return r.PathPrefix() + "/" + r.Plural
}

// ObjectPath is the path of one object.
func (r *Resource) ObjectPath(namespace, name string) string {
	return r.CollectionPath(namespace) + "/" + name
}

var (
	resources     []*Resource
	byKind        = map[string]*Resource{}
	byName        = map[string]*Resource{}
	byGroupPlural = map[string]*Resource{}
)

func register(r *Resource) {
	resources = append(resources, r)
	byKind[r.Kind] = r
	byGroupPlural[r.Group+"/"+r.Plural] = r
	for _, n := range append([]string{r.Plural, r.Singular, strings.ToLower(r.Kind)}, r.ShortNames...) {
		byName[n] = r
	}
}

// Resources lists every kind Berth serves, sorted by plural name.
func Resources() []*Resource {
	out := append([]*Resource(nil), resources...)
	sort.Slice(out, func(i, j int) bool { return out[i].Plural < out[j].Plural })
	return out
}

// ResourceForKind finds a resource by its Kind ("ConfigMap").
func ResourceForKind(kind string) (*Resource, bool) {
	r, ok := byKind[kind]
	return r, ok
}

// ResourceForPath finds a resource by its group and plural as they appear in a path.
func ResourceForPath(group, plural string) (*Resource, bool) {
	r, ok := byGroupPlural[group+"/"+plural]
	return r, ok
}

// ResourceForName finds a resource by any name a user may type: plural, singular,
// short name or kind, case-insensitive ("cm", "configmap", "ConfigMaps").
func ResourceForName(name string) (*Resource, bool) {
	name = strings.ToLower(name)
	if r, ok := byName[name]; ok {
		return r, true
	}
	// "configmaps.v1" or "deployments.apps" style qualified names.
	if i := strings.IndexByte(name, '.'); i > 0 {
		return ResourceForName(name[:i])
	}
	return nil, false
}
