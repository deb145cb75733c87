package fake

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/berth-dev/berth/client/runtime"
)

// Logs implements runtime.Runtime with the container's canned output (all of
// it on stdout). Following waits for the container to stop.
func (r *Runtime) Logs(ctx context.Context, id string, opts runtime.LogOptions, stdout, stderr io.Writer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.mu.Lock()
	c, err := r.lookup(id)
	if err != nil {
		r.mu.Unlock()
		return err
	}
	text, started, done, running := c.logs, c.status.StartedAt, c.done, c.status.State == runtime.StateRunning
	r.mu.Unlock()

	lines := strings.SplitAfter(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if opts.Tail >= 0 && opts.Tail < len(lines) {
		lines = lines[len(lines)-opts.Tail:]
	}
	if stdout == nil {
		stdout = io.Discard
	}
	for _, l := range lines {
		if opts.Timestamps {
			l = started.UTC().Format(time.RFC3339Nano) + " " + l
		}
		if _, err := io.WriteString(stdout, l); err != nil {
			return fmt.Errorf("runtime/fake: logs of %s: %w", id, err)
		}
	}
	if !opts.Follow || !running {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ExecResult is what Exec and ExecProbe answer for a container (SetExec).
type ExecResult struct {
	Code   int
	Output string // written to stdout
	// Hang makes the command never finish: Exec waits for ctx and
	// ExecProbe for its timeout, as with a stuck probe.
	Hang bool
}

// Exec implements runtime.Runtime with the container's canned result.
// Stdin is not read.
func (r *Runtime) Exec(ctx context.Context, id string, cmd []string, opts runtime.ExecOptions) (int, error) {
	res, err := r.execResult(ctx, id, cmd)
	if err != nil {
		return -1, err
	}
	if res.Hang {
		<-ctx.Done()
		return -1, ctx.Err()
	}
	if opts.Stdout != nil {
		if _, err := io.WriteString(opts.Stdout, res.Output); err != nil {
			return -1, fmt.Errorf("runtime/fake: exec in %s: %w", id, err)
		}
	}
	return res.Code, nil
}

// ExecProbe implements runtime.Runtime.
func (r *Runtime) ExecProbe(ctx context.Context, id string, cmd []string, timeout time.Duration) (int, string, error) {
	res, err := r.execResult(ctx, id, cmd)
	if err != nil {
		return -1, "", err
	}
	if res.Hang {
		t := time.NewTimer(timeout)
		defer t.Stop()
		select {
		case <-t.C:
			return -1, "", fmt.Errorf("%w: exec probe %v in %s after %v", runtime.ErrTimeout, cmd, id, timeout)
		case <-ctx.Done():
			return -1, "", ctx.Err()
		}
	}
	out := res.Output
	if len(out) > runtime.MaxProbeOutput {
		out = out[:runtime.MaxProbeOutput]
	}
	return res.Code, out, nil
}

func (r *Runtime) execResult(ctx context.Context, id string, cmd []string) (ExecResult, error) {
	if err := ctx.Err(); err != nil {
		return ExecResult{}, err
	}
	if len(cmd) == 0 {
		return ExecResult{}, fmt.Errorf("%w: empty exec command", runtime.ErrInvalidConfig)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.lookup(id)
	if err != nil {
		return ExecResult{}, err
	}
	if c.status.State != runtime.StateRunning {
		return ExecResult{}, fmt.Errorf("%w: %s", runtime.ErrNotRunning, id)
	}
	return c.exec, nil
}
