package integration

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// The benchmarks behind `make bench`. They run only with BERTH_BENCH=1 and print
// "BENCH name value unit" lines that scripts/bench.sh turns into `name value unit`.

func benchOnly(t *testing.T) {
	if os.Getenv("BERTH_BENCH") != "1" {
		t.Skip("benchmark: set BERTH_BENCH=1 (make bench)")
	}
}

func report(name string, value float64, unit string) {
	fmt.Printf("BENCH %s %s %s\n", name, strconv.FormatFloat(value, 'f', -1, 64), unit)
}

// TestBenchWriteThroughput: 256-byte ConfigMaps written to a 3-server cluster by 1, 16
// and 256 concurrent writers.
func TestBenchWriteThroughput(t *testing.T) {
	benchOnly(t)
	c := newCluster(t, 3, benchFlags()...)
	leader := c.waitLeader(15 * time.Second)
	cl := leader.client(t)
	dur := 5 * time.Second
	if p := os.Getenv("BERTH_BENCH_PROFILE"); p != "" {
		go profileLeader(t, leader, p, dur)
	}
	for _, writers := range []int{1, 16, 256} {
		cpuBefore := clusterCPU(t, c)
		r := benchWrites(cl, writers, dur)
		cpuAfter := clusterCPU(t, c)
		if r.writes == 0 {
			t.Fatalf("%d writers: no write succeeded (%d errors)", writers, r.errs)
		}
		reportWrites(fmt.Sprintf("%d_writers", writers), r, dur)
		for _, n := range c.nodes {
			role := "follower"
			if n == leader {
				role = "leader"
			}
			report(fmt.Sprintf("server_cpu_per_write_%d_writers_%s_%s", writers, role, n.name),
				float64((cpuAfter[n.name]-cpuBefore[n.name]).Microseconds())/float64(max(r.writes, 1)), "us")
		}
		if avg, ok := metricAvg(leader, "berth_raft_apply_batch_size"); ok {
			report(fmt.Sprintf("writes_per_raft_entry_%d_writers", writers), avg, "writes")
		}
	}
}

// writeRun is what one write benchmark measured.
type writeRun struct {
	writes, errs int64
	p50, p99     time.Duration
}

func (r writeRun) perSecond(dur time.Duration) float64 { return float64(r.writes) / dur.Seconds() }

// benchWrites has writers goroutines create 256-byte ConfigMaps through cl for dur.
func benchWrites(cl *api.Client, writers int, dur time.Duration) writeRun {
	payload := strings.Repeat("x", 256)
	prefix := fmt.Sprintf("b%d-%d", writers, time.Now().UnixNano()%1e6)
	var writes, errs atomic.Int64
	lat := make([][]time.Duration, writers)
	deadline := time.Now().Add(dur)
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				cm := configMap("default", fmt.Sprintf("%s-%d-%d", prefix, w, i), map[string]string{"p": payload})
				start := time.Now()
				if _, err := cl.Create(context.Background(), cm); err != nil {
					errs.Add(1)
					continue
				}
				lat[w] = append(lat[w], time.Since(start))
				writes.Add(1)
			}
		}(w)
	}
	wg.Wait()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	r := writeRun{writes: writes.Load(), errs: errs.Load()}
	if len(all) > 0 {
		r.p50, r.p99 = all[len(all)/2], all[len(all)*99/100]
	}
	return r
}

// reportWrites prints a write run's throughput, p50 and p99 latency, and its errors
// if any, with names ending in _tag.
func reportWrites(tag string, r writeRun, dur time.Duration) {
	report("write_throughput_"+tag, r.perSecond(dur), "writes/s")
	report("write_latency_p50_"+tag, ms(r.p50), "ms")
	report("write_latency_p99_"+tag, ms(r.p99), "ms")
	if r.errs > 0 {
		report("write_errors_"+tag, float64(r.errs), "errors")
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// TestBenchFailover: kill -9 of the leader, ten times; time until the first accepted write.
func TestBenchFailover(t *testing.T) {
	benchOnly(t)
	c := newCluster(t, 3)
	acked := map[string]bool{}
	seq := 0
	var times []time.Duration
	for i := 0; i < 10; i++ {
		times = append(times, failover(t, c, &seq, acked))
		for _, n := range c.nodes {
			if !n.running() {
				n.start(t)
			}
		}
		c.waitLeader(15 * time.Second)
		waitPeers(t, c.nodes[0], 3)
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	report("failover_median", ms(times[len(times)/2]), "ms")
	report("failover_max", ms(times[len(times)-1]), "ms")
}

// TestBenchRSS: the leader's resident memory empty and with 10,000 ConfigMaps.
func TestBenchRSS(t *testing.T) {
	benchOnly(t)
	c := newCluster(t, 3)
	leader := c.waitLeader(15 * time.Second)
	base := rssOf(t, leader)
	report("server_rss_empty", float64(base)/(1<<20), "MiB")
	cl := leader.client(t)
	payload := strings.Repeat("x", 256)
	var wg sync.WaitGroup
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < 10000; i += 64 {
				if _, err := cl.Create(context.Background(), configMap("default", fmt.Sprintf("rss-%d", i), map[string]string{"p": payload})); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	report("server_rss_10000_objects", float64(rssOf(t, leader))/(1<<20), "MiB")
}

// rssOf reads VmRSS of the node's process from /proc.
func rssOf(t *testing.T, n *node) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pidOf(n)))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// benchFlags adds --enable-debug when a profile is asked for.
func benchFlags() []string {
	if os.Getenv("BERTH_BENCH_PROFILE") != "" {
		return []string{"--enable-debug"}
	}
	return nil
}

// profileLeader saves a CPU profile of the leader during the 256-writer run
// (BERTH_BENCH_PROFILE=file), to find where the time goes.
func profileLeader(t *testing.T, n *node, file string, dur time.Duration) {
	time.Sleep(2*dur + time.Second) // skip the 1- and 16-writer runs
	saveProfile(t, n, file, 3)
}

// saveProfile saves a CPU profile of n over secs seconds to file. It only logs a
// failure: a profile is a diagnostic, not a result.
func saveProfile(t *testing.T, n *node, file string, secs int) {
	resp, err := http.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", n.addr(), secs))
	if err != nil {
		t.Logf("profile: %v", err)
		return
	}
	defer resp.Body.Close()
	f, err := os.Create(file)
	if err != nil {
		t.Logf("profile: %v", err)
		return
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err != nil {
		t.Logf("profile: %v", err)
	}
}

// pidOf is the process id of n's running process.
func pidOf(n *node) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cmd.Process.Pid
}

// clusterCPU reads each server's user+system CPU time from /proc.
func clusterCPU(t *testing.T, c *cluster) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, n := range c.nodes {
		out[n.name] = procCPU(t, pidOf(n))
	}
	return out
}

// procCPU is a process's user+system CPU time, from /proc.
func procCPU(t *testing.T, pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command name (which is in parentheses): utime is the 14th
	// field of the line, stime the 15th, in clock ticks (100 per second on Linux).
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// metricAvg scrapes a histogram's cumulative sum/count from a server's /metrics.
func metricAvg(n *node, name string) (float64, bool) {
	resp, err := http.Get(n.addr() + "/metrics")
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var sum, count float64
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			switch f[0] {
			case name + "_sum":
				sum, _ = strconv.ParseFloat(f[1], 64)
			case name + "_count":
				count, _ = strconv.ParseFloat(f[1], 64)
			}
		}
	}
	return sum / count, count > 0
}
