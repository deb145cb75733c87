package raftfsm

// This file fixes the surface the server codes against. Implementations live in the
// other files of the package.

import (
	"encoding/json"

	"github.com/berth-dev/berth/api"
)

// CommandType is the first byte of every log entry. Types are appended, never
// renumbered. The high bit (FlagIgnorable) marks an entry an older server may skip.
type CommandType uint8

// The command types. A log entry is one type byte followed by a JSON body, or in the
// binary framing a marker byte, the type byte and a binary body (command_binary.go).
const (
	CmdCreate       CommandType = 1 // create Object; fails if it exists
	CmdUpdate       CommandType = 2 // replace Object's metadata+spec, keep the stored status
	CmdUpdateStatus CommandType = 3 // replace only the stored status (and keep metadata+spec)
	CmdDelete       CommandType = 4 // delete Namespace/Name of Kind
	CmdBatch        CommandType = 5 // Commands applied one after another, each on its own

	// FlagIgnorable, or-ed into the type byte, lets a server that does not know the type
	// skip the entry instead of stopping.
	FlagIgnorable CommandType = 0x80
)

// Command is one change to the store, decided and stamped by the leader (uid,
// timestamps, generation are already in Object) so Apply is deterministic.
type Command struct {
	Type      CommandType `json:"-"`
	Kind      string      `json:"kind,omitempty"`
	Namespace string      `json:"namespace,omitempty"`
	Name      string      `json:"name,omitempty"`
	// ResourceVersion, when non-zero, is a precondition: the stored object's
	// resourceVersion must equal it or the command fails with ErrConflict.
	ResourceVersion uint64 `json:"resourceVersion,omitempty"`
	// UID, when set on a delete or update, must match the stored object's uid.
	UID string `json:"uid,omitempty"`
	// Object is the full object as JSON (create, update, status).
	Object json.RawMessage `json:"object,omitempty"`
	// Commands are the members of a batch.
	Commands []Command `json:"commands,omitempty"`
}

// Record is one stored object. Records are immutable once in the store: readers share
// them without copying, and nobody may change one after it is inserted.
type Record struct {
	Resource *api.Resource
	Object   api.Object // decoded, with metadata.resourceVersion set
	Raw      []byte     // the JSON encoding of Object, what the API answers with
	RV       uint64     // the Raft index of the last change
}

// EventType is the type of a watch event, with Kubernetes' names.
type EventType string

// The watch event types.
const (
	Added    EventType = "ADDED"
	Modified EventType = "MODIFIED"
	Deleted  EventType = "DELETED"
)

// Event is one change seen by a watcher. For Deleted the Record is the object's last
// state with its resourceVersion set to the index of the deletion.
type Event struct {
	Type   EventType
	Record *Record
}

// Result is the outcome of one command (one per member for a batch). Err is one of the
// package's sentinel errors wrapped with a message that names the object.
type Result struct {
	Record *Record // the object after the change (for a delete, its last state)
	Err    error
}

// Response is what FSM.Apply returns for a log entry: one Result per command (a single
// Result for a non-batch command).
type Response struct {
	Results []Result
}
