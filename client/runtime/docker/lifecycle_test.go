package docker

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/client/runtime"
)

// newPod makes a network, a pod UID and a sandbox: the base of most tests.
func newPod(t *testing.T, r *Runtime, name string) (uid, sandbox string) {
	t.Helper()
	netName, subnet := newNetwork(t, r)
	uid = newPodUID(t, r)
	sandbox = mustSandbox(t, r, runtime.SandboxConfig{PodUID: uid, Namespace: "ns", Name: name, IP: podIP(subnet, 20), Network: netName})
	return uid, sandbox
}

func appConfig(uid, pod, name string, cmd ...string) runtime.ContainerConfig {
	return runtime.ContainerConfig{PodUID: uid, Namespace: "ns", PodName: pod, Name: name, Image: testImage, Command: cmd}
}

// TestStopContainerGrace: a container that traps SIGTERM exits 0 within the
// grace period; one that ignores it is killed once the grace is over.
func TestStopContainerGrace(t *testing.T) {
	r := mustNewRuntime(t)
	uid, sb := newPod(t, r, "stop")
	tests := []struct {
		name     string
		cmd      []string
		wantCode int
		minTime  time.Duration
		wantLog  string
	}{
		{name: "traps SIGTERM", cmd: []string{"/berth", "trap"}, wantCode: 0, wantLog: "got SIGTERM"},
		{name: "ignores SIGTERM", cmd: []string{"/berth", "ignore"}, wantCode: 137, minTime: 900 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t)
			id := mustRunContainer(t, r, sb, appConfig(uid, "stop", strings.ReplaceAll(tc.name, " ", "-"), tc.cmd...))
			// Both programs print a line once their signal handling is set up.
			waitFor(t, "the process to be ready", 10*time.Second, func() error {
				if logsContain(r, id, "ready") == nil || logsContain(r, id, "ignoring") == nil {
					return nil
				}
				return errNotYet
			})
			start := time.Now()
			if err := r.StopContainer(ctx, id, time.Second); err != nil {
				t.Fatalf("StopContainer: %v", err)
			}
			took := time.Since(start)
			st, err := r.ContainerStatus(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if st.State != runtime.StateExited || st.ExitCode != tc.wantCode || took < tc.minTime {
				t.Errorf("after stop: state %s code %d reason %s in %v; want exited %d after ≥ %v",
					st.State, st.ExitCode, st.Reason, took, tc.wantCode, tc.minTime)
			}
			if err := logsContain(r, id, tc.wantLog); tc.wantLog != "" && err != nil {
				t.Errorf("logs lack %q: %v", tc.wantLog, err)
			}
			if err := r.StopContainer(ctx, id, time.Second); err != nil {
				t.Errorf("second stop: %v", err)
			}
		})
	}
}

// logsContain is nil once the container's output holds s.
func logsContain(r *Runtime, id, s string) error {
	var out bytes.Buffer
	if err := r.Logs(context.Background(), id, runtime.LogOptions{Tail: -1}, &out, &out); err != nil {
		return err
	}
	if !strings.Contains(out.String(), s) {
		return errNotYet
	}
	return nil
}

