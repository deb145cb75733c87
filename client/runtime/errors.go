package runtime

import "errors"

// Sentinel errors. Implementations wrap them with %w and keep the engine's own
// message in the text, so callers branch with errors.Is and show err.Error()
// to users (a pod's waiting reason, an event message).
var (
	// ErrNotFound: the container, sandbox, image, volume or network is absent.
	ErrNotFound = errors.New("runtime: not found")
	// ErrAlreadyExists: an object of that name exists (for a container: the
	// same pod, container name and attempt was created before).
	ErrAlreadyExists = errors.New("runtime: already exists")
	// ErrConflict: the engine refused because of the object's state (a volume
	// still in use, an IP address already taken by another sandbox).
	ErrConflict = errors.New("runtime: conflict")
	// ErrNotRunning: exec into a container that is not running.
	ErrNotRunning = errors.New("runtime: container not running")
	// ErrInvalidConfig: the request cannot be turned into an engine call
	// (missing field, bad address, unknown pull policy, missing bind source).
	ErrInvalidConfig = errors.New("runtime: invalid config")
	// ErrImagePull: pulling the image failed; the text holds the engine's reason.
	ErrImagePull = errors.New("runtime: image pull failed")
	// ErrImageNeverPull: the image is absent and the pull policy is Never.
	ErrImageNeverPull = errors.New("runtime: image absent and pull policy is Never")
	// ErrStartFailed: the engine could not start the container's process
	// (the Kubernetes reason is RunContainerError).
	ErrStartFailed = errors.New("runtime: container start failed")
	// ErrNetworkConflict: a network of the requested name exists but its subnet
	// does not contain the node's pod CIDR, or it is not a bridge network.
	ErrNetworkConflict = errors.New("runtime: network conflict")
	// ErrTimeout: an exec probe did not finish within its timeout.
	ErrTimeout = errors.New("runtime: timed out")
	// ErrUnavailable: the engine cannot be reached.
	ErrUnavailable = errors.New("runtime: engine unavailable")
)
