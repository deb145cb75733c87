package controller

import (
	"context"
	"log/slog"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// Store is the read side every controller uses. *raftfsm.FSM implements it.
type Store interface {
	Get(res *api.Resource, namespace, name string) (*raftfsm.Record, bool)
	GetByUID(res *api.Resource, uid string) (*raftfsm.Record, bool)
	// List lists a kind in one namespace ("" = all) and returns the store's index.
	List(res *api.Resource, namespace string) ([]*raftfsm.Record, uint64)
	// ListByNode lists the pods bound to a node.
	ListByNode(nodeName string) ([]*raftfsm.Record, uint64)
	// ListByOwner lists the objects of a kind whose ownerReferences name ownerUID.
	ListByOwner(res *api.Resource, ownerUID string) []*raftfsm.Record
	// Watch streams changes of a kind after fromRV (0 = from now).
	Watch(res *api.Resource, namespace string, fromRV uint64) (*raftfsm.Watcher, error)
	Index() uint64
}

var _ Store = (*raftfsm.FSM)(nil)

// DeleteOptions are the options of Writer.Delete.
type DeleteOptions struct {
	// UID, when set, must match the stored object's uid (a precondition).
	UID string
	// GracePeriodSeconds overrides a pod's grace period; 0 removes it at once.
	GracePeriodSeconds *int64
	// PropagationPolicy is "Background" (default: dependents are collected after
	// the owner is gone) or "Orphan" (dependents lose their ownerReference first).
	PropagationPolicy string
}

// The values of DeleteOptions.PropagationPolicy, with Kubernetes' names.
const (
	PropagationBackground = "Background"
	PropagationOrphan     = "Orphan"
	PropagationForeground = "Foreground"
)

// Writer submits changes through the leader's admission path, exactly as the HTTP
// API would apply them: create stamps uid/creationTimestamp (and generateName),
// update keeps status and bumps generation on spec changes, UpdateStatus changes only
// status, Delete of a bound pod is graceful. Update and UpdateStatus use the object's
// metadata.resourceVersion as a precondition when it is set (api.ReasonConflict on
// mismatch). Errors are *api.Error values (check api.ReasonOf(err): ReasonNotFound,
// ReasonConflict, ReasonAlreadyExists, ReasonInvalid, …) or
// leadership/Raft failures. The returned object is the stored one, never shared with
// the store's copy: callers may keep or change it.
type Writer interface {
	Create(ctx context.Context, obj api.Object) (api.Object, error)
	Update(ctx context.Context, obj api.Object) (api.Object, error)
	UpdateStatus(ctx context.Context, obj api.Object) (api.Object, error)
	Delete(ctx context.Context, res *api.Resource, namespace, name string, opts DeleteOptions) error
}

// Env is what every controller is built with.
type Env struct {
	Store  Store
	Writer Writer
	Log    *slog.Logger
	// Events records Kubernetes Events about objects (reason, message); may be nil.
	Events EventRecorder
}

// EventRecorder records an Event about an object (type "Normal" or "Warning").
// Implementations batch and rate-limit; Record never blocks on Raft.
type EventRecorder interface {
	Record(obj api.Object, eventType, reason, message string)
}

// Controller is one reconciler. Run blocks until ctx ends; it is started when this
// server becomes leader and its context is cancelled the moment it is not.
type Controller interface {
	Name() string
	Run(ctx context.Context) error
}
