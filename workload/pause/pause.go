package pause

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Errors of the pause process.
var (
	// ErrSubreaper means the kernel refused to make the process a child subreaper.
	ErrSubreaper = errors.New("pause: cannot become a child subreaper")
)

// Run blocks until SIGTERM or SIGINT arrives, or ctx is done, and then returns nil.
// Meanwhile it reaps every child that exits. It must be the only code in the process
// that waits for children: a concurrent os/exec Wait would race it for the status.
func Run(ctx context.Context) error { return run(ctx, nil) }

// run is Run with a hook called once signals are caught, so a test can tell when
// a SIGTERM will be handled rather than kill the process.
func run(ctx context.Context, ready func()) error {
	if err := becomeSubreaper(); err != nil {
		return fmt.Errorf("%w: %w", ErrSubreaper, err)
	}
	// Room for a stop signal and a SIGCHLD at once; further SIGCHLDs may be dropped
	// while one is pending, which is harmless since each reap drains every zombie.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	defer signal.Stop(sigs)
	// Children that exited before Notify took effect sent a SIGCHLD nobody saw.
	reap()
	if ready != nil {
		ready()
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case sig := <-sigs:
			if sig == syscall.SIGCHLD {
				reap()
				continue
			}
			return nil
		}
	}
}

// reap collects every exited child without blocking, so none is left a zombie.
func reap() {
	var status syscall.WaitStatus
	for {
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		// pid 0: children remain but none has exited; ECHILD: no children at all.
		if err != nil || pid <= 0 {
			return
		}
	}
}
