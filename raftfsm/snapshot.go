package raftfsm

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/hashicorp/go-memdb"
	"github.com/hashicorp/raft"
)

// A snapshot is newline-delimited JSON, so it can be read with the usual tools:
//
//	{"format":1,"index":N,"count":C}        the header
//	{"kind":"ConfigMap","object":{...}}     one line per object, tables in plural order
//	{"end":true,"count":C}                  the trailer: a truncated file has none
//
// Objects are the records' Raw encodings, kept as they are on restore.
const snapshotFormat = 1

type snapshotHeader struct {
	Format int    `json:"format"`
	Index  uint64 `json:"index"`
	Count  int    `json:"count"`
}

// snapshotLine is any line after the header.
type snapshotLine struct {
	Kind   string          `json:"kind,omitempty"`
	Object json.RawMessage `json:"object,omitempty"`
	End    bool            `json:"end,omitempty"`
	Count  int             `json:"count,omitempty"`
}

// fsmSnapshot is a point-in-time view of the store; Persist runs concurrently with
// Apply, which never touches it.
type fsmSnapshot struct {
	f     *FSM
	txn   *memdb.Txn
	index uint64
	count int
}

func (f *FSM) snapshot() *fsmSnapshot {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return &fsmSnapshot{f: f, txn: f.db.Load().Snapshot().Txn(false), index: f.index.Load(), count: f.Count()}
}

// Persist streams the snapshot to sink, cancelling it on any error.
func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if err := s.write(sink); err != nil {
		_ = sink.Cancel()
		return fmt.Errorf("raftfsm: persisting snapshot at %d: %w", s.index, err)
	}
	return sink.Close()
}

func (s *fsmSnapshot) write(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	hdr, err := json.Marshal(snapshotHeader{Format: snapshotFormat, Index: s.index, Count: s.count})
	if err != nil {
		return err
	}
	bw.Write(append(hdr, '\n'))
	n := 0
	for _, res := range s.f.resources {
		it, err := s.txn.Get(res.Plural, indexID)
		if err != nil {
			return err
		}
		kind, err := json.Marshal(res.Kind)
		if err != nil {
			return err
		}
		for raw := it.Next(); raw != nil; raw = it.Next() {
			bw.WriteString(`{"kind":`)
			bw.Write(kind)
			bw.WriteString(`,"object":`)
			bw.Write(raw.(*Record).Raw)
			bw.WriteString("}\n")
			n++
		}
	}
	if n != s.count {
		return fmt.Errorf("counted %d objects, wrote %d", s.count, n)
	}
	fmt.Fprintf(bw, "{\"end\":true,\"count\":%d}\n", n)
	return bw.Flush() // bufio keeps the first write error and returns it here
}

// Release frees nothing: the memdb snapshot is garbage once unreferenced.
func (s *fsmSnapshot) Release() {}

// restore reads a snapshot into a fresh store and swaps it in. On any error the
// current store is left as it was.
func (f *FSM) restore(r io.Reader) error {
	db, hdr, err := f.readSnapshot(r)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadSnapshot, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.db.Store(db)
	f.index.Store(hdr.Index)
	f.count.Store(int64(hdr.Count))
	f.hub.resetLocked(hdr.Index)
	return nil
}

func (f *FSM) readSnapshot(r io.Reader) (*memdb.MemDB, snapshotHeader, error) {
	var hdr snapshotHeader
	br := bufio.NewReaderSize(r, 64<<10)
	line, err := br.ReadBytes('\n')
	if err != nil {
		return nil, hdr, fmt.Errorf("reading header: %w", err)
	}
	if err := json.Unmarshal(line, &hdr); err != nil {
		return nil, hdr, fmt.Errorf("header: %w", err)
	}
	if hdr.Format != snapshotFormat {
		return nil, hdr, fmt.Errorf("format %d, this server reads %d", hdr.Format, snapshotFormat)
	}
	db := f.newDB()
	txn := db.Txn(true)
	defer txn.Abort()
	n, err := f.readRecords(br, txn)
	if err != nil {
		return nil, hdr, err
	}
	if n != hdr.Count {
		return nil, hdr, fmt.Errorf("header says %d objects, read %d", hdr.Count, n)
	}
	txn.Commit()
	return db, hdr, nil
}

// readRecords inserts every object line until the trailer, and counts them.
func (f *FSM) readRecords(br *bufio.Reader, txn *memdb.Txn) (int, error) {
	for n := 0; ; n++ {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return n, errors.New("no trailer: truncated snapshot")
		}
		if err != nil {
			return n, err
		}
		var l snapshotLine
		if err := json.Unmarshal(line, &l); err != nil {
			return n, fmt.Errorf("object %d: %w", n, err)
		}
		if l.End {
			if l.Count != n {
				return n, fmt.Errorf("trailer says %d objects, read %d", l.Count, n)
			}
			return n, nil
		}
		rec, err := f.decodeRecord(l)
		if err != nil {
			return n, fmt.Errorf("object %d: %w", n, err)
		}
		if err := txn.Insert(rec.Resource.Plural, rec); err != nil {
			return n, fmt.Errorf("object %d: %w", n, err)
		}
	}
}

func (f *FSM) decodeRecord(l snapshotLine) (*Record, error) {
	k, ok := f.byKind[l.Kind]
	if !ok {
		return nil, fmt.Errorf("unknown kind %q", l.Kind)
	}
	res := k.res
	obj, err := decodeObject(res, &Command{Object: l.Object})
	if err != nil {
		return nil, err
	}
	m := obj.GetObjectMeta()
	if err := checkName(res, m.Namespace, m.Name); err != nil {
		return nil, err
	}
	rv, err := strconv.ParseUint(m.ResourceVersion, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%s %q: resourceVersion: %w", res.Plural, m.Name, err)
	}
	return &Record{Resource: res, Object: obj, Raw: l.Object, RV: rv}, nil
}
