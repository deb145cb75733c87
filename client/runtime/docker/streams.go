package docker

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/berth-dev/berth/client/runtime"
)

// Logs implements runtime.Runtime.
func (r *Runtime) Logs(ctx context.Context, id string, opts runtime.LogOptions, stdout, stderr io.Writer) error {
	res, err := r.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return translate(err, "inspect container "+id)
	}
	tty := res.Container.Config != nil && res.Container.Config.Tty
	lo := client.ContainerLogsOptions{
		ShowStdout: true,
		ShowStderr: true,
		Follow:     opts.Follow,
		Timestamps: opts.Timestamps,
		Tail:       "all",
	}
	if opts.Tail >= 0 {
		lo.Tail = strconv.Itoa(opts.Tail)
	}
	if !opts.Since.IsZero() {
		lo.Since = formatSince(opts.Since.UnixNano())
	}
	rc, err := r.cli.ContainerLogs(ctx, id, lo)
	if err != nil {
		return translate(err, "logs of "+id)
	}
	defer rc.Close()
	err = demux(rc, tty, orDiscard(stdout), orDiscard(stderr))
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("runtime/docker: logs of %s: %w", id, err)
	}
	return nil
}

// demux splits the engine's multiplexed stream; a TTY has only one stream.
func demux(rd io.Reader, tty bool, stdout, stderr io.Writer) error {
	if tty {
		_, err := io.Copy(stdout, rd)
		return err
	}
	_, err := stdcopy.StdCopy(stdout, stderr, rd)
	return err
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// Exec implements runtime.Runtime.
func (r *Runtime) Exec(ctx context.Context, id string, cmd []string, opts runtime.ExecOptions) (int, error) {
	if len(cmd) == 0 {
		return -1, fmt.Errorf("%w: empty exec command", runtime.ErrInvalidConfig)
	}
	created, err := r.cli.ExecCreate(ctx, id, client.ExecCreateOptions{
		Cmd:          cmd,
		TTY:          opts.TTY,
		AttachStdin:  opts.Stdin != nil,
		AttachStdout: true,
		AttachStderr: true,
	})
	if err != nil {
		if isNotRunning(err) {
			return -1, fmt.Errorf("%w: exec in %s: %w", runtime.ErrNotRunning, id, err)
		}
		return -1, translate(err, "exec in "+id)
	}
	att, err := r.cli.ExecAttach(ctx, created.ID, client.ExecAttachOptions{TTY: opts.TTY})
	if err != nil {
		return -1, translate(err, "attach exec in "+id)
	}
	defer att.Close()
	// The hijacked connection ignores ctx: close it to unblock the copy.
	stop := context.AfterFunc(ctx, att.Close)
	defer stop()
	if opts.Stdin != nil {
		go func() {
			_, _ = io.Copy(att.Conn, opts.Stdin)
			_ = att.CloseWrite() // EOF for the command's stdin
		}()
	}
	copyErr := demux(att.Reader, opts.TTY, orDiscard(opts.Stdout), orDiscard(opts.Stderr))
	if ctx.Err() != nil {
		return -1, ctx.Err()
	}
	if copyErr != nil {
		return -1, fmt.Errorf("runtime/docker: exec in %s: %w", id, copyErr)
	}
	return r.execExitCode(ctx, created.ID)
}

// execExitCode waits for the engine to record the exit: the output stream
// can end a moment before the exec is marked as finished.
func (r *Runtime) execExitCode(ctx context.Context, execID string) (int, error) {
	delay := 5 * time.Millisecond
	for {
		res, err := r.cli.ExecInspect(ctx, execID, client.ExecInspectOptions{})
		if err != nil {
			return -1, translate(err, "inspect exec "+execID)
		}
		if !res.Running {
			return res.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return -1, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 200*time.Millisecond)
	}
}

// ExecProbe implements runtime.Runtime.
func (r *Runtime) ExecProbe(ctx context.Context, id string, cmd []string, timeout time.Duration) (int, string, error) {
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out := &limitedBuffer{max: runtime.MaxProbeOutput}
	code, err := r.Exec(pctx, id, cmd, runtime.ExecOptions{Stdout: out, Stderr: out})
	if err != nil && pctx.Err() != nil && ctx.Err() == nil {
		return -1, out.String(), fmt.Errorf("%w: exec probe %v in %s after %v", runtime.ErrTimeout, cmd, id, timeout)
	}
	return code, out.String(), err
}

// limitedBuffer keeps the first max bytes and swallows the rest, so the
// command never blocks on a full pipe. Written from one goroutine only.
type limitedBuffer struct {
	buf []byte
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string { return string(b.buf) }
