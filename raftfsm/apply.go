package raftfsm

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/hashicorp/go-memdb"
	"github.com/hashicorp/raft"

	"github.com/berth-dev/berth/api"
)

// applyCtx is one log entry being applied: its write transaction, its index (every
// change in it gets this resourceVersion) and what to publish once it commits.
type applyCtx struct {
	f     *FSM
	txn   *memdb.Txn
	index uint64
	rv    string // index as a resourceVersion string, formatted once per entry
	// base reads the store as it was before this entry, and written holds what the
	// entry changed since (nil once deleted); get reads both rather than txn, since
	// a memdb read inside a write transaction clones the index's radix transaction,
	// which drops its cache of nodes already copied: the next insert would copy its
	// whole path again. written is nil for a lone command, which reads before it writes.
	base    *memdb.Txn
	written map[recordKey]*Record
	events  []Event
	delta   int64 // change in the object count
	// failed is a store error (not a business failure): the whole entry is dropped.
	failed error
}

// applyLog decodes and applies one entry. An entry that cannot be decoded means a
// corrupt log or one written by a newer server. The style guide's answer is to stop
// the server; hashicorp/raft offers no clean way to stop from inside Apply (a panic
// would take the process down mid-write), so the entry is logged at error level,
// answered with an error Result, and its index still advances so every server stays
// at the same state and index. The operator sees the log line; the proposer sees the
// error.
func (f *FSM) applyLog(l *raft.Log) *Response {
	if cur := f.index.Load(); l.Index <= cur && cur != 0 {
		return errResponse(fmt.Errorf("%w: log %d, applied %d", ErrOutOfOrder, l.Index, cur))
	}
	cmd, err := DecodeCommand(l.Data)
	if err != nil {
		f.log.Error("raftfsm: cannot decode log entry; corrupt log or written by a newer server",
			"index", l.Index, "term", l.Term, "bytes", len(l.Data), "err", err)
		f.advance(l.Index)
		return errResponse(fmt.Errorf("raftfsm: log entry %d: %w", l.Index, err))
	}
	return f.applyCommand(l.Index, cmd)
}

func errResponse(err error) *Response {
	return &Response{Results: []Result{{Err: err}}}
}

// applyCommand applies a decoded command (each batch member on its own) in one write
// transaction and publishes it with its events.
//
// The transaction writes a private copy-on-write view of the store (db.Snapshot, a
// constant-time copy) that publish then swaps in. Readers never see it before, and
// since watchers are woken by the hub, never by memdb's watch channels, writing a view
// spares memdb tracking and closing a channel for every radix node it copies.
func (f *FSM) applyCommand(index uint64, cmd *Command) *Response {
	view := f.db.Load().Snapshot()
	txn := view.Txn(true)
	defer txn.Abort()
	a := &applyCtx{f: f, txn: txn, index: index, rv: strconv.FormatUint(index, 10), base: view.Txn(false)}
	var results []Result
	if cmd.Type == CmdBatch {
		results = make([]Result, 0, len(cmd.Commands))
		a.events = make([]Event, 0, len(cmd.Commands))
		a.written = make(map[recordKey]*Record, len(cmd.Commands))
		for i := range cmd.Commands {
			results = append(results, a.apply(&cmd.Commands[i]))
		}
	} else {
		results = []Result{a.apply(cmd)}
	}
	if a.failed != nil {
		// Our indexers never fail, so this is a bug; dropping the whole entry keeps
		// every server identical and nothing half-applied.
		f.log.Error("raftfsm: store error; log entry dropped", "index", index, "err", a.failed)
		txn.Abort()
		f.advance(index)
		return errResponse(fmt.Errorf("raftfsm: log entry %d: %w", index, a.failed))
	}
	txn.Commit()
	f.publish(view, index, a.events, a.delta)
	return &Response{Results: results}
}

// apply dispatches one (non-batch) command to its applier.
func (a *applyCtx) apply(c *Command) Result {
	switch c.Type {
	case CmdCreate:
		return a.create(c)
	case CmdUpdate:
		return a.update(c)
	case CmdUpdateStatus:
		return a.updateStatus(c)
	case CmdDelete:
		return a.delete(c)
	}
	if c.Skipped() {
		return Result{}
	}
	return Result{Err: errInvalid(c.Kind, c.Namespace, c.Name, "type %s here", c.Type)}
}

// publish makes a committed view the store (nil: the store is unchanged) together with
// its index and events.
func (f *FSM) publish(view *memdb.MemDB, index uint64, events []Event, delta int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if view != nil {
		f.db.Store(view)
	}
	f.index.Store(index)
	f.count.Add(delta)
	f.hub.publishLocked(index, events)
}

// advance records an index that changed no object (configuration entries, dropped
// entries), so Index and waiters still move.
func (f *FSM) advance(index uint64) {
	if index <= f.index.Load() {
		return
	}
	f.publish(nil, index, nil, 0)
}

// kind finds the command's kind among the stored ones.
func (a *applyCtx) kind(c *Command) (*kindInfo, error) {
	k, ok := a.f.byKind[c.Kind]
	if !ok {
		return nil, errInvalid(c.Kind, c.Namespace, c.Name, "unknown kind %q", c.Kind)
	}
	return k, nil
}

