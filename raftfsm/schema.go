package raftfsm

import (
	"fmt"

	"github.com/hashicorp/go-memdb"

	"github.com/berth-dev/berth/api"
)

// One table per api.Resource, named by its plural, each holding *Record values. Every
// index key ends in a NUL byte so an exact lookup of "a" never matches "ab"; names and
// namespaces are DNS-1123, so neither holds NUL or "/".
//
// Index upkeep is the largest part of an apply (each key is a radix-tree insert, and
// each index of a written table a write of the store's root), so tables have two
// indexes. The applied Raft index is not a table row: nothing reads it from the
// store, and FSM.index moves under the same lock that publishes the commit.
const (
	// indexID is the unique primary index: namespace + "/" + name ("/name" for
	// cluster-scoped kinds). Iterating it lists a table sorted by that string, and
	// its prefix namespace + "/" lists one namespace in name order, so no namespace
	// index is needed.
	indexID = "id"
	// indexIDPrefix is memdb's prefix lookup on indexID (listNamespace).
	indexIDPrefix = indexID + "_prefix"
	// indexRef is the one secondary index: a multi-index over what else an object is
	// found by, each key tagged with what it is (a lookup's first argument):
	//   - refUID + "/" + metadata.uid (garbage collection, preconditions). Not unique
	//     in memdb's sense, so a duplicated uid (a leader bug) cannot corrupt it.
	//   - refOwner + "/" + each uid in metadata.ownerReferences.
	//   - for pods, refNode + "/" + spec.nodeName; unbound pods are left out.
	// One index rather than three because memdb opens every index of a table on
	// every write and writes each one's root into the store at commit, changed or not.
	indexRef = "ref"
	refUID   = "uid"
	refOwner = "owner"
	refNode  = "node"
)

// schemaFor builds the schema for the given kinds (api.Resources() in New).
func schemaFor(kinds []*kindInfo) *memdb.DBSchema {
	s := &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{}}
	for _, k := range kinds {
		s.Tables[k.res.Plural] = resourceTable(k)
	}
	return s
}

// resourceTable is the table of one kind. Pods alone have node keys.
func resourceTable(k *kindInfo) *memdb.TableSchema {
	ref := refIndex{}
	if k.res.Kind == "Pod" {
		ref.node = func(rec *Record) string { return k.nodeNameOf(rec.Object) }
	}
	return &memdb.TableSchema{
		Name: k.res.Plural,
		Indexes: map[string]*memdb.IndexSchema{
			indexID:  {Name: indexID, Unique: true, Indexer: idIndex{}},
			indexRef: {Name: indexRef, AllowMissing: true, Indexer: ref},
		},
	}
}

func meta(rec *Record) *api.ObjectMeta { return rec.Object.GetObjectMeta() }

// listNamespace iterates the objects of res in namespace ns, in name order.
func listNamespace(txn *memdb.Txn, res *api.Resource, ns string) (memdb.ResultIterator, error) {
	return txn.Get(res.Plural, indexIDPrefix, ns, "")
}

// asRecord is the check every indexer starts with.
func asRecord(raw any) (*Record, error) {
	rec, ok := raw.(*Record)
	if !ok || rec == nil || rec.Object == nil {
		return nil, fmt.Errorf("raftfsm: indexing %T, want *Record", raw)
	}
	return rec, nil
}

// indexKey is parts joined by "/" and NUL-terminated, built in one allocation with
// spare room: memdb appends the primary key to a non-unique index's key, and the
// room saves it a second allocation.
func indexKey(spare int, parts ...string) []byte {
	n := spare + len(parts)
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, n)
	for i, p := range parts {
		if i > 0 {
			b = append(b, '/')
		}
		b = append(b, p...)
	}
	return append(b, 0)
}

// idLen is the length of rec's primary key, the spare room its secondary keys need.
func idLen(rec *Record) int {
	m := meta(rec)
	return len(m.Namespace) + len(m.Name) + 2
}

// argIndex gives the lookup side of every indexer: its arguments are strings joined
// with "/", so the id index takes (namespace, name).
type argIndex struct{}

func (argIndex) FromArgs(args ...any) ([]byte, error) {
	return argsKey(args, true)
}

func (argIndex) PrefixFromArgs(args ...any) ([]byte, error) {
	return argsKey(args, false) // no terminator: a prefix
}

// argsKey is indexKey for lookup arguments, which must be strings.
func argsKey(args []any, terminate bool) ([]byte, error) {
	n := len(args)
	for i, a := range args {
		s, ok := a.(string)
		if !ok {
			return nil, fmt.Errorf("raftfsm: index argument %d is %T, want string", i, a)
		}
		n += len(s)
	}
	b := make([]byte, 0, n)
	for i, a := range args {
		if i > 0 {
			b = append(b, '/')
		}
		b = append(b, a.(string)...)
	}
	if terminate {
		b = append(b, 0)
	}
	return b, nil
}

// idIndex is the primary index: namespace + "/" + name.
type idIndex struct{ argIndex }

func (idIndex) FromObject(raw any) (bool, []byte, error) {
	rec, err := asRecord(raw)
	if err != nil {
		return false, nil, err
	}
	m := meta(rec)
	return true, indexKey(0, m.Namespace, m.Name), nil
}

// refIndex is indexRef's indexer. node is nil for a kind without node keys.
type refIndex struct {
	argIndex
	node func(*Record) string
}

func (x refIndex) FromObject(raw any) (bool, [][]byte, error) {
	rec, err := asRecord(raw)
	if err != nil {
		return false, nil, err
	}
	m, spare := meta(rec), idLen(rec)
	node := ""
	if x.node != nil {
		node = x.node(rec)
	}
	keys := make([][]byte, 0, 2+len(m.OwnerReferences))
	if m.UID != "" {
		keys = append(keys, indexKey(spare, refUID, m.UID))
	}
	for _, ref := range m.OwnerReferences {
		if ref.UID != "" {
			keys = append(keys, indexKey(spare, refOwner, ref.UID))
		}
	}
	if node != "" {
		keys = append(keys, indexKey(spare, refNode, node))
	}
	return len(keys) > 0, keys, nil
}
