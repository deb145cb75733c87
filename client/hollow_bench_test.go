package client

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/server"
	"github.com/berth-dev/berth/server/servertest"
)

// Environment of the scale test.
const (
	envBench        = "BERTH_BENCH"         // "1" runs TestHollowScale
	envHollowNodes  = "BERTH_HOLLOW_NODES"  // hollow nodes (default 5000)
	envHollowPods   = "BERTH_HOLLOW_PODS"   // pods bound to them (default 30000)
	envHollowHelper = "BERTH_HOLLOW_HELPER" // set in the helper process: the API URL
)

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// TestHollowScale registers BERTH_HOLLOW_NODES hollow nodes against a test
// server, binds BERTH_HOLLOW_PODS pods to them and waits until all run, then
// prints the figures as `name value unit` lines. The hollow nodes run in a
// helper process (this test binary again) so that its RSS is theirs alone.
// Run it without -race for real figures:
//
//	BERTH_BENCH=1 go test -run 'TestHollowScale$' -v ./client/
func TestHollowScale(t *testing.T) {
	if os.Getenv(envBench) != "1" {
		t.Skip("set BERTH_BENCH=1 to measure 5,000 hollow nodes")
	}
	nodes, pods := envInt(t, envHollowNodes, 5000), envInt(t, envHollowPods, 30000)
	ts := servertest.Start(t, func(c *server.Config) { c.ClusterCIDR = "10.128.0.0/9" })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()

	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHollowScaleHelper$", "-test.v")
	cmd.Env = append(os.Environ(), envHollowHelper+"="+ts.URL, envHollowNodes+"="+strconv.Itoa(nodes))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	lines := bufio.NewScanner(out)
	registered := false
	for !registered && lines.Scan() {
		registered = strings.HasPrefix(lines.Text(), "hollow-registered")
	}
	if !registered {
		t.Fatalf("the helper ended before registering: %v", lines.Err())
	}
	go func() { // keep draining the helper's output
		for lines.Scan() {
		}
	}()
	regTime := time.Since(start)
	pid := cmd.Process.Pid
	rssNodes := procStatus(t, pid, "VmRSS")

	start = time.Now()
	createBoundPods(t, ctx, ts.Client, nodes, pods)
	createTime := time.Since(start)
	servertest.WaitFor(t, 20*time.Minute, "every pod to run", func() error {
		l, err := ts.Client.List(ctx, podRes, "default", api.ListOptions{FieldSelector: "status.phase!=Running"})
		if err != nil {
			return err
		}
		if len(l.Items) > 0 {
			time.Sleep(time.Second) // a list of thousands costs; poll gently
			return fmt.Errorf("%d pods not running yet", len(l.Items))
		}
		return nil
	})
	runTime := time.Since(start)
	rssPods, peak := procStatus(t, pid, "VmRSS"), procStatus(t, pid, "VmHWM")
	busyCPU := procCPU(t, pid)
	// Steady state: only heartbeats. A fixed window is the measurement itself.
	const idle = 30 * time.Second
	time.Sleep(idle)
	idleCPU := (procCPU(t, pid) - busyCPU) / idle.Seconds()
	hbAge := oldestHeartbeat(t, ctx, ts.Client)

	for _, f := range []struct {
		name  string
		value float64
		unit  string
	}{
		{"hollow_nodes", float64(nodes), "nodes"},
		{"hollow_register_seconds", regTime.Seconds(), "s"},
		{"hollow_rss_nodes_bytes", float64(rssNodes), "bytes"},
		{"hollow_pods", float64(pods), "pods"},
		{"hollow_pods_create_seconds", createTime.Seconds(), "s"},
		{"hollow_pods_running_seconds", runTime.Seconds(), "s"},
		{"hollow_rss_pods_bytes", float64(rssPods), "bytes"},
		{"hollow_rss_peak_bytes", float64(peak), "bytes"},
		{"hollow_cpu_until_running_seconds", busyCPU, "s"},
		{"hollow_idle_cpu_cores", idleCPU, "cores"},
		{"hollow_oldest_heartbeat_seconds", hbAge.Seconds(), "s"},
	} {
		fmt.Printf("%s %.3f %s\n", f.name, f.value, f.unit)
	}
}

// createBoundPods creates pods bound round-robin to the hollow nodes, 32 at once.
func createBoundPods(t *testing.T, ctx context.Context, c *api.Client, nodes, pods int) {
	t.Helper()
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= pods || failed.Load() != nil {
					return
				}
				p := newPod("p"+strconv.Itoa(i), "hollow-"+strconv.Itoa(i%nodes), "app")
				if _, err := c.Create(ctx, p); err != nil {
					failed.Store(fmt.Errorf("create pod %d: %w", i, err))
					return
				}
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatal(err)
	}
}

// procCPU is the user+system CPU time of process pid, in seconds.
func procCPU(t *testing.T, pid int) float64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command (which may hold spaces) start after the last ')'.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	utime, err1 := strconv.ParseFloat(f[11], 64)
	stime, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("/proc/%d/stat: %q", pid, b)
	}
	return (utime + stime) / 100 // USER_HZ is 100 on Linux
}

// oldestHeartbeat is the age of the stalest Ready heartbeat of the hollow nodes.
func oldestHeartbeat(t *testing.T, ctx context.Context, c *api.Client) time.Duration {
	t.Helper()
	l, err := c.List(ctx, nodeRes, "", api.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := l.Objects()
	if err != nil {
		t.Fatal(err)
	}
	var oldest time.Duration
	for _, o := range objs {
		if r := readyCondition(o.(*api.Node)); r != nil && r.LastHeartbeatTime != nil {
			oldest = max(oldest, time.Since(r.LastHeartbeatTime.Time))
		}
	}
	return oldest
}

// procStatus reads a size field (kB) of /proc/PID/status, in bytes.
func procStatus(t *testing.T, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("%s: %q", field, line)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// TestHollowScaleHelper is the helper process of TestHollowScale: it runs
// the hollow nodes until SIGTERM.
func TestHollowScaleHelper(t *testing.T) {
	url := os.Getenv(envHollowHelper)
	if url == "" {
		t.Skip("the helper process of TestHollowScale")
	}
	cfg := DefaultConfig()
	cfg.Runtime, cfg.Count, cfg.NamePrefix = RuntimeFake, envInt(t, envHollowNodes, 5000), "hollow"
	cfg.Servers, cfg.ClientPort, cfg.Logger = []string{url}, 0, discardLogger()
	h, err := NewHollow(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- h.Run(ctx) }()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !h.Ready() {
		select {
		case err := <-done:
			t.Fatalf("Run ended before registering: %v", err)
		case <-tick.C:
		}
	}
	fmt.Printf("hollow-registered %d %.3f\n", h.Nodes(), time.Since(start).Seconds())
	if err := <-done; err != nil {
		t.Error(err)
	}
}
