package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// shutdownGrace bounds how long in-flight requests (a POST /exit's own reply among
// them) may take once the demo decides to stop.
const shutdownGrace = 2 * time.Second

// Run serves until ctx is done (returns nil), SIGINT (nil), SIGTERM (nil after
// TermDelay, unless IgnoreSIGTERM), ExitAfter or POST /exit (nil for code 0, else an
// *ExitError the caller turns into the process's exit code). Log lines go to stdout;
// nil discards them.
func Run(ctx context.Context, cfg Config, stdout io.Writer) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if stdout == nil {
		stdout = io.Discard
	}
	log := &logger{w: stdout}
	hostname := cfg.Hostname
	if hostname == "" {
		// uname(2), not /etc/hostname: a scratch image has no /etc.
		hostname, _ = os.Hostname()
	}
	httpLn, err := net.Listen("tcp", ":"+strconv.Itoa(cfg.Port))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrListen, err)
	}
	var echo *echoServer
	var echoAddr net.Addr
	if cfg.TCPEchoPort > 0 {
		ln, err := net.Listen("tcp", ":"+strconv.Itoa(cfg.TCPEchoPort))
		if err != nil {
			_ = httpLn.Close()
			return fmt.Errorf("%w: %w", ErrListen, err)
		}
		echo, echoAddr = startEcho(ln), ln.Addr()
		defer echo.close()
		log.printf("tcp echo on %s", echoAddr)
	}

	st := newState(cfg, hostname, log)
	srv := &http.Server{Handler: st.handler(), ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(httpLn) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		_ = srv.Shutdown(sctx)
		st.terminating.Store(true)
		st.syncReadyFile()
	}()
	st.syncReadyFile()
	log.printf("listening on %s as %s", httpLn.Addr(), hostname)
	if cfg.Listening != nil {
		cfg.Listening(httpLn.Addr(), echoAddr)
	}

	sigs := cfg.Signals
	if sigs == nil {
		ch := make(chan os.Signal, 2)
		signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
		defer signal.Stop(ch)
		sigs = ch
	}
	return loop(ctx, cfg, st, sigs, serveErr)
}

// loop is the demo's one event loop: signals, timers and exit requests.
func loop(ctx context.Context, cfg Config, st *state, sigs <-chan os.Signal, serveErr <-chan error) error {
	exitAfter := startTimer(cfg.ExitAfter)
	defer stopTimer(exitAfter)
	var tick <-chan time.Time
	if cfg.LogEvery > 0 {
		t := time.NewTicker(cfg.LogEvery)
		defer t.Stop()
		tick = t.C
	}
	var term *time.Timer // set once SIGTERM starts the TermDelay
	defer func() { stopTimer(term) }()
	line := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-serveErr:
			return fmt.Errorf("demo: serve: %w", err)
		case sig := <-sigs:
			if sig == syscall.SIGINT {
				st.log.printf("received SIGINT, exiting")
				return nil
			}
			st.log.printf("received SIGTERM")
			if cfg.IgnoreSIGTERM {
				st.log.printf("ignoring SIGTERM")
				continue
			}
			if term != nil {
				continue // already draining
			}
			st.terminating.Store(true)
			st.syncReadyFile()
			st.log.printf("exiting in %v", cfg.TermDelay)
			term = time.NewTimer(cfg.TermDelay)
		case <-timerC(term):
			st.log.printf("exiting with code 0 after SIGTERM")
			return nil
		case <-timerC(exitAfter):
			return exitWith(st.log, cfg.ExitCode, "exit-after "+cfg.ExitAfter.String())
		case code := <-st.exit:
			return exitWith(st.log, code, "POST /exit")
		case <-tick:
			line++
			st.log.printf("line %d", line)
		}
	}
}

func exitWith(log *logger, code int, reason string) error {
	log.printf("exiting with code %d (%s)", code, reason)
	if code == 0 {
		return nil
	}
	return &ExitError{Code: code, Reason: reason}
}

// startTimer returns a running timer, or nil (never fires) for d <= 0.
func startTimer(d time.Duration) *time.Timer {
	if d <= 0 {
		return nil
	}
	return time.NewTimer(d)
}

func stopTimer(t *time.Timer) {
	if t != nil {
		t.Stop()
	}
}

// timerC is t's channel, or nil (blocks forever in a select) when there is no timer.
func timerC(t *time.Timer) <-chan time.Time {
	if t == nil {
		return nil
	}
	return t.C
}

// ExitCode returns the process exit code err asks for: 0 for nil, Code for an
// *ExitError anywhere in the chain, and 1 for any other error.
func ExitCode(err error) int {
	var ee *ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.Code
	default:
		return 1
	}
}
