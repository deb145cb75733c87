package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/berth-dev/berth/api"
)

// editAttempts bounds how often editObject re-reads after losing a race with another
// writer (a controller updating the same object); each loss means someone else made
// progress, so a few attempts are plenty.
const editAttempts = 5

// errUnchanged, returned by an edit, says the object already is as wanted: editObject
// writes nothing and reports changed=false.
var errUnchanged = errors.New("cli: object unchanged")

// editObject is the CLI's read-modify-write, since the API has no PATCH: it reads the
// object through the leader, lets edit change its wire form, and writes it back with
// the read resourceVersion as precondition, starting again on a 409 conflict. edit
// runs once per attempt, on a fresh copy, so its checks (a --current-replicas
// precondition) always see the object it changes. Used by rollout, scale and cordon.
func editObject(ctx context.Context, c *api.Client, res *api.Resource, ns, name string,
	edit func(u fields) error) (u fields, changed bool, err error) {
	for attempt := 1; ; attempt++ {
		obj, err := c.Get(ctx, res, ns, name, api.GetOptions{Consistent: true})
		if err != nil {
			return nil, false, err
		}
		it, err := newItem(res, obj)
		if err != nil {
			return nil, false, err
		}
		if err := edit(it.u); errors.Is(err, errUnchanged) {
			return it.u, false, nil
		} else if err != nil {
			return nil, false, err
		}
		next, err := objectFromFields(res, it.u)
		if err != nil {
			return nil, false, err
		}
		stored, err := c.Update(ctx, next)
		if api.ReasonOf(err) == api.ReasonConflict && attempt < editAttempts {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		out, err := newItem(res, stored)
		if err != nil {
			return nil, false, err
		}
		return out.u, true, nil
	}
}

// objectFromFields turns an edited wire form back into a typed object for the client.
func objectFromFields(res *api.Resource, u fields) (api.Object, error) {
	data, err := json.Marshal(u)
	if err != nil {
		return nil, fmt.Errorf("cli: encode %s: %w", res.Kind, err)
	}
	obj := res.New()
	if err := json.Unmarshal(data, obj); err != nil {
		return nil, fmt.Errorf("cli: decode edited %s: %w", res.Kind, err)
	}
	return obj, nil
}

// set sets a value at a path of maps, making the maps that are missing.
func (f fields) set(value any, path ...string) {
	m := map[string]any(f)
	for _, p := range path[:len(path)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[path[len(path)-1]] = value
}

// unset removes the value at a path, if it is there.
func (f fields) unset(path ...string) {
	if parent := f.obj(path[:len(path)-1]...); parent != nil {
		delete(parent, path[len(path)-1])
	}
}
