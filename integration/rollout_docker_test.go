package integration

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// rollingStrategy keeps every pod serving during an update: one extra pod at a time.
const rollingStrategy = `  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}`

// sampler records, every 50 ms, the number of ready pods matching a selector, and
// whether any node looked lost (Ready not True, or the unreachable taint).
type sampler struct {
	mu        sync.Mutex
	minReady  int
	samples   int
	lostNodes []string
	stop      chan struct{}
	done      chan struct{}
}

func startSampler(t *testing.T, c *cluster, ns, sel string) *sampler {
	s := &sampler{minReady: 1 << 30, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			pods, perr := c.anyClient(t).List(ctx, mustResource("Pod"), ns, api.ListOptions{LabelSelector: sel})
			nodes, nerr := c.anyClient(t).List(ctx, mustResource("Node"), "", api.ListOptions{})
			cancel()
			if perr != nil || nerr != nil {
				continue // no leader for a moment: not a sample
			}
			objs, _ := pods.Objects()
			ready := 0
			for _, o := range objs {
				if isReady(o.(*api.Pod)) {
					ready++
				}
			}
			nobjs, _ := nodes.Objects()
			s.mu.Lock()
			s.samples++
			s.minReady = min(s.minReady, ready)
			for _, o := range nobjs {
				n := o.(*api.Node)
				for _, taint := range n.Spec.Taints {
					if strings.Contains(taint.Key, "unreachable") {
						s.lostNodes = append(s.lostNodes, n.Name+" tainted "+taint.Key)
					}
				}
			}
			s.mu.Unlock()
		}
	}()
	return s
}

func (s *sampler) finish() (minReady, samples int, lost []string) {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.minReady, s.samples, s.lostNodes
}

// imagesOf is the set of images the ready pods run.
func imagesOf(pods []*api.Pod) map[string]int {
	m := map[string]int{}
	for _, p := range pods {
		m[p.Spec.Containers[0].Image]++
	}
	return m
}

// TestRollingUpdateKeepsPodsReadyAndUndo: an update from demo tag A to B with
// maxUnavailable 0 never has fewer than N ready pods; `rollout undo` brings A back;
// then the leader is killed during a rollout, which the new leader finishes, and no
// healthy node is marked lost by the election.
func TestRollingUpdateKeepsPodsReadyAndUndo(t *testing.T) {
	needDocker(t)
	imgA, imgB := tagDemo(t, "it-a"), tagDemo(t, "it-b")
	c := newCluster(t, 3)
	for _, name := range []string{"r1", "r2", "r3"} {
		c.startAgent(t, name, "docker")
	}
	ns := testNamespace(t, c)
	s1 := c.nodes[0]
	const n = 3
	applyYAML(t, s1, ns, deploymentYAML("roll", n, imgA, rollingStrategy, ""))
	waitReadyPods(t, c, ns, "app=roll", n, 90*time.Second)

	smp := startSampler(t, c, ns, "app=roll")
	applyYAML(t, s1, ns, deploymentYAML("roll", n, imgB, rollingStrategy, ""))
	out := mustCLIWithin(t, s1, 120*time.Second, "rollout", "status", "-n", ns, "deployment/roll", "--timeout", "110s")
	if !strings.Contains(out, `successfully rolled out`) {
		t.Fatalf("rollout status said %q", out)
	}
	pods := waitReadyPods(t, c, ns, "app=roll", n, 60*time.Second)
	minReady, samples, _ := smp.finish()
	if got := imagesOf(pods); got[imgB] != n {
		t.Fatalf("after the rollout images are %v, want %d × %s", got, n, imgB)
	}
	if samples < 20 || minReady < n {
		t.Fatalf("ready pods fell to %d during the rollout (%d samples), want >= %d at every instant", minReady, samples, n)
	}
	t.Logf("rolling update: %d samples, never fewer than %d ready pods", samples, minReady)

	hist := mustCLI(t, s1, "rollout", "history", "-n", ns, "deployment/roll")
	if !strings.Contains(hist, "1") || !strings.Contains(hist, "2") {
		t.Fatalf("rollout history lacks revisions 1 and 2:\n%s", hist)
	}
	mustCLI(t, s1, "rollout", "undo", "-n", ns, "deployment/roll")
	waitFor(t, 90*time.Second, "undo brings image A back", func() error {
		pods := listPods(t, c, ns, "app=roll")
		ready := 0
		for _, p := range pods {
			if isReady(p) && p.Spec.Containers[0].Image == imgA {
				ready++
			}
		}
		if ready != n || len(pods) != n {
			return fmt.Errorf("%d ready pods of image A among %d: %s", ready, len(pods), describePods(pods))
		}
		return nil
	})

	// Kill the leader in the middle of a rollout back to B.
	smp = startSampler(t, c, ns, "app=roll")
	applyYAML(t, s1, ns, deploymentYAML("roll", n, imgB, rollingStrategy, ""))
	leader := c.waitLeader(10 * time.Second)
	waitFor(t, 60*time.Second, "the rollout under way", func() error {
		for _, p := range listPods(t, c, ns, "app=roll") {
			if p.Spec.Containers[0].Image == imgB {
				return nil
			}
		}
		return fmt.Errorf("no pod of image B yet")
	})
	leader.kill(t)
	newLeader := c.waitLeader(10 * time.Second)
	t.Logf("killed leader %s during the rollout; %s leads", leader.name, newLeader.name)
	waitFor(t, 120*time.Second, "the rollout finished by the new leader", func() error {
		obj, err := c.anyClient(t).Get(context.Background(), mustResource("Deployment"), ns, "roll", api.GetOptions{})
		if err != nil {
			return err
		}
		d := obj.(*api.Deployment)
		st := d.Status
		if st.ObservedGeneration < d.Generation || st.UpdatedReplicas != n || st.Replicas != n || st.AvailableReplicas != n {
			return fmt.Errorf("status %+v generation %d", st, d.Generation)
		}
		pods := listPods(t, c, ns, "app=roll")
		if got := imagesOf(pods); got[imgB] != n || len(pods) != n {
			return fmt.Errorf("pods: %s", describePods(pods))
		}
		return nil
	})
	minReady, samples, lost := smp.finish()
	if len(lost) > 0 {
		t.Fatalf("the election marked healthy nodes lost: %v", lost)
	}
	if minReady < n {
		t.Fatalf("ready pods fell to %d during the rollout across the leader change (%d samples)", minReady, samples)
	}
	rsList, err := c.anyClient(t).List(context.Background(), mustResource("ReplicaSet"), ns, api.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	objs, _ := rsList.Objects()
	for _, o := range objs {
		rs := o.(*api.ReplicaSet)
		want := int32(0)
		if rs.Spec.Template.Spec.Containers[0].Image == imgB {
			want = n
		}
		if rs.Spec.Replicas == nil || *rs.Spec.Replicas != want {
			t.Fatalf("replicaset %s (%s) has %v replicas, want %d", rs.Name, rs.Spec.Template.Spec.Containers[0].Image, rs.Spec.Replicas, want)
		}
	}
}

// mustCLIWithin runs the CLI with a deadline and fails on a non-zero exit.
func mustCLIWithin(t *testing.T, n *node, d time.Duration, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, berthBin, append([]string{"--addr", n.addr()}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("berth %v: %v (deadline %v): %s%s", args, err, d, out.String(), errb.String())
	}
	return out.String()
}
