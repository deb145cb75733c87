package probe

import "errors"

// Sentinel errors. Probes report them as messages (a probe attempt has a
// Result and a message, not an error); they are exported so that a caller's
// Exec function can say "timed out" and tests can match messages.
var (
	// ErrUnknownPort: a named port is not among the container's ports.
	ErrUnknownPort = errors.New("probe: unknown named port")
	// ErrInvalidPort: the port is outside 1–65535.
	ErrInvalidPort = errors.New("probe: invalid port")
	// ErrNoHost: neither the probe nor the target names a host (the pod has no
	// IP yet); the attempt is Unknown so that it does not count as a failure.
	ErrNoHost = errors.New("probe: no host to probe (pod has no IP yet)")
	// ErrNoHandler: the probe sets none of exec, httpGet, tcpSocket, grpc.
	ErrNoHandler = errors.New("probe: no handler set")
	// ErrNoExec: an exec probe but the target has no Exec function.
	ErrNoExec = errors.New("probe: exec is not available for this container")
	// ErrExecTimeout: an Exec function may return an error wrapping this (or
	// context.DeadlineExceeded) when the command outlived its timeout.
	ErrExecTimeout = errors.New("probe: exec timed out")
)

// GRPCUnsupportedMessage is the message of every gRPC probe attempt until
// Berth supports them (admission already warns about such probes).
const GRPCUnsupportedMessage = "grpc probes are not supported by Berth yet"
