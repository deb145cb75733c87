package probe

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/berth-dev/berth/api"
)

// Kind is which of a container's three probes a Worker runs.
type Kind int

// The probe kinds, as the kubelet names them.
const (
	Liveness Kind = iota
	Readiness
	Startup
)

// String names the kind as events do ("Liveness probe failed: …").
func (k Kind) String() string {
	switch k {
	case Liveness:
		return "Liveness"
	case Readiness:
		return "Readiness"
	case Startup:
		return "Startup"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Result is the outcome of a probe attempt or a Worker's thresholded result.
type Result int

// The results. Unknown from an attempt means the probe could not run (the
// container is gone, the pod has no IP yet); a Worker ignores such attempts
// rather than count them as failures, as the kubelet does.
const (
	Unknown Result = iota
	Success
	Failure
)

// String names the result.
func (r Result) String() string {
	switch r {
	case Unknown:
		return "Unknown"
	case Success:
		return "Success"
	case Failure:
		return "Failure"
	}
	return "Result(" + strconv.Itoa(int(r)) + ")"
}

// Target is what a probe needs to reach a container.
type Target struct {
	// PodIP is the host of HTTP and TCP probes that name none. Empty: such
	// attempts are Unknown (ErrNoHost).
	PodIP string
	// Ports are the container's ports, to resolve named probe ports.
	Ports []api.ContainerPort
	// Exec runs cmd in the container with a timeout and returns its exit
	// code and output. On timeout it returns an error wrapping ErrExecTimeout
	// or context.DeadlineExceeded (an error returned after the timeout has
	// passed counts as a timeout too). Any other error makes the attempt
	// Unknown. Nil: exec probes are Unknown (ErrNoExec).
	Exec func(ctx context.Context, cmd []string, timeout time.Duration) (int, string, error)
}

// The kubelet's defaults for fields left zero (admission defaults them too;
// these keep a hand-built spec safe).
const (
	defaultPeriod           = 10 * time.Second
	defaultTimeout          = 1 * time.Second
	defaultSuccessThreshold = 1
	defaultFailureThreshold = 3
)

// Once runs a single probe attempt (for tests and for describe), with no
// thresholds and no initial delay. A nil spec is Unknown.
func Once(ctx context.Context, spec *api.Probe, target Target) (Result, string) {
	if spec == nil {
		return Unknown, ErrNoHandler.Error()
	}
	return attempt(ctx, spec, target, timeoutOf(spec))
}

// attempt dispatches on the handler. The timeout is a parameter so tests can
// use milliseconds.
func attempt(ctx context.Context, spec *api.Probe, target Target, timeout time.Duration) (Result, string) {
	h := spec.ProbeHandler
	switch {
	case h.Exec != nil:
		return probeExec(ctx, h.Exec.Command, target, timeout)
	case h.HTTPGet != nil:
		return probeHTTP(ctx, h.HTTPGet, target, timeout)
	case h.TCPSocket != nil:
		return probeTCP(ctx, h.TCPSocket, target, timeout)
	case h.GRPC != nil:
		return Failure, GRPCUnsupportedMessage
	}
	return Unknown, ErrNoHandler.Error()
}

// resolvePort turns a number or a named port into a port number. A name that
// is not among the container's ports but is all digits is taken as a number,
// as the kubelet does.
func resolvePort(p api.IntOrString, ports []api.ContainerPort) (int, error) {
	n := int(p.IntVal)
	if p.Type == api.TypeString {
		found := false
		for _, cp := range ports {
			if cp.Name != "" && cp.Name == p.StrVal {
				n, found = int(cp.ContainerPort), true
				break
			}
		}
		if !found {
			v, err := strconv.Atoi(p.StrVal)
			if err != nil {
				return 0, fmt.Errorf("%w %q", ErrUnknownPort, p.StrVal)
			}
			n = v
		}
	}
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("%w %d", ErrInvalidPort, n)
	}
	return n, nil
}

// hostOf is the probe's own host, else the pod IP.
func hostOf(specHost string, target Target) (string, error) {
	if specHost != "" {
		return specHost, nil
	}
	if target.PodIP == "" {
		return "", ErrNoHost
	}
	return target.PodIP, nil
}

func periodOf(spec *api.Probe) time.Duration {
	if spec.PeriodSeconds <= 0 {
		return defaultPeriod
	}
	return time.Duration(spec.PeriodSeconds) * time.Second
}

func timeoutOf(spec *api.Probe) time.Duration {
	if spec.TimeoutSeconds <= 0 {
		return defaultTimeout
	}
	return time.Duration(spec.TimeoutSeconds) * time.Second
}

func initialDelayOf(spec *api.Probe) time.Duration {
	if spec.InitialDelaySeconds <= 0 {
		return 0
	}
	return time.Duration(spec.InitialDelaySeconds) * time.Second
}
