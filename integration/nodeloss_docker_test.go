package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// TestNodeLossReplacesPods: kill -9 one of three clients; its pods are Running
// elsewhere within 10 s. Started again, it removes its old containers and nothing is
// doubled.
func TestNodeLossReplacesPods(t *testing.T) {
	took := nodeLoss(t)
	if took > 10*time.Second {
		t.Errorf("replacements took %v, want within 10 s", took)
	}
}

// TestBenchNodeLoss reports the seconds from kill -9 of a client to its pods'
// replacements Running elsewhere (the same scenario as TestNodeLossReplacesPods).
func TestBenchNodeLoss(t *testing.T) {
	benchOnly(t)
	report("node_loss_replacements_running", nodeLoss(t).Seconds(), "s")
}

// nodeLoss runs the scenario and returns how long the replacements took.
func nodeLoss(t *testing.T) time.Duration {
	needDocker(t)
	buildDemoImage(t)
	c := newCluster(t, 3)
	agents := map[string]*agent{}
	for _, name := range []string{"l1", "l2", "l3"} {
		agents[name] = c.startAgent(t, name, "docker")
	}
	ns := testNamespace(t, c)
	const n = 6
	applyYAML(t, c.nodes[0], ns, deploymentYAML("loss", n, demoImage, "", ""))
	pods := waitReadyPods(t, c, ns, "app=loss", n, 120*time.Second)
	m, _ := perNode(pods)
	if m["l3"] == 0 {
		t.Fatalf("no pod on l3 to lose: %v", m)
	}
	var lostUIDs []string
	for _, p := range pods {
		if p.Spec.NodeName == "l3" {
			lostUIDs = append(lostUIDs, p.UID)
		}
	}

	killed := time.Now()
	agents["l3"].kill(t)
	var took time.Duration
	waitFor(t, 60*time.Second, "replacements Running elsewhere", func() error {
		ready := 0
		all := listPods(t, c, ns, "app=loss")
		for _, p := range all {
			if isReady(p) && p.Spec.NodeName != "l3" {
				ready++
			}
		}
		if ready < n {
			return fmt.Errorf("%d of %d pods ready off l3: %s", ready, n, describePods(all))
		}
		took = time.Since(killed)
		return nil
	})
	t.Logf("node loss → %d replacements Running in %v", len(lostUIDs), took.Round(time.Millisecond))
	node := setNode(t, c.anyClient(t), "l3", func(*api.Node) {})
	if !hasTaint(node, "node.berth.io/unreachable") {
		t.Errorf("lost node l3 lacks the unreachable taint: %+v", node.Spec.Taints)
	}

	// Back again: the old containers go, the node is Ready, nothing is doubled.
	agents["l3"].start(t)
	c.waitNodeReady(t, "l3", 60*time.Second)
	waitFor(t, 60*time.Second, "l3's stale containers removed", func() error {
		for _, uid := range lostUIDs {
			if ids := dockerCLI(t, "ps", "-aq", "--filter", "label=io.berth.pod.uid="+uid); ids != "" {
				return fmt.Errorf("containers of lost pod %s still on the engine: %s", uid, strings.Fields(ids))
			}
		}
		return nil
	})
	waitFor(t, 30*time.Second, "unreachable taint removed", func() error {
		if hasTaint(setNode(t, c.anyClient(t), "l3", func(*api.Node) {}), "node.berth.io/unreachable") {
			return fmt.Errorf("l3 still tainted")
		}
		return nil
	})
	if pods := listPods(t, c, ns, "app=loss"); len(pods) != n {
		t.Fatalf("%d pods after l3 came back, want %d: %s", len(pods), n, describePods(pods))
	}
	return took
}

func hasTaint(n *api.Node, key string) bool {
	for _, t := range n.Spec.Taints {
		if t.Key == key {
			return true
		}
	}
	return false
}
