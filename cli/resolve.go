package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/berth-dev/berth/api"
)

// resolveKind finds a resource by any name a user may type ("cm", "pods", "Deployment").
func resolveKind(name string) (*api.Resource, error) {
	res, ok := api.ResourceForName(name)
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownKind, name)
	}
	return res, nil
}

// kindName is how kubectl names a resource in messages: "configmap" for the core
// group, "deployment.apps" for the others.
func kindName(res *api.Resource) string {
	if res.Group == "" {
		return res.Singular
	}
	return res.Singular + "." + res.Group
}

// qualifiedName is "configmap/x", what -o name and apply print.
func qualifiedName(res *api.Resource, name string) string {
	return kindName(res) + "/" + name
}

// item is one object as the CLI handles it: typed for -o json/yaml, and as a generic
// map (the wire form) for the table printers and describe.
type item struct {
	res *api.Resource
	obj api.Object
	u   fields
}

func newItem(res *api.Resource, obj api.Object) (item, error) {
	data, err := json.Marshal(obj)
	if err != nil {
		return item{}, fmt.Errorf("cli: encode %s: %w", res.Kind, err)
	}
	var u fields
	if err := json.Unmarshal(data, &u); err != nil {
		return item{}, fmt.Errorf("cli: decode %s: %w", res.Kind, err)
	}
	return item{res: res, obj: obj, u: u}, nil
}

// itemsOf turns a list's objects into items.
func itemsOf(res *api.Resource, l *api.List) ([]item, error) {
	objs, err := l.Objects()
	if err != nil {
		return nil, err
	}
	out := make([]item, 0, len(objs))
	for _, o := range objs {
		it, err := newItem(res, o)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, nil
}

// namespaceFor is the namespace a command works in for res: none for cluster-scoped
// kinds, none for --all-namespaces.
func (g *globals) namespaceFor(res *api.Resource, all bool) string {
	if !res.Namespaced || all {
		return ""
	}
	return g.namespace
}

// splitKinds parses "cm,secrets" into resources, keeping the order typed.
func splitKinds(arg string) ([]*api.Resource, error) {
	var out []*api.Resource
	for _, k := range strings.Split(arg, ",") {
		if k == "" {
			continue
		}
		res, err := resolveKind(k)
		if err != nil {
			return nil, err
		}
		out = append(out, res)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no resource type given", ErrUsage)
	}
	return out, nil
}
