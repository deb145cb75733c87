package client

import (
	"context"
	"fmt"
	"net/netip"
	goruntime "runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/runtime/fake"
)

// testHollow is a running Hollow.
type testHollow struct {
	h    *Hollow
	stop func() // cancels Run and waits for it
}

// startHollow runs count hollow nodes named prefix-i against base and waits
// until all are registered.
func startHollow(t *testing.T, base, prefix string, count int, labels map[string]string) *testHollow {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Runtime, cfg.Count, cfg.NamePrefix, cfg.Name = RuntimeFake, count, prefix, "unused"
	cfg.Servers, cfg.ClientPort, cfg.StatusInterval, cfg.Logger = []string{base}, 0, time.Second, discardLogger()
	cfg.NodeLabels = labels
	h, err := NewHollow(cfg)
	if err != nil {
		t.Fatalf("NewHollow: %v", err)
	}
	h.backoffInitial, h.backoffMax = 200*time.Millisecond, time.Second
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(15 * time.Second):
				t.Errorf("hollow nodes did not stop")
			}
		})
	}
	t.Cleanup(stop)
	waitFor(t, 30*time.Second, "the hollow nodes to register", func() error {
		if !h.Ready() {
			return fmt.Errorf("%d of %d registered", h.Registered(), h.Nodes())
		}
		return nil
	})
	return &testHollow{h: h, stop: stop}
}

// podReady reports a Running pod whose Ready condition is True.
func podReady(p *api.Pod) error {
	if err := phaseIs(api.PodRunning)(p); err != nil {
		return err
	}
	if !conditionTrue(p.Status.Conditions, api.PodReady) {
		return fmt.Errorf("not Ready: %+v", p.Status.Conditions)
	}
	return nil
}

