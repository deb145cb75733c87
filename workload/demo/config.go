package demo

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// Errors of the demo workload.
var (
	// ErrConfig means a Config field out of range.
	ErrConfig = errors.New("demo: invalid config")
	// ErrListen means a port could not be opened.
	ErrListen = errors.New("demo: cannot listen")
)

// ExitError asks the caller to end the process with Code; Run returns it when told to
// exit (ExitAfter or POST /exit) with a code other than 0.
type ExitError struct {
	Code   int
	Reason string
}

var _ error = (*ExitError)(nil)

func (e *ExitError) Error() string {
	return fmt.Sprintf("demo: exit code %d (%s)", e.Code, e.Reason)
}

// Config says what the demo serves and how it misbehaves.
type Config struct {
	// Port is the HTTP port; 0 picks a free one (tests).
	Port int
	// TCPEchoPort is the TCP echo port; 0 means no echo server.
	TCPEchoPort int
	// Hostname is reported by GET /; empty means the kernel's hostname.
	Hostname string
	// ReadyFile, if set, is created once the server listens and removed when readiness
	// fails or the process stops, so a probe can look at the file instead of HTTP.
	ReadyFile string
	// FailLiveness and FailReadiness start with that probe failing (POST /recover heals).
	FailLiveness  bool
	FailReadiness bool
	// ExitAfter, if positive, ends the process with ExitCode after that long.
	ExitAfter time.Duration
	// ExitCode is the code for ExitAfter (0–255).
	ExitCode int
	// IgnoreSIGTERM makes SIGTERM only a log line, so the runtime has to SIGKILL.
	IgnoreSIGTERM bool
	// TermDelay is how long the process keeps serving after SIGTERM before it exits 0
	// (readiness fails meanwhile, as a well-behaved server would).
	TermDelay time.Duration
	// LogEvery, if positive, prints a numbered line that often (for `logs -f` tests).
	LogEvery time.Duration
	// Signals delivers SIGTERM and SIGINT; nil means Run subscribes to the process's
	// own. Tests pass a channel so they need not signal themselves.
	Signals <-chan os.Signal
	// Listening, if set, is called once with the open listeners' addresses (tcp is nil
	// without an echo server) once both are open. For tests and embedders.
	Listening func(http, tcp net.Addr)
}

// DefaultConfig is what `berth demo` runs with no flags.
func DefaultConfig() Config {
	return Config{
		// 8080 is what the README and the integration manifests expect.
		Port: 8080,
	}
}

// Validate reports the first field out of range.
func (c Config) Validate() error {
	switch {
	case c.Port < 0 || c.Port > 65535:
		return fmt.Errorf("%w: port %d", ErrConfig, c.Port)
	case c.TCPEchoPort < 0 || c.TCPEchoPort > 65535:
		return fmt.Errorf("%w: tcp echo port %d", ErrConfig, c.TCPEchoPort)
	case c.TCPEchoPort != 0 && c.TCPEchoPort == c.Port:
		return fmt.Errorf("%w: tcp echo port %d is also the HTTP port", ErrConfig, c.Port)
	case c.ExitCode < 0 || c.ExitCode > 255:
		return fmt.Errorf("%w: exit code %d (want 0-255)", ErrConfig, c.ExitCode)
	case c.ExitAfter < 0 || c.TermDelay < 0 || c.LogEvery < 0:
		return fmt.Errorf("%w: negative duration", ErrConfig)
	}
	return nil
}
