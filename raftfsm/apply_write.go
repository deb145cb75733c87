package raftfsm

import "github.com/berth-dev/berth/api"

// Create, update and status update: the appliers that write an object.

// create inserts a new object.
func (a *applyCtx) create(c *Command) Result {
	res, err := a.resource(c)
	if err != nil {
		return Result{Err: err}
	}
	obj, err := decodeObject(res, c)
	if err != nil {
		return Result{Err: err}
	}
	ns, name, err := target(res, c, obj)
	if err != nil {
		return Result{Err: err}
	}
	if res.Namespaced && !a.namespaceExists(ns) {
		return Result{Err: errNamespaceNotFound(ns)}
	}
	if a.get(res, ns, name) != nil {
		return Result{Err: errAlreadyExists(res, ns, name)}
	}
	rec, err := a.newRecord(res, obj)
	if err != nil {
		return Result{Err: err}
	}
	a.insert(rec, Added)
	a.delta++
	return Result{Record: rec}
}

func (a *applyCtx) namespaceExists(ns string) bool {
	return a.f.nsRes != nil && a.get(a.f.nsRes, "", ns) != nil
}

// update replaces an object's metadata and spec; the stored status, uid and
// creationTimestamp stay.
func (a *applyCtx) update(c *Command) Result {
	res, obj, stored, err := a.prepareUpdate(c)
	if err != nil {
		return Result{Err: err}
	}
	if res.HasStatus {
		copyStatus(obj, stored.Object)
	}
	m, sm := obj.GetObjectMeta(), meta(stored)
	m.UID, m.CreationTimestamp = sm.UID, sm.CreationTimestamp
	return a.replace(res, obj)
}

// updateStatus takes only the status from the command's object.
func (a *applyCtx) updateStatus(c *Command) Result {
	res, obj, stored, err := a.prepareUpdate(c)
	if err != nil {
		return Result{Err: err}
	}
	next := shallowCopy(stored.Object)
	if !res.HasStatus || !copyStatus(next, obj) {
		m := meta(stored)
		return Result{Err: errInvalid(res.Plural, m.Namespace, m.Name, "kind has no status")}
	}
	return a.replace(res, next)
}

// prepareUpdate decodes the object and finds the stored one, checking preconditions.
func (a *applyCtx) prepareUpdate(c *Command) (*api.Resource, api.Object, *Record, error) {
	res, err := a.resource(c)
	if err != nil {
		return nil, nil, nil, err
	}
	obj, err := decodeObject(res, c)
	if err != nil {
		return nil, nil, nil, err
	}
	ns, name, err := target(res, c, obj)
	if err != nil {
		return nil, nil, nil, err
	}
	stored := a.get(res, ns, name)
	if stored == nil {
		return nil, nil, nil, errNotFound(res, ns, name)
	}
	if err := checkPreconditions(res, c, stored); err != nil {
		return nil, nil, nil, err
	}
	return res, obj, stored, nil
}

func (a *applyCtx) replace(res *api.Resource, obj api.Object) Result {
	rec, err := a.newRecord(res, obj)
	if err != nil {
		return Result{Err: err}
	}
	a.insert(rec, Modified)
	return Result{Record: rec}
}
