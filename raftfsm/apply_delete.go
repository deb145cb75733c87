package raftfsm

// delete removes an object. Deleting a Namespace removes everything in it in the same
// entry, each with its own DELETED event, contents first.
func (a *applyCtx) delete(c *Command) Result {
	k, err := a.kind(c)
	if err != nil {
		return Result{Err: err}
	}
	res := k.res
	ns, name, err := target(res, c, nil)
	if err != nil {
		return Result{Err: err}
	}
	stored := a.get(res, ns, name)
	if stored == nil {
		return Result{Err: errNotFound(res, ns, name)}
	}
	if err := checkPreconditions(res, c, stored); err != nil {
		return Result{Err: err}
	}
	if res == a.f.nsRes {
		a.deleteNamespaceContents(name)
	}
	rec, err := a.remove(stored)
	if err != nil {
		return Result{Err: err}
	}
	return Result{Record: rec}
}

// deleteNamespaceContents removes every namespaced object in ns, table by table in
// plural order and by name within a table, so every server emits the same events.
func (a *applyCtx) deleteNamespaceContents(ns string) {
	for _, res := range a.f.resources {
		if !res.Namespaced {
			continue
		}
		// Collect first: a memdb iterator must not outlive changes to its table.
		var doomed []*Record
		it, err := listNamespace(a.txn, res, ns)
		if err != nil {
			a.failed = err
			return
		}
		for raw := it.Next(); raw != nil; raw = it.Next() {
			doomed = append(doomed, raw.(*Record))
		}
		for _, rec := range doomed {
			if _, err := a.remove(rec); err != nil {
				a.failed = err
				return
			}
		}
	}
}

// remove deletes stored and records a DELETED event carrying its last state, stamped
// with this entry's index.
func (a *applyCtx) remove(stored *Record) (*Record, error) {
	last, err := a.newRecord(a.f.kindOf(stored.Resource), shallowCopy(stored.Object))
	if err != nil {
		return nil, err
	}
	if err := a.txn.Delete(stored.Resource.Plural, stored); err != nil {
		a.failed = err
		return nil, err
	}
	a.wrote(stored, nil)
	a.delta--
	a.events = append(a.events, Event{Type: Deleted, Record: last})
	return last, nil
}
