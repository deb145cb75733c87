package raftfsm

import "github.com/berth-dev/berth/api"

// Create, update and status update: the appliers that write an object.

// create inserts a new object.
func (a *applyCtx) create(c *Command) Result {
	k, err := a.kind(c)
	if err != nil {
		return Result{Err: err}
	}
	res := k.res
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
	rec, err := a.newRecord(k, obj)
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
	k, obj, stored, err := a.prepareUpdate(c)
	if err != nil {
		return Result{Err: err}
	}
	if k.res.HasStatus {
		k.copyStatus(obj, stored.Object)
	}
	m, sm := obj.GetObjectMeta(), meta(stored)
	m.UID, m.CreationTimestamp = sm.UID, sm.CreationTimestamp
	return a.replace(k, obj)
}

// updateStatus takes only the status from the command's object.
func (a *applyCtx) updateStatus(c *Command) Result {
	k, obj, stored, err := a.prepareUpdate(c)
	if err != nil {
		return Result{Err: err}
	}
	next := shallowCopy(stored.Object)
	if !k.res.HasStatus || !k.copyStatus(next, obj) {
		m := meta(stored)
		return Result{Err: errInvalid(k.res.Plural, m.Namespace, m.Name, "kind has no status")}
	}
	return a.replace(k, next)
}

// prepareUpdate decodes the object and finds the stored one, checking preconditions.
func (a *applyCtx) prepareUpdate(c *Command) (*kindInfo, api.Object, *Record, error) {
	k, err := a.kind(c)
	if err != nil {
		return nil, nil, nil, err
	}
	res := k.res
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
	return k, obj, stored, nil
}

func (a *applyCtx) replace(k *kindInfo, obj api.Object) Result {
	rec, err := a.newRecord(k, obj)
	if err != nil {
		return Result{Err: err}
	}
	a.insert(rec, Modified)
	return Result{Record: rec}
}
