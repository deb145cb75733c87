package raftfsm

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-memdb"
	"github.com/hashicorp/raft"

	"github.com/berth-dev/berth/api"
)

// The FSM is fed by Raft and read by everyone else.
var (
	_ raft.FSM         = (*FSM)(nil)
	_ raft.BatchingFSM = (*FSM)(nil)
)

// DefaultWatchWindow is how many recent events the hub keeps for watchers that resume
// from a resourceVersion. At a busy cluster's few hundred writes a second it spans
// minutes, enough for a client to ride out a server restart or a leader change
// without a full re-list, while costing only a slot per event (the records are
// shared with the store or are deleted objects' last states).
const DefaultWatchWindow = 100000

// Config configures an FSM. The FSM never changes it after New.
type Config struct {
	// WatchWindow is how many events are kept for resuming watchers; zero means
	// DefaultWatchWindow. Negative is invalid.
	WatchWindow int
	// Logger receives the FSM's few, loud messages (undecodable entries); nil means
	// slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns the configuration New uses for zero fields.
func DefaultConfig() Config {
	return Config{WatchWindow: DefaultWatchWindow, Logger: slog.Default()}
}

// Validate reports a field New would have to replace.
func (c Config) Validate() error {
	if c.WatchWindow < 0 {
		return fmt.Errorf("%w: WatchWindow %d is negative", ErrInvalidConfig, c.WatchWindow)
	}
	return nil
}

// FSM is Berth's replicated state machine. Raft calls Apply, ApplyBatch, Snapshot and
// Restore from one goroutine, never concurrently with each other; every read method
// and Watch is safe to call from any goroutine at any time.
type FSM struct {
	cfg       Config
	log       *slog.Logger
	resources []*api.Resource      // the kinds with a table, sorted by plural
	byKind    map[string]*kindInfo // Kind → the kinds this FSM stores
	nsRes     *api.Resource        // the Namespace kind; nil if none is registered
	schema    *memdb.DBSchema

	// mu orders a commit, the new index and the hub's events against readers, so a
	// List's index and the events a watcher resumes from always agree. Writers hold
	// it only around Commit; readers only while taking a read transaction.
	mu    sync.RWMutex
	db    atomic.Pointer[memdb.MemDB]
	index atomic.Uint64 // the last applied Raft index
	count atomic.Int64  // objects in all tables
	hub   *hub
}

// New builds an empty FSM over every kind api.Resources() lists now. A non-positive
// WatchWindow means DefaultWatchWindow; call Config.Validate first to refuse one.
func New(cfg Config) *FSM {
	if cfg.WatchWindow <= 0 {
		cfg.WatchWindow = DefaultWatchWindow
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	f := &FSM{cfg: cfg, log: cfg.Logger, resources: api.Resources(), byKind: map[string]*kindInfo{}}
	kinds := make([]*kindInfo, 0, len(f.resources))
	for _, r := range f.resources {
		k := newKindInfo(r)
		kinds = append(kinds, k)
		f.byKind[r.Kind] = k
		if r.Kind == "Namespace" {
			f.nsRes = r
		}
	}
	f.schema = schemaFor(kinds)
	f.db.Store(f.newDB())
	f.hub = newHub(&f.mu, cfg.WatchWindow)
	return f
}

// newDB makes an empty store. The schema is built from code, not input, so an error
// is a bug that every test would catch; it panics rather than return a half-made FSM.
func (f *FSM) newDB() *memdb.MemDB {
	db, err := memdb.NewMemDB(f.schema)
	if err != nil {
		panic(fmt.Sprintf("raftfsm: invalid schema: %v", err))
	}
	return db
}

// Apply applies one committed log entry and returns its *Response.
func (f *FSM) Apply(l *raft.Log) any {
	return f.applyLog(l)
}

// ApplyBatch applies the entries in order, each in its own transaction, and returns
// one *Response per command entry and nil for any other (configuration) entry.
func (f *FSM) ApplyBatch(logs []*raft.Log) []any {
	out := make([]any, len(logs))
	for i, l := range logs {
		if l.Type == raft.LogCommand {
			out[i] = f.applyLog(l)
			continue
		}
		f.advance(l.Index)
	}
	return out
}

// Snapshot captures the store in constant time; Persist does the writing.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	return f.snapshot(), nil
}

// Restore replaces the whole store with a snapshot's. The caller closes rc.
func (f *FSM) Restore(rc io.ReadCloser) error {
	return f.restore(rc)
}
