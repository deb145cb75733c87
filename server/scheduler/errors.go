package scheduler

import "errors"

// The package's sentinel errors. Callers match them with errors.Is.
var (
	// ErrConfig is a scheduler configuration that cannot be used (unknown field, bad
	// weight, unknown strategy).
	ErrConfig = errors.New("scheduler: invalid config")
	// ErrUnschedulable is wrapped by every *FitError: the pod fits on no node.
	ErrUnschedulable = errors.New("scheduler: pod is unschedulable")
	// ErrBind is a binding the Binder refused or failed to commit.
	ErrBind = errors.New("scheduler: binding failed")
	// ErrPodGone is a pod that is no longer in the cluster or already bound.
	ErrPodGone = errors.New("scheduler: pod is gone or already bound")
)
