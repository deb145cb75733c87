package integration

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// The node agent's benchmarks (make bench): pod start latency and the agent's memory.

// benchPods is how many pods the agent benchmarks run on one Docker agent.
const benchPods = 50

// benchPod is a small demo pod bound to node.
func benchPod(ns, name, node string) *api.Pod {
	grace := int64(2)
	p := &api.Pod{Spec: api.PodSpec{
		NodeName:                      node,
		TerminationGracePeriodSeconds: &grace,
		Containers: []api.Container{{
			Name: "demo", Image: demoImage, ImagePullPolicy: api.PullNever, Args: []string{"demo"},
		}},
	}}
	p.APIVersion, p.Kind, p.Name, p.Namespace = "v1", "Pod", name, ns
	return p
}

// watchRunning follows the pods of ns and returns, per pod name, when it was
// first seen in phase Running; the channel closes once want pods ran or ctx ends.
func watchRunning(t *testing.T, c *cluster, ctx context.Context, ns string, want int) (<-chan struct{}, func() map[string]time.Time) {
	t.Helper()
	w, err := c.nodes[0].client(t).Watch(ctx, mustResource("Pod"), ns, api.WatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	at := map[string]time.Time{}
	done := make(chan struct{})
	go func() {
		defer w.Close()
		defer close(done)
		for {
			ev, err := w.Next()
			if err != nil {
				return
			}
			p, ok := ev.Object.(*api.Pod)
			if !ok || p.Status.Phase != api.PodRunning {
				continue
			}
			now := time.Now()
			mu.Lock()
			if _, seen := at[p.Name]; !seen {
				at[p.Name] = now
			}
			n := len(at)
			mu.Unlock()
			if n >= want {
				return
			}
		}
	}()
	return done, func() map[string]time.Time {
		mu.Lock()
		defer mu.Unlock()
		out := make(map[string]time.Time, len(at))
		for k, v := range at {
			out[k] = v
		}
		return out
	}
}

// createPods creates benchPods pods at once through the Go client and returns when
// each create returned.
func createPods(t *testing.T, c *cluster, ns, node string) map[string]time.Time {
	t.Helper()
	cl := c.nodes[0].client(t, api.WithRetry(10*time.Second))
	var mu sync.Mutex
	created := map[string]time.Time{}
	var wg sync.WaitGroup
	for i := range benchPods {
		wg.Go(func() {
			name := fmt.Sprintf("p%02d", i)
			if _, err := cl.Create(context.Background(), benchPod(ns, name, node)); err != nil {
				t.Error(err)
				return
			}
			now := time.Now()
			mu.Lock()
			created[name] = now
			mu.Unlock()
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return created
}

// TestBenchPodStart: 50 pods created together on one Docker agent (image present);
// per pod the time from its create's answer to phase Running.
func TestBenchPodStart(t *testing.T) {
	benchOnly(t)
	buildDemoImage(t)
	c := newCluster(t, 1)
	a := c.startAgent(t, "bench-start", "docker")
	ns := testNamespace(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	done, runningAt := watchRunning(t, c, ctx, ns, benchPods)
	start := time.Now()
	created := createPods(t, c, ns, a.name)
	select {
	case <-done:
	case <-ctx.Done():
	}
	at := runningAt()
	if len(at) != benchPods {
		t.Fatalf("%d of %d pods reached Running", len(at), benchPods)
	}
	var lat []time.Duration
	var last time.Time
	for name, t0 := range created {
		lat = append(lat, at[name].Sub(t0))
		if at[name].After(last) {
			last = at[name]
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	report(fmt.Sprintf("pod_start_p50_%d_pods", benchPods), ms(lat[len(lat)/2]), "ms")
	report(fmt.Sprintf("pod_start_p99_%d_pods", benchPods), ms(lat[len(lat)*99/100]), "ms")
	report(fmt.Sprintf("pod_start_all_%d_pods", benchPods), ms(last.Sub(start)), "ms")
}

// TestBenchAgentRSS: the agent's resident memory once registered, and with 50 pods
// running.
func TestBenchAgentRSS(t *testing.T) {
	benchOnly(t)
	buildDemoImage(t)
	c := newCluster(t, 1)
	a := c.startAgent(t, "bench-rss", "docker")
	ns := testNamespace(t, c)
	report("agent_rss_idle", float64(rssOf(t, &a.node))/(1<<20), "MiB")
	createPods(t, c, ns, a.name)
	waitFor(t, 3*time.Minute, fmt.Sprintf("%d pods Running", benchPods), func() error {
		return podsInPhase(t, c, ns, benchPods, api.PodRunning)
	})
	report(fmt.Sprintf("agent_rss_%d_pods", benchPods), float64(rssOf(t, &a.node))/(1<<20), "MiB")
}
