package raftfsm

import (
	"github.com/hashicorp/go-memdb"

	"github.com/berth-dev/berth/api"
)

// The read side. Every method reads one memdb read transaction: a point-in-time view
// that Apply and Restore cannot change under it. Records are shared, never copied:
// callers must not modify them.

// readTxn takes a read transaction and the index it reflects, atomically.
func (f *FSM) readTxn() (*memdb.Txn, uint64) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.db.Load().Txn(false), f.index.Load()
}

// Index is the last applied Raft index, of any entry the FSM was given.
func (f *FSM) Index() uint64 { return f.index.Load() }

// Count is the number of objects in all tables.
func (f *FSM) Count() int { return int(f.count.Load()) }

// Get returns one object. The namespace is ignored for a cluster-scoped kind.
func (f *FSM) Get(res *api.Resource, namespace, name string) (*Record, bool) {
	if res == nil {
		return nil, false
	}
	if !res.Namespaced {
		namespace = ""
	}
	txn, _ := f.readTxn()
	return first(txn.First(res.Plural, indexID, namespace, name))
}

// GetByUID returns the object of res with metadata.uid uid.
func (f *FSM) GetByUID(res *api.Resource, uid string) (*Record, bool) {
	if res == nil || uid == "" {
		return nil, false
	}
	txn, _ := f.readTxn()
	return first(txn.First(res.Plural, indexRef, refUID, uid))
}

// List returns the objects of res in namespace ("" = all, and always for a
// cluster-scoped kind) sorted by namespace/name, and the index the list is the state
// at (what a watch resumes from).
func (f *FSM) List(res *api.Resource, namespace string) ([]*Record, uint64) {
	txn, idx := f.readTxn()
	if res == nil {
		return nil, idx
	}
	if !res.Namespaced || namespace == "" {
		return collect(txn.Get(res.Plural, indexID)), idx
	}
	return collect(listNamespace(txn, res, namespace)), idx
}

// ListByNode returns the pods bound to nodeName, sorted by namespace/name, and the
// index the list is the state at.
func (f *FSM) ListByNode(nodeName string) ([]*Record, uint64) {
	txn, idx := f.readTxn()
	pods, ok := f.byKind["Pod"]
	if !ok || nodeName == "" {
		return nil, idx
	}
	return collect(txn.Get(pods.res.Plural, indexRef, refNode, nodeName)), idx
}

// ListByOwner returns the objects of res that name ownerUID in their
// ownerReferences, sorted by namespace/name.
func (f *FSM) ListByOwner(res *api.Resource, ownerUID string) []*Record {
	if res == nil || ownerUID == "" {
		return nil
	}
	txn, _ := f.readTxn()
	return collect(txn.Get(res.Plural, indexRef, refOwner, ownerUID))
}

func first(raw any, err error) (*Record, bool) {
	if err != nil || raw == nil {
		return nil, false
	}
	return raw.(*Record), true
}

// collect drains an iterator; an error (a table this FSM does not have) is an empty
// list.
func collect(it memdb.ResultIterator, err error) []*Record {
	if err != nil {
		return nil
	}
	var out []*Record
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*Record))
	}
	return out
}