// TestLogs reads the tail, separates stderr and follows until the stop.
func TestLogs(t *testing.T) {
	r := mustNewRuntime(t)
	ctx := testCtx(t)
	uid, sb := newPod(t, r, "logs")
	id := mustRunContainer(t, r, sb, appConfig(uid, "logs", "lines", "/berth", "lines", "5"))
	waitFor(t, "five lines", 10*time.Second, func() error { return logsContain(r, id, "line 5") })

	tests := []struct {
		name       string
		opts       runtime.LogOptions
		wantStdout string
		wantStderr string
	}{
		{name: "all", opts: runtime.LogOptions{Tail: -1}, wantStdout: "line 1\nline 2\nline 3\nline 4\nline 5\n", wantStderr: "to stderr\n"},
		{name: "tail 2", opts: runtime.LogOptions{Tail: 2}, wantStdout: "line 4\nline 5\n", wantStderr: ""},
		{name: "tail 0", opts: runtime.LogOptions{Tail: 0}, wantStdout: "", wantStderr: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if err := r.Logs(ctx, id, tc.opts, &stdout, &stderr); err != nil {
				t.Fatal(err)
			}
			if stdout.String() != tc.wantStdout || stderr.String() != tc.wantStderr {
				t.Errorf("stdout %q stderr %q, want %q %q", stdout.String(), stderr.String(), tc.wantStdout, tc.wantStderr)
			}
		})
	}
	t.Run("timestamps", func(t *testing.T) {
		var out bytes.Buffer
		if err := r.Logs(ctx, id, runtime.LogOptions{Tail: 1, Timestamps: true}, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		if ts, _, _ := strings.Cut(out.String(), " "); parseTime(ts).IsZero() {
			t.Errorf("no timestamp in %q", out.String())
		}
	})
	t.Run("follow ends when the container stops", func(t *testing.T) {
		out := &syncBuffer{}
		done := make(chan error, 1)
		go func() { done <- r.Logs(ctx, id, runtime.LogOptions{Follow: true, Tail: 1}, out, io.Discard) }()
		waitFor(t, "the followed line", 10*time.Second, func() error {
			if !strings.Contains(out.String(), "line 5") {
				return errNotYet
			}
			return nil
		})
		if err := r.StopContainer(ctx, id, time.Second); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("follow: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("follow did not end after the container stopped")
		}
	})
	t.Run("missing container", func(t *testing.T) {
		if err := r.Logs(ctx, "berth-no-such-container", runtime.LogOptions{}, nil, nil); !errors.Is(err, runtime.ErrNotFound) {
			t.Errorf("Logs = %v, want ErrNotFound", err)
		}
	})
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestExec covers exit codes, stdin, a TTY, probe timeouts and a stopped target.
func TestExec(t *testing.T) {
	r := mustNewRuntime(t)
	ctx := testCtx(t)
	uid, sb := newPod(t, r, "exec")
	id := mustRunContainer(t, r, sb, appConfig(uid, "exec", "app", "/berth", "pause"))
	tests := []struct {
		name     string
		cmd      []string
		opts     runtime.ExecOptions
		wantCode int
		wantOut  string
		wantErr  error
	}{
		{name: "exit code", cmd: []string{"/berth", "exit", "3"}, wantCode: 3},
		{name: "stdin", cmd: []string{"/berth", "echo-stdin"}, opts: runtime.ExecOptions{Stdin: strings.NewReader("in\n")}, wantOut: "in\n"},
		{name: "tty", cmd: []string{"/berth", "hostname"}, opts: runtime.ExecOptions{TTY: true}, wantOut: "exec\r\n"},
		{name: "missing binary", cmd: []string{"/nope"}, wantCode: 126},
		{name: "empty command", cmd: nil, wantCode: -1, wantErr: runtime.ErrInvalidConfig},
		{name: "missing container", cmd: []string{"/berth"}, wantCode: -1, wantErr: runtime.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			target := id
			if tc.wantErr == runtime.ErrNotFound {
				target = "berth-no-such-container"
			}
			var out bytes.Buffer
			tc.opts.Stdout = &out
			code, err := r.Exec(ctx, target, tc.cmd, tc.opts)
			if !errors.Is(err, tc.wantErr) || code != tc.wantCode || (tc.wantOut != "" && out.String() != tc.wantOut) {
				t.Errorf("Exec = %d, %v, out %q; want %d, %v, %q", code, err, out.String(), tc.wantCode, tc.wantErr, tc.wantOut)
			}
		})
	}
	t.Run("probe output", func(t *testing.T) {
		code, out, err := r.ExecProbe(ctx, id, []string{"/berth", "cat", "/etc/hostname"}, 5*time.Second)
		if err != nil || code != 0 || out != "exec\n" {
			t.Errorf("ExecProbe = %d %q %v", code, out, err)
		}
	})
	t.Run("probe timeout", func(t *testing.T) {
		start := time.Now()
		_, _, err := r.ExecProbe(ctx, id, []string{"/berth", "sleep", "5s"}, 300*time.Millisecond)
		if !errors.Is(err, runtime.ErrTimeout) || time.Since(start) > 3*time.Second {
			t.Errorf("ExecProbe = %v after %v, want ErrTimeout soon", err, time.Since(start))
		}
	})
	t.Run("not running", func(t *testing.T) {
		if err := r.StopContainer(ctx, id, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Exec(ctx, id, []string{"/berth", "hostname"}, runtime.ExecOptions{}); !errors.Is(err, runtime.ErrNotRunning) {
			t.Errorf("Exec in a stopped container = %v, want ErrNotRunning", err)
		}
	})
}
