package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// TestBenchScheduling: 5,000 hollow nodes in one `berth client --runtime fake
// --count` process, 30,000 pods created in bulk by 256 writers on a 3-server
// loopback cluster. It reports pods/s from the first creation to the last committed
// binding, the binding rate while pods were pending, and one pod's scheduling latency
// (creation request → binding seen by a watcher) at p50 and p99.
func TestBenchScheduling(t *testing.T) {
	benchOnly(t)
	nodes, pods := 5000, 30000
	if v, err := strconv.Atoi(os.Getenv("BERTH_BENCH_NODES")); err == nil && v > 0 {
		nodes = v
	}
	if v, err := strconv.Atoi(os.Getenv("BERTH_BENCH_PODS")); err == nil && v > 0 {
		pods = v
	}
	// A /24 per node: 5,000 nodes need more than the default /16 holds. Hollow nodes
	// make no Docker networks, so this range touches nothing on the engine.
	c := newCluster(t, 3, append(benchFlags(), "--cluster-cidr", "10.128.0.0/9")...)
	startHollow(t, c, "h", nodes)
	cl := c.waitLeader(10*time.Second).client(t, api.WithRetry(30*time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	list, err := cl.List(ctx, mustResource("Pod"), "default", api.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := cl.Watch(ctx, mustResource("Pod"), "default", api.WatchOptions{ResourceVersion: list.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	bound := make(map[string]time.Time, pods)
	allBound := make(chan struct{})
	go func() {
		defer w.Close()
		for {
			ev, err := w.Next()
			if err != nil {
				return
			}
			p, ok := ev.Object.(*api.Pod)
			if !ok || p.Spec.NodeName == "" {
				continue
			}
			mu.Lock()
			if _, seen := bound[p.Name]; !seen {
				bound[p.Name] = time.Now()
				if len(bound) == pods {
					close(allBound)
				}
			}
			mu.Unlock()
		}
	}()

	cpu, _ := api.ParseQuantity("10m")
	mem, _ := api.ParseQuantity("16Mi")
	if f := os.Getenv("BERTH_BENCH_PROFILE"); f != "" {
		leader := c.waitLeader(10 * time.Second)
		go func() {
			time.Sleep(2 * time.Second) // into the bulk creation
			saveProfile(t, leader, f, 5)
		}()
	}
	cpuBefore := clusterCPU(t, c)
	created := make([]time.Time, pods)
	var next, errs atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range 256 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= pods {
					return
				}
				p := &api.Pod{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("sched-%d", i), Namespace: "default",
					Labels: map[string]string{"app": fmt.Sprintf("a%d", i%100)}}}
				p.Spec.Containers = []api.Container{{Name: "c", Image: "berth/demo:dev",
					Resources: api.ResourceRequirements{Requests: api.ResourceList{"cpu": cpu, "memory": mem}}}}
				created[i] = time.Now()
				if _, err := cl.Create(ctx, p); err != nil {
					errs.Add(1)
					t.Errorf("create %s: %v", p.Name, err)
					return
				}
			}
		})
	}
	wg.Wait()
	createdAll := time.Since(start)
	select {
	case <-allBound:
	case <-time.After(10 * time.Minute):
		mu.Lock()
		n := len(bound)
		mu.Unlock()
		t.Fatalf("%d of %d pods bound after 10 minutes", n, pods)
	}
	mu.Lock()
	defer mu.Unlock()
	var first, last time.Time
	lat := make([]time.Duration, 0, pods)
	for i := range pods {
		b := bound[fmt.Sprintf("sched-%d", i)]
		if first.IsZero() || b.Before(first) {
			first = b
		}
		if b.After(last) {
			last = b
		}
		lat = append(lat, b.Sub(created[i]))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	tag := fmt.Sprintf("%d_nodes_%d_pods", nodes, pods)
	cpuAfter := clusterCPU(t, c)
	for _, n := range c.nodes {
		t.Logf("%s CPU during the run: %v", n.name, cpuAfter[n.name]-cpuBefore[n.name])
	}
	report("sched_create_rate_"+tag, float64(pods)/createdAll.Seconds(), "pods/s")
	report("sched_throughput_"+tag, float64(pods)/last.Sub(start).Seconds(), "pods/s")
	report("sched_binding_rate_"+tag, float64(pods)/last.Sub(first).Seconds(), "pods/s")
	report("sched_latency_p50_"+tag, ms(lat[len(lat)/2]), "ms")
	report("sched_latency_p99_"+tag, ms(lat[len(lat)*99/100]), "ms")
}

// startHollow runs one `berth client --runtime fake --count n` process against c
// and waits until all n Nodes are Ready.
func startHollow(t *testing.T, c *cluster, prefix string, n int) *node {
	t.Helper()
	h := &node{name: "hollow-" + prefix, dir: filepath.Join(c.dir, "hollow-"+prefix), ip: nextIP(), httpPort: 6450}
	var servers []string
	for _, s := range c.nodes {
		servers = append(servers, s.addr())
	}
	h.argv = func() []string {
		return []string{"client", "--runtime", "fake", "--count", strconv.Itoa(n), "--name-prefix", prefix,
			"--data-dir", h.dir, "--bind", h.ip, "--client-port", "6450", "--servers", strings.Join(servers, ","), "--insecure-dev"}
	}
	h.start(t)
	t.Cleanup(func() { h.kill(t) })
	startedAt := time.Now()
	waitFor(t, 5*time.Minute, fmt.Sprintf("%d hollow nodes Ready", n), func() error {
		list, err := c.anyClient(t).List(context.Background(), mustResource("Node"), "", api.ListOptions{})
		if err != nil {
			return err
		}
		objs, err := list.Objects()
		if err != nil {
			return err
		}
		ready := 0
		for _, o := range objs {
			nd := o.(*api.Node)
			if !strings.HasPrefix(nd.Name, prefix+"-") {
				continue
			}
			for _, cond := range nd.Status.Conditions {
				if cond.Type == "Ready" && cond.Status == "True" {
					ready++
				}
			}
		}
		if ready < n {
			return fmt.Errorf("%d of %d hollow nodes Ready", ready, n)
		}
		return nil
	})
	report(fmt.Sprintf("hollow_register_%d_nodes", n), time.Since(startedAt).Seconds(), "s")
	return h
}
