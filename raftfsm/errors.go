package raftfsm

import (
	"errors"
	"fmt"

	"github.com/berth-dev/berth/api"
)

// The package's sentinel errors. Business failures of a command come back inside a
// Result as an *ObjectError that unwraps to one of the first five; the rest are
// returned by the functions that name them.
var (
	// ErrNotFound: the object a command names does not exist.
	ErrNotFound = errors.New("raftfsm: not found")
	// ErrAlreadyExists: a create names an object that exists.
	ErrAlreadyExists = errors.New("raftfsm: already exists")
	// ErrConflict: a resourceVersion or uid precondition does not hold.
	ErrConflict = errors.New("raftfsm: conflict")
	// ErrNamespaceNotFound: a namespaced object's Namespace does not exist.
	ErrNamespaceNotFound = errors.New("raftfsm: namespace not found")
	// ErrInvalidCommand: a well-formed log entry whose command cannot apply (unknown
	// kind, bad name, undecodable object). The leader validates, so this is a bug there.
	ErrInvalidCommand = errors.New("raftfsm: invalid command")

	// ErrUnknownCommand: DecodeCommand met a type byte it does not know and that is
	// not marked FlagIgnorable (a log written by a newer server).
	ErrUnknownCommand = errors.New("raftfsm: unknown command type")
	// ErrMalformedCommand: DecodeCommand could not parse the entry (short, bad JSON,
	// a batch inside a batch).
	ErrMalformedCommand = errors.New("raftfsm: malformed command")
	// ErrGone: a watch asked for, or fell behind to, changes older than the window,
	// or the store was replaced by a snapshot under it. The watcher must re-list.
	ErrGone = errors.New("raftfsm: resource version too old")
	// ErrWatcherClosed: Next was called on, or was blocked in, a closed Watcher.
	ErrWatcherClosed = errors.New("raftfsm: watcher closed")
	// ErrBadSnapshot: Restore met a snapshot it cannot read; the store is unchanged.
	ErrBadSnapshot = errors.New("raftfsm: bad snapshot")
	// ErrOutOfOrder: a log entry at or below the applied index; it is not applied
	// again (Raft never does this; it guards replays by tests or tools).
	ErrOutOfOrder = errors.New("raftfsm: log index already applied")
	// ErrInvalidConfig: Config.Validate refused a field.
	ErrInvalidConfig = errors.New("raftfsm: invalid config")
)

// ObjectError is a command's business failure. Error() is the one line a user should
// see, in Kubernetes' words (`configmaps "x" not found`); errors.Is matches the
// sentinel in Err. The server maps Err to a Status reason and keeps the message.
type ObjectError struct {
	Err       error  // one of ErrNotFound, ErrAlreadyExists, ErrConflict, ErrNamespaceNotFound, ErrInvalidCommand
	Plural    string // the resource's plural ("configmaps"); the kind when it is unknown
	Namespace string
	Name      string
	Message   string // the full message, naming the object as `<plural> "<name>"`
}

// Error returns the user-facing message.
func (e *ObjectError) Error() string { return e.Message }

// Unwrap returns the sentinel.
func (e *ObjectError) Unwrap() error { return e.Err }

// objErr builds an ObjectError; the message is `<plural> "<name>"` followed by text.
func objErr(sentinel error, plural, namespace, name, format string, args ...any) *ObjectError {
	return &ObjectError{
		Err: sentinel, Plural: plural, Namespace: namespace, Name: name,
		Message: fmt.Sprintf("%s %q", plural, name) + fmt.Sprintf(format, args...),
	}
}

func errNotFound(res *api.Resource, ns, name string) error {
	return objErr(ErrNotFound, res.Plural, ns, name, " not found")
}

func errAlreadyExists(res *api.Resource, ns, name string) error {
	return objErr(ErrAlreadyExists, res.Plural, ns, name, " already exists")
}

func errNamespaceNotFound(ns string) error {
	return objErr(ErrNamespaceNotFound, "namespaces", "", ns, " not found")
}

func errStale(res *api.Resource, ns, name string) error {
	return objErr(ErrConflict, res.Plural, ns, name,
		": the object has been modified; please apply your changes to the latest version and try again")
}

func errUIDMismatch(res *api.Resource, ns, name, want, have string) error {
	return objErr(ErrConflict, res.Plural, ns, name,
		": precondition failed: UID in precondition: %s, UID in object meta: %s", want, have)
}

func errInvalid(plural, ns, name, format string, args ...any) error {
	return objErr(ErrInvalidCommand, plural, ns, name, ": invalid command: "+format, args...)
}
