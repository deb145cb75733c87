package pause

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnv switches the test binary into a pause process; its value is the mode.
const helperEnv = "BERTH_PAUSE_HELPER"

// TestMain lets the tests run pause in a child process: Run reaps every child of its
// process, which inside the test binary would steal the exit status of other tests'
// subprocesses.
func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helperMain(mode))
	}
	os.Exit(m.Run())
}

// helperMain is the child: it makes children of its own if asked, prints "ready"
// once signals are caught, and exits with 0 when run returns nil.
func helperMain(mode string) int {
	ctx := context.Background()
	switch mode {
	case "cancel":
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
	case "zombies":
		if err := spawnZombies(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
	}
	if err := run(ctx, func() { fmt.Println("ready") }); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	return 0
}

// spawnZombies starts a child that exits at once (a zombie until reaped) and a shell
// that leaves an orphaned grandchild behind, which re-parents to the subreaper. It uses
// ForkExec, not os/exec, so nothing but pause waits for them.
func spawnZombies() error {
	attr := &syscall.ProcAttr{Files: []uintptr{0, 1, 2}}
	pid, err := syscall.ForkExec("/bin/sh", []string{"sh", "-c", "exit 0"}, attr)
	if err != nil {
		return err
	}
	fmt.Printf("pid %d\n", pid)
	// The grandchild sleeps briefly so it is orphaned before it exits.
	_, err = syscall.ForkExec("/bin/sh",
		[]string{"sh", "-c", "sleep 0.2 & echo pid $!"}, attr)
	return err
}

// startHelper runs the test binary as a pause process and returns it with its stdout.
func startHelper(t *testing.T, mode string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd, bufio.NewScanner(out)
}

// readUntilReady collects the pids the helper printed before it said "ready".
func readUntilReady(t *testing.T, sc *bufio.Scanner) []int {
	t.Helper()
	var pids []int
	for sc.Scan() {
		line := sc.Text()
		if line == "ready" {
			return pids
		}
		if s, ok := strings.CutPrefix(line, "pid "); ok {
			pid, err := strconv.Atoi(s)
			if err != nil {
				t.Fatalf("bad helper line %q", line)
			}
			pids = append(pids, pid)
		}
	}
	t.Fatalf("helper ended before ready: %v", sc.Err())
	return nil
}

// waitExit waits up to limit for cmd to end and returns its exit code.
func waitExit(t *testing.T, cmd *exec.Cmd, limit time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(limit):
		t.Fatalf("pause did not exit within %v", limit)
		return -1
	}
}

func TestRunStops(t *testing.T) {
	tests := []struct {
		name   string
		mode   string
		signal syscall.Signal // 0: none, the context ends it
	}{
		{name: "SIGTERM", mode: "signal", signal: syscall.SIGTERM},
		{name: "SIGINT", mode: "signal", signal: syscall.SIGINT},
		{name: "context done", mode: "cancel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, sc := startHelper(t, tt.mode)
			readUntilReady(t, sc)
			if tt.signal != 0 {
				if err := cmd.Process.Signal(tt.signal); err != nil {
					t.Fatal(err)
				}
			}
			if code := waitExit(t, cmd, 5*time.Second); code != 0 {
				t.Fatalf("exit code %d, want 0", code)
			}
		})
	}
}

func TestRunReapsZombies(t *testing.T) {
	if _, err := os.Stat("/proc/self"); err != nil {
		t.Skip("no /proc to observe zombies in")
	}
	cmd, sc := startHelper(t, "zombies")
	pids := readUntilReady(t, sc)
	// The orphan's pid comes from the shell and may print after "ready".
	for len(pids) < 2 && sc.Scan() {
		if s, ok := strings.CutPrefix(sc.Text(), "pid "); ok {
			pid, _ := strconv.Atoi(s)
			pids = append(pids, pid)
		}
	}
	if len(pids) != 2 {
		t.Fatalf("got pids %v, want a child and an orphan", pids)
	}
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range pids {
		// A zombie keeps its /proc entry until its parent waits for it.
		for procExists(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("pid %d not reaped: %s", pid, procState(pid))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, cmd, 5*time.Second); code != 0 {
		t.Fatalf("exit code %d, want 0", code)
	}
}

func procExists(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return err == nil
}

func procState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return err.Error()
	}
	return string(b)
}
