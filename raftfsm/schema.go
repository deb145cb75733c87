package raftfsm

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/hashicorp/go-memdb"

	"github.com/berth-dev/berth/api"
)

// One table per api.Resource, named by its plural, each holding *Record values; plus
// the index table. Every index key ends in a NUL byte so an exact lookup of "a" never
// matches "ab"; names and namespaces are DNS-1123, so neither holds NUL or "/".
const (
	// tableIndex holds one indexEntry per key; keyApplied is the last applied Raft
	// index, written in the same transaction as the change it stamps.
	tableIndex = "index"
	keyApplied = "applied"

	// indexID is the unique primary index: namespace + "/" + name ("/name" for
	// cluster-scoped kinds). Iterating it lists a table sorted by that string.
	indexID = "id"
	// indexUID finds an object by metadata.uid (garbage collection, preconditions).
	// Not unique in memdb's sense so a duplicated uid (a leader bug) cannot corrupt
	// the index; the leader makes uids unique.
	indexUID = "uid"
	// indexNamespace lists one namespace of a namespaced kind, in name order.
	indexNamespace = "namespace"
	// indexNode lists the pods bound to a node (spec.nodeName); unbound pods are
	// left out of it.
	indexNode = "node"
	// indexOwner finds dependents by the uids in metadata.ownerReferences.
	indexOwner = "owner"
)

// indexEntry is a row of the index table.
type indexEntry struct {
	Key   string
	Value uint64
}

// schemaFor builds the schema for the given resources (api.Resources() in New).
func schemaFor(resources []*api.Resource) *memdb.DBSchema {
	s := &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{tableIndex: indexTable()}}
	for _, r := range resources {
		s.Tables[r.Plural] = resourceTable(r)
	}
	return s
}

func indexTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableIndex,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Key"}},
		},
	}
}

// resourceTable is the table of one kind. Pods alone get the node index.
func resourceTable(r *api.Resource) *memdb.TableSchema {
	t := &memdb.TableSchema{
		Name: r.Plural,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: {Name: indexID, Unique: true, Indexer: &recordIndex{key: recordID}},
			indexUID: {Name: indexUID, AllowMissing: true,
				Indexer: &recordIndex{key: func(rec *Record) string { return meta(rec).UID }}},
			indexNamespace: {Name: indexNamespace, AllowMissing: true,
				Indexer: &recordIndex{key: func(rec *Record) string { return meta(rec).Namespace }}},
			indexOwner: {Name: indexOwner, AllowMissing: true, Indexer: &ownerIndex{}},
		},
	}
	if r.Kind == "Pod" {
		t.Indexes[indexNode] = &memdb.IndexSchema{Name: indexNode, AllowMissing: true,
			Indexer: &recordIndex{key: func(rec *Record) string { return nodeName(rec.Object) }}}
	}
	return t
}

func meta(rec *Record) *api.ObjectMeta { return rec.Object.GetObjectMeta() }

// recordID is the primary key of a stored object.
func recordID(rec *Record) string {
	m := meta(rec)
	return m.Namespace + "/" + m.Name
}

// nodeName reads spec.nodeName by reflection, so the store needs no per-kind code;
// "" (unbound, or no such field) leaves the pod out of the node index.
func nodeName(obj api.Object) string {
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return ""
	}
	spec := v.Elem().FieldByName("Spec")
	if spec.Kind() == reflect.Pointer {
		if spec.IsNil() {
			return ""
		}
		spec = spec.Elem()
	}
	if spec.Kind() != reflect.Struct {
		return ""
	}
	n := spec.FieldByName("NodeName")
	if n.Kind() != reflect.String {
		return ""
	}
	return n.String()
}

// recordIndex indexes a *Record by one string; an empty string is "missing". Its
// arguments are strings joined with "/", so the id index takes (namespace, name).
type recordIndex struct {
	key func(*Record) string
}

func (x *recordIndex) FromObject(raw any) (bool, []byte, error) {
	rec, ok := raw.(*Record)
	if !ok || rec.Object == nil {
		return false, nil, fmt.Errorf("raftfsm: indexing %T, want *Record", raw)
	}
	k := x.key(rec)
	if k == "" {
		return false, nil, nil
	}
	return true, []byte(k + "\x00"), nil
}

func (x *recordIndex) FromArgs(args ...any) ([]byte, error) {
	k, err := joinArgs(args)
	if err != nil {
		return nil, err
	}
	return []byte(k + "\x00"), nil
}

func (x *recordIndex) PrefixFromArgs(args ...any) ([]byte, error) {
	k, err := joinArgs(args)
	return []byte(k), err
}

func joinArgs(args []any) (string, error) {
	parts := make([]string, len(args))
	for i, a := range args {
		s, ok := a.(string)
		if !ok {
			return "", fmt.Errorf("raftfsm: index argument %d is %T, want string", i, a)
		}
		parts[i] = s
	}
	return strings.Join(parts, "/"), nil
}

// ownerIndex is a multi-index over the uids in metadata.ownerReferences.
type ownerIndex struct{ recordIndex }

func (x *ownerIndex) FromObject(raw any) (bool, [][]byte, error) {
	rec, ok := raw.(*Record)
	if !ok || rec.Object == nil {
		return false, nil, fmt.Errorf("raftfsm: indexing %T, want *Record", raw)
	}
	var keys [][]byte
	for _, ref := range meta(rec).OwnerReferences {
		if ref.UID != "" {
			keys = append(keys, []byte(ref.UID+"\x00"))
		}
	}
	return len(keys) > 0, keys, nil
}