// decodeObject decodes a command's object into a fresh value of the kind. The
// recover is a guard for custom unmarshalers in api: a bad object must fail the
// command, never the server.
func decodeObject(res *api.Resource, c *Command) (obj api.Object, err error) {
	if len(c.Object) == 0 {
		return nil, errInvalid(res.Plural, c.Namespace, c.Name, "no object")
	}
	defer func() {
		if p := recover(); p != nil {
			obj, err = nil, errInvalid(res.Plural, c.Namespace, c.Name, "decoding object: %v", p)
		}
	}()
	obj = res.New()
	if err := json.Unmarshal(c.Object, obj); err != nil {
		return nil, errInvalid(res.Plural, c.Namespace, c.Name, "decoding object: %v", err)
	}
	if reflect.ValueOf(obj).Kind() != reflect.Pointer {
		return nil, errInvalid(res.Plural, c.Namespace, c.Name, "kind is not a pointer type")
	}
	return obj, nil
}

// target settles the object's namespace and name: the object's metadata, filled from
// the command where empty; the two must agree, and must fit the kind's scope.
func target(res *api.Resource, c *Command, obj api.Object) (string, string, error) {
	ns, name := c.Namespace, c.Name
	if obj != nil {
		m := obj.GetObjectMeta()
		if m.Namespace == "" {
			m.Namespace = ns
		}
		if m.Name == "" {
			m.Name = name
		}
		if (ns != "" && m.Namespace != ns) || (name != "" && m.Name != name) {
			return "", "", errInvalid(res.Plural, ns, name, "object is %s/%s", m.Namespace, m.Name)
		}
		ns, name = m.Namespace, m.Name
	}
	if err := checkName(res, ns, name); err != nil {
		return "", "", err
	}
	return ns, name, nil
}

// checkName refuses what would make the id index ambiguous or the scope wrong. The
// leader validates names fully; this keeps the store sound whatever it sends.
func checkName(res *api.Resource, ns, name string) error {
	switch {
	case name == "":
		return errInvalid(res.Plural, ns, name, "no name")
	case strings.ContainsAny(name, "/\x00") || strings.ContainsAny(ns, "/\x00"):
		return errInvalid(res.Plural, ns, name, "name or namespace holds '/' or NUL")
	case res.Namespaced && ns == "":
		return errInvalid(res.Plural, ns, name, "no namespace for a namespaced kind")
	case !res.Namespaced && ns != "":
		return errInvalid(res.Plural, ns, name, "namespace %q for a cluster-scoped kind", ns)
	}
	return nil
}

// newRecord stamps obj (which must be this applier's own copy) with the entry's
// index and kind, and encodes it.
func (a *applyCtx) newRecord(k *kindInfo, obj api.Object) (*Record, error) {
	res := k.res
	tm := obj.GetTypeMeta()
	tm.Kind, tm.APIVersion = res.Kind, k.apiVersion
	obj.GetObjectMeta().ResourceVersion = a.rv
	raw, err := json.Marshal(obj)
	if err != nil {
		m := obj.GetObjectMeta()
		return nil, errInvalid(res.Plural, m.Namespace, m.Name, "encoding object: %v", err)
	}
	return &Record{Resource: res, Object: obj, Raw: raw, RV: a.index}, nil
}

// get reads one object as this entry has left it so far.
func (a *applyCtx) get(res *api.Resource, ns, name string) *Record {
	if rec, ok := a.written[recordKey{res, ns, name}]; ok {
		return rec
	}
	raw, err := a.base.First(res.Plural, indexID, ns, name)
	if err != nil || raw == nil {
		return nil
	}
	return raw.(*Record)
}

// recordKey names an object for applyCtx.written.
type recordKey struct {
	res      *api.Resource
	ns, name string
}

// wrote notes now (nil: deleted) as the entry's latest state of target's object.
func (a *applyCtx) wrote(target, now *Record) {
	if a.written != nil {
		m := meta(target)
		a.written[recordKey{target.Resource, m.Namespace, m.Name}] = now
	}
}

// checkPreconditions applies the command's resourceVersion and uid preconditions.
func checkPreconditions(res *api.Resource, c *Command, stored *Record) error {
	m := meta(stored)
	if c.ResourceVersion != 0 && c.ResourceVersion != stored.RV {
		return errStale(res, m.Namespace, m.Name)
	}
	if c.UID != "" && c.UID != m.UID {
		return errUIDMismatch(res, m.Namespace, m.Name, c.UID, m.UID)
	}
	return nil
}

func (a *applyCtx) insert(rec *Record, t EventType) {
	if err := a.txn.Insert(rec.Resource.Plural, rec); err != nil {
		a.failed = err
		return
	}
	a.wrote(rec, rec)
	a.events = append(a.events, Event{Type: t, Record: rec})
}

// shallowCopy returns a new object whose struct is a copy of obj's. Maps and slices
// stay shared, which is safe because stored objects are never mutated.
func shallowCopy(obj api.Object) api.Object {
	v := reflect.ValueOf(obj).Elem()
	n := reflect.New(v.Type())
	n.Elem().Set(v)
	return n.Interface().(api.Object)
}
