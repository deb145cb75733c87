package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/api"
)

// probeTCP succeeds when a TCP connection opens within the timeout; the
// connection is closed at once.
func probeTCP(ctx context.Context, s *api.TCPSocketAction, target Target, timeout time.Duration) (Result, string) {
	host, err := hostOf(s.Host, target)
	if err != nil {
		return Unknown, err.Error()
	}
	port, err := resolvePort(s.Port, target.Ports)
	if err != nil {
		return Failure, err.Error()
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		if ctx.Err() != nil {
			return Unknown, err.Error()
		}
		return Failure, err.Error()
	}
	_ = conn.Close()
	return Success, ""
}

// maxExecMessage bounds the command output quoted in a message: a message is
// an event line, not a log.
const maxExecMessage = 512

// probeExec runs the command through the target's Exec; exit 0 is success.
func probeExec(ctx context.Context, cmd []string, target Target, timeout time.Duration) (Result, string) {
	if target.Exec == nil {
		return Unknown, ErrNoExec.Error()
	}
	start := time.Now()
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	code, out, err := target.Exec(tctx, cmd, timeout)
	switch {
	case err != nil && ctx.Err() != nil:
		return Unknown, err.Error()
	case err != nil && (errors.Is(err, ErrExecTimeout) || errors.Is(err, context.DeadlineExceeded) ||
		time.Since(start) >= timeout):
		return Failure, fmt.Sprintf("command timed out after %v", timeout)
	case err != nil:
		// The runtime failed (the container stopped, the engine is away): the
		// attempt says nothing about the container's health.
		return Unknown, err.Error()
	case code == 0:
		return Success, ""
	}
	msg := "command exited " + strconv.Itoa(code)
	if out = shorten(strings.TrimSpace(out), maxExecMessage); out != "" {
		msg += ": " + out
	}
	return Failure, msg
}

// shorten cuts s to at most n bytes without splitting a UTF-8 sequence.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && cut < len(s) && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