func TestHollowNodesRunPods(t *testing.T) {
	base, c := mustStartServer(t)
	conns := countGoroutines("persistConn).readLoop")
	const nodes, pods = 50, 100
	th := startHollow(t, base, "hollow", nodes, map[string]string{"tier": "fake"})
	ctx := context.Background()

	// Every node is there, Ready, labelled, with its own pod CIDR.
	cidrs := map[string]netip.Prefix{}
	l, err := c.List(ctx, nodeRes, "", api.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	objs, _ := l.Objects()
	for _, o := range objs {
		n := o.(*api.Node)
		if !strings.HasPrefix(n.Name, "hollow-") {
			continue
		}
		cidr, err := netip.ParsePrefix(n.Spec.PodCIDR)
		if err != nil {
			t.Errorf("node %s podCIDR %q", n.Name, n.Spec.PodCIDR)
		}
		for name, other := range cidrs {
			if other.Overlaps(cidr) {
				t.Errorf("nodes %s and %s share pod CIDR %s", name, n.Name, cidr)
			}
		}
		cidrs[n.Name] = cidr
		if n.Labels["kubernetes.io/hostname"] != n.Name || n.Labels["tier"] != "fake" {
			t.Errorf("node %s labels %v", n.Name, n.Labels)
		}
		if r := readyCondition(n); r == nil || r.Status != api.ConditionTrue {
			t.Errorf("node %s Ready condition %+v", n.Name, r)
		}
	}
	if len(cidrs) != nodes {
		t.Fatalf("%d hollow nodes in the API, want %d", len(cidrs), nodes)
	}

	// Pods bound at creation, and a few bound later by an update of
	// spec.nodeName (pods of another scheduler stay unbound until then).
	for i := range pods {
		p := newPod(fmt.Sprintf("p%d", i), fmt.Sprintf("hollow-%d", i%nodes), "app", "sidecar")
		if i%10 == 0 {
			p.Spec.NodeName, p.Spec.SchedulerName = "", "hollow-test"
		}
		mustCreate(t, c, p)
	}
	for i := 0; i < pods; i += 10 {
		waitFor(t, 10*time.Second, "bind by update", func() error {
			p, err := getPod(c, fmt.Sprintf("p%d", i))
			if err != nil {
				return err
			}
			p.Spec.NodeName = fmt.Sprintf("hollow-%d", i%nodes)
			_, err = c.Update(ctx, p)
			return err
		})
	}
	ips := map[string]string{}
	for i := range pods {
		name := fmt.Sprintf("p%d", i)
		p := waitPod(t, c, name, "running and ready", podReady)
		ip, err := netip.ParseAddr(p.Status.PodIP)
		if cidr := cidrs[p.Spec.NodeName]; err != nil || !cidr.Contains(ip) || ip == cidr.Addr().Next() {
			t.Errorf("%s on %s: podIP %q not a pod address of %s", name, p.Spec.NodeName, p.Status.PodIP, cidr)
		}
		if other, dup := ips[p.Status.PodIP]; dup {
			t.Errorf("%s and %s share IP %s", name, other, p.Status.PodIP)
		}
		ips[p.Status.PodIP] = name
		for _, cs := range p.Status.ContainerStatuses {
			if cs.State.Running == nil || !cs.Ready {
				t.Errorf("%s container %s: %+v", name, cs.Name, cs)
			}
		}
	}

	// Heartbeats refresh every node's Ready condition.
	first := map[string]time.Time{}
	for _, o := range objs {
		if n := o.(*api.Node); strings.HasPrefix(n.Name, "hollow-") {
			first[n.Name] = readyCondition(n).LastHeartbeatTime.Time
		}
	}
	waitFor(t, 15*time.Second, "every node to heartbeat", func() error {
		l, err := c.List(ctx, nodeRes, "", api.ListOptions{})
		if err != nil {
			return err
		}
		objs, _ := l.Objects()
		for _, o := range objs {
			n := o.(*api.Node)
			if t0, ok := first[n.Name]; ok && !readyCondition(n).LastHeartbeatTime.After(t0) {
				return fmt.Errorf("node %s has not heartbeated since %v", n.Name, t0)
			}
		}
		return nil
	})

	// Deleting pods (gracefully) removes them: the node confirms.
	for i := range pods / 2 {
		if _, err := c.Delete(ctx, podRes, "default", fmt.Sprintf("p%d", i), api.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range pods / 2 {
		name := fmt.Sprintf("p%d", i)
		waitFor(t, 15*time.Second, name+" to go", func() error {
			if _, err := getPod(c, name); api.ReasonOf(err) != api.ReasonNotFound {
				return fmt.Errorf("still there (err %v)", err)
			}
			return nil
		})
	}
	waitFor(t, 10*time.Second, "the runtimes to forget the deleted pods", func() error {
		return hollowContainers(th.h, pods/2)
	})

	// Stopping leaves nothing behind: no containers, no goroutines.
	th.stop()
	if err := hollowContainers(th.h, 0); err != nil {
		t.Error(err)
	}
	waitFor(t, 10*time.Second, "the hollow goroutines to end", func() error {
		if left := hollowGoroutines(); len(left) > 0 {
			return fmt.Errorf("%d hollow goroutines left:\n%s", len(left), strings.Join(left, "\n\n"))
		}
		// The hollow nodes held dozens; the test's own client may have opened one more.
		if n := countGoroutines("persistConn).readLoop"); n > conns+1 {
			return fmt.Errorf("%d API connections open, %d before the hollow nodes started", n, conns)
		}
		return nil
	})
}

// hollowGoroutines returns the stacks of the goroutines running Hollow code.
func hollowGoroutines() []string {
	var out []string
	for _, g := range goroutineStacks() {
		if strings.Contains(g, "client.(*Hollow)") || strings.Contains(g, "client.(*workQueue)") {
			out = append(out, g)
		}
	}
	return out
}

// countGoroutines counts the goroutines whose stack mentions fn.
func countGoroutines(fn string) int {
	n := 0
	for _, g := range goroutineStacks() {
		if strings.Contains(g, fn) {
			n++
		}
	}
	return n
}

func goroutineStacks() []string {
	buf := make([]byte, 4<<20)
	buf = buf[:goruntime.Stack(buf, true)]
	return strings.Split(string(buf), "\n\n")
}

// hollowContainers checks that the hollow runtimes hold exactly want pods
// (sandboxes), each with its containers.
func hollowContainers(h *Hollow, want int) error {
	sandboxes := 0
	for _, n := range h.nodes {
		all, err := n.rt.ListContainers(context.Background())
		if err != nil {
			return err
		}
		for _, c := range all {
			if c.Sandbox {
				sandboxes++
			}
		}
	}
	if sandboxes != want {
		return fmt.Errorf("%d pod sandboxes in the runtimes, want %d", sandboxes, want)
	}
	return nil
}

func TestHollowScriptedPods(t *testing.T) {
	base, c := mustStartServer(t)
	startHollow(t, base, "job", 2, nil)
	script := func(p *api.Pod, policy, code, secs string) *api.Pod {
		p.Spec.RestartPolicy = policy
		p.Annotations = map[string]string{fake.AnnotationExitCode: code, fake.AnnotationRunSeconds: secs}
		return p
	}
	tests := []struct {
		name  string
		pod   *api.Pod
		check func(*api.Pod) error
	}{
		{name: "job succeeds", pod: script(newPod("ok", "job-0", "work"), api.RestartPolicyNever, "0", "0.2"),
			check: phaseIs(api.PodSucceeded)},
		{name: "job fails", pod: script(newPod("bad", "job-1", "work"), api.RestartPolicyNever, "2", "0.1"),
			check: func(p *api.Pod) error {
				if err := phaseIs(api.PodFailed)(p); err != nil {
					return err
				}
				if term := statusOf(p, "work").State.Terminated; term == nil || term.ExitCode != 2 {
					return fmt.Errorf("terminated %+v, want exit code 2", term)
				}
				return nil
			}},
		{name: "on failure restarts", pod: script(newPod("retry", "job-0", "work"), api.RestartPolicyOnFailure, "1", "0.1"),
			check: func(p *api.Pod) error {
				cs := statusOf(p, "work")
				if cs.RestartCount < 2 || cs.LastTerminationState.Terminated == nil || cs.LastTerminationState.Terminated.ExitCode != 1 {
					return fmt.Errorf("restartCount %d lastState %+v", cs.RestartCount, cs.LastTerminationState)
				}
				return phaseIs(api.PodRunning)(p)
			}},
		{name: "init containers complete", pod: func() *api.Pod {
			p := newPod("init", "job-1", "app")
			p.Spec.InitContainers = []api.Container{{Name: "setup", Image: "berth/demo:dev"}}
			return p
		}(), check: func(p *api.Pod) error {
			if err := podReady(p); err != nil {
				return err
			}
			if len(p.Status.InitContainerStatuses) != 1 || p.Status.InitContainerStatuses[0].State.Terminated == nil {
				return fmt.Errorf("init statuses %+v", p.Status.InitContainerStatuses)
			}
			return nil
		}},
		{name: "readiness scripted to fail", pod: func() *api.Pod {
			p := newPod("unready", "job-0", "app")
			p.Annotations = map[string]string{fake.AnnotationReady: "false"}
			p.Spec.Containers[0].ReadinessProbe = &api.Probe{ProbeHandler: api.ProbeHandler{TCPSocket: &api.TCPSocketAction{Port: api.FromInt(80)}}}
			return p
		}(), check: func(p *api.Pod) error {
			if err := phaseIs(api.PodRunning)(p); err != nil {
				return err
			}
			if conditionTrue(p.Status.Conditions, api.PodReady) || statusOf(p, "app").Ready {
				return fmt.Errorf("ready, want not ready: %+v", p.Status.Conditions)
			}
			return nil
		}},
		{name: "readiness probe passes", pod: func() *api.Pod {
			p := newPod("probed", "job-1", "app")
			p.Spec.Containers[0].ReadinessProbe = &api.Probe{ProbeHandler: api.ProbeHandler{TCPSocket: &api.TCPSocketAction{Port: api.FromInt(80)}}}
			return p
		}(), check: podReady},
		{name: "malformed script is shown", pod: script(newPod("typo", "job-0", "work"), api.RestartPolicyNever, "x", "1"),
			check: func(p *api.Pod) error {
				w := statusOf(p, "work").State.Waiting
				if w == nil || w.Reason != "CreateContainerError" || !strings.Contains(w.Message, fake.AnnotationExitCode) {
					return fmt.Errorf("waiting %+v, want CreateContainerError naming the annotation", w)
				}
				return nil
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mustCreate(t, c, tc.pod)
			waitPod(t, c, tc.pod.Name, "as scripted", tc.check)
		})
	}
}

func TestHollowLogs(t *testing.T) {
	base, c := mustStartServer(t)
	th := startHollow(t, base, "logs", 2, nil)
	mustCreate(t, c, newPod("talker", "logs-1", "app"))
	waitPod(t, c, "talker", "running", podReady)
	var out strings.Builder
	b := hollowBackend{th.h}
	if err := b.Logs(context.Background(), "default", "talker", "app", api.LogOptions{TailLines: -1}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "fake container output") {
		t.Errorf("logs %q", out.String())
	}
	if err := b.Logs(context.Background(), "default", "nosuch", "", api.LogOptions{}, &out); err == nil {
		t.Error("logs of an unknown pod: no error")
	}
}

func TestHeartbeatPeriod(t *testing.T) {
	tests := []struct {
		name     string
		interval time.Duration
		nodes    int
		qps      float64
		want     time.Duration
	}{
		{name: "spread over the interval", interval: 10 * time.Second, nodes: 100, qps: 200, want: 100 * time.Millisecond},
		{name: "capped by qps", interval: 10 * time.Second, nodes: 5000, qps: 200, want: 5 * time.Millisecond},
		{name: "no cap", interval: 10 * time.Second, nodes: 5000, qps: 0, want: 2 * time.Millisecond},
		{name: "no nodes", interval: time.Second, nodes: 0, qps: 0, want: time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := heartbeatPeriod(tc.interval, tc.nodes, tc.qps); got != tc.want {
				t.Errorf("heartbeatPeriod = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestWorkQueueCoalesces(t *testing.T) {
	q := newWorkQueue()
	for range 3 {
		q.add("a")
	}
	q.add("b")
	if q.len() != 2 {
		t.Fatalf("len %d, want 2 (a once, b)", q.len())
	}
	k, _ := q.get()
	q.add(k) // woken while worked on: once more after done
	q.add(k)
	if q.len() != 1 {
		t.Errorf("len %d while %s is worked on, want 1", q.len(), k)
	}
	q.done(k)
	if q.len() != 2 {
		t.Errorf("len %d after done, want 2", q.len())
	}
	q.shutDown()
	if _, ok := q.get(); ok {
		t.Error("get after shutDown: ok")
	}
}

func TestHollowConfigValidate(t *testing.T) {
	base := DefaultConfig()
	base.Name, base.Servers, base.Runtime = "h", []string{"http://127.0.0.1:1"}, RuntimeFake
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{name: "hollow ok", mutate: func(c *Config) { c.Count, c.NamePrefix = 5000, "hollow" }},
		{name: "prefix defaults to name", mutate: func(c *Config) { c.Count = 3 }},
		{name: "negative count", mutate: func(c *Config) { c.Count = -1 }, wantErr: "--count -1"},
		{name: "docker runtime", mutate: func(c *Config) { c.Count, c.Runtime = 2, RuntimeDocker }, wantErr: "needs --runtime fake"},
		{name: "no servers", mutate: func(c *Config) { c.Count, c.Servers, c.Join = 2, nil, []string{"127.0.0.1:6442"} }, wantErr: "needs --servers"},
		{name: "bad prefix", mutate: func(c *Config) { c.Count, c.NamePrefix = 2, "Hollow_" }, wantErr: "--name-prefix"},
		{name: "too many", mutate: func(c *Config) { c.Count = MaxHollowNodes + 1 }, wantErr: "more than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.mutate(&cfg)
			err := cfg.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("Validate = %v, want an error with %q", err, tc.wantErr)
			}
		})
	}
	cfg := base
	cfg.Count, cfg.NamePrefix = 3, "n"
	if got := strings.Join(cfg.NodeNames(), ","); got != "n-0,n-1,n-2" {
		t.Errorf("NodeNames = %s", got)
	}
	if _, err := NewWithRuntime(cfg, fake.New(fake.Config{})); err == nil {
		t.Error("NewWithRuntime with Count 3: no error")
	}
}
