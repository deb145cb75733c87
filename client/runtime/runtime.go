package runtime

import (
	"context"
	"io"
	"net/netip"
	"time"
)

// Runtime runs a node's pods on a container engine. Every method is safe for
// concurrent use by many pod workers; every method honours ctx.
//
// Removal is idempotent (as in the Kubernetes CRI): removing or stopping an
// object that is already gone returns nil. Lookups of an absent object return
// an error wrapping ErrNotFound.
type Runtime interface {
	// Info describes the node: capacity, software versions and the images
	// present (for image locality in the scheduler).
	Info(ctx context.Context) (NodeInfo, error)

	// EnsureImage makes image present according to policy (PullAlways,
	// PullIfNotPresent, PullNever; "" means IfNotPresent). progress, if not
	// nil, gets one human-readable line per pull status message; it is called
	// from the calling goroutine only. A failed pull wraps ErrImagePull with
	// the engine's message; Never with the image absent gives ErrImageNeverPull.
	EnsureImage(ctx context.Context, image string, policy string, progress func(string)) error
	// EnsureInfraImage makes the sandbox image present (building it locally
	// if the implementation knows how) and returns its reference.
	EnsureInfraImage(ctx context.Context) (string, error)

	// EnsureNetwork makes the pod network exist. An existing network of that
	// name is reused if its subnet contains subnet (several agents on one
	// engine may share a wider network); otherwise ErrNetworkConflict. The
	// first host address of a created network is its gateway: never hand it
	// to a pod.
	EnsureNetwork(ctx context.Context, name string, subnet netip.Prefix) error
	// RemoveNetwork removes a network this runtime manages.
	RemoveNetwork(ctx context.Context, name string) error

	// CreateSandbox creates and starts a pod's infra container and returns its
	// ID. A failed start leaves nothing behind.
	CreateSandbox(ctx context.Context, cfg SandboxConfig) (string, error)
	// RemoveSandbox stops and removes a sandbox. Remove its app containers first.
	RemoveSandbox(ctx context.Context, id string) error

	// CreateContainer creates (does not start) an app container joined to the
	// sandbox's network namespace. Creating the same pod, container name and
	// attempt twice gives ErrAlreadyExists.
	CreateContainer(ctx context.Context, sandboxID string, cfg ContainerConfig) (string, error)
	// StartContainer starts a created container; ErrStartFailed if its
	// process cannot be started.
	StartContainer(ctx context.Context, id string) error
	// StopContainer sends SIGTERM (or the image's stop signal) and SIGKILL
	// after grace (rounded up to whole seconds; 0 kills at once). It returns
	// once the container has stopped, so ctx must outlive grace.
	StopContainer(ctx context.Context, id string, grace time.Duration) error
	// RemoveContainer removes a container, killing it if it still runs.
	RemoveContainer(ctx context.Context, id string) error
	// ContainerStatus inspects one container or sandbox.
	ContainerStatus(ctx context.Context, id string) (ContainerStatus, error)
	// ListContainers returns every managed container and sandbox, in any state.
	ListContainers(ctx context.Context) ([]ContainerStatus, error)

	// EnsureVolume creates a named volume (emptyDir) if absent; labels should
	// carry LabelPodUID so orphans can be found with ListVolumes.
	EnsureVolume(ctx context.Context, name string, labels map[string]string) error
	// RemoveVolume removes a volume; ErrConflict while a container uses it.
	RemoveVolume(ctx context.Context, name string) error
	// ListVolumes returns the managed volumes.
	ListVolumes(ctx context.Context) ([]Volume, error)

	// Logs copies a container's output to stdout and stderr (nil discards).
	// With Follow it returns when the container stops or ctx ends (then with
	// ctx.Err()).
	Logs(ctx context.Context, id string, opts LogOptions, stdout, stderr io.Writer) error
	// Exec runs cmd in a running container, streaming as opts says, and
	// returns the command's exit code. ErrNotRunning if the container is not
	// running. Exec does not wait for opts.Stdin to reach EOF once the command
	// has exited; close it to release the copying goroutine.
	Exec(ctx context.Context, id string, cmd []string, opts ExecOptions) (int, error)
	// ExecProbe runs cmd for an exec probe and returns its exit code and its
	// combined output (truncated to MaxProbeOutput bytes). Past timeout it
	// returns ErrTimeout; the engine gives no way to kill the command, which
	// may keep running in the container.
	ExecProbe(ctx context.Context, id string, cmd []string, timeout time.Duration) (int, string, error)

	// Events streams start, die and oom events of managed containers until
	// ctx ends, then closes both channels. Engine errors are reported on the
	// error channel (buffered; dropped if nobody reads) and the stream
	// reconnects by itself without losing events in between. Events before
	// the call are not replayed: subscribe first, then ListContainers.
	Events(ctx context.Context) (<-chan ContainerEvent, <-chan error)
}

// The image pull policies, spelled as in the pod spec.
const (
	PullAlways       = "Always"
	PullIfNotPresent = "IfNotPresent"
	PullNever        = "Never"
)

// MaxProbeOutput bounds the output ExecProbe keeps, as the kubelet does, so a
// chatty probe cannot bloat pod status.
const MaxProbeOutput = 10 << 10
