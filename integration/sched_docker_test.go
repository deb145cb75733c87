package integration

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// TestSchedulingOnDockerClients places pods on three Docker-backed clients through
// the leader's scheduler: default spreading, a pod that fits nowhere, taints and
// tolerations, nodeSelector, anti-affinity by hostname, and preemption.
func TestSchedulingOnDockerClients(t *testing.T) {
	needDocker(t)
	buildDemoImage(t)
	c := newCluster(t, 3)
	for _, name := range []string{"n1", "n2", "n3"} {
		c.startAgent(t, name, "docker")
	}
	ns := testNamespace(t, c)
	s1 := c.nodes[0]
	api1 := c.anyClient(t)
	ctx := context.Background()

	t.Run("deployment of 10 spreads 4/3/3", func(t *testing.T) {
		applyYAML(t, s1, ns, deploymentYAML("spread", 10, demoImage, "", ""))
		pods := waitReadyPods(t, c, ns, "app=spread", 10, 120*time.Second)
		m, counts := perNode(pods)
		if !slices.Equal(counts, []int{3, 3, 4}) {
			t.Fatalf("pods per node %v, want 4/3/3", m)
		}
		mustCLI(t, s1, "delete", "-n", ns, "deployment", "spread")
		waitFor(t, 60*time.Second, "spread pods gone", func() error {
			if n := len(listPods(t, c, ns, "app=spread")); n > 0 {
				return fmt.Errorf("%d pods left", n)
			}
			return nil
		})
	})

	t.Run("fits nowhere stays Pending with reasons", func(t *testing.T) {
		applyYAML(t, s1, ns, `apiVersion: v1
kind: Pod
metadata: {name: huge}
spec:
  containers:
  - {name: app, image: `+demoImage+`, imagePullPolicy: Never, resources: {requests: {cpu: "1000"}}}
`)
		want := "0/3 nodes are available: 3 Insufficient cpu."
		waitFor(t, 20*time.Second, "FailedScheduling event", func() error {
			for _, e := range events(t, c, ns, "huge") {
				if strings.HasPrefix(e, "FailedScheduling: "+want) {
					return nil
				}
			}
			return fmt.Errorf("events %q, want FailedScheduling %q", events(t, c, ns, "huge"), want)
		})
		// The Event and the pod's status are separate writes: wait for the condition.
		p := waitPod(t, c, ns, "huge", 10*time.Second, func(p *api.Pod) error {
			if got := podCondition(p, "PodScheduled"); got != "False" {
				return fmt.Errorf("PodScheduled = %q, want False", got)
			}
			return nil
		})
		if p.Spec.NodeName != "" || p.Status.Phase != api.PodPending {
			t.Fatalf("huge pod bound to %q phase %s", p.Spec.NodeName, p.Status.Phase)
		}
		mustCLI(t, s1, "delete", "-n", ns, "pod", "huge")
	})

	t.Run("taints, tolerations and nodeSelector", func(t *testing.T) {
		setNode(t, api1, "n2", func(n *api.Node) {
			n.Spec.Taints = append(n.Spec.Taints, api.Taint{Key: "dedicated", Value: "db", Effect: "NoSchedule"})
			n.Labels["disk"] = "ssd"
		})
		pod := func(name, tol string) string {
			return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %s}
spec:
  terminationGracePeriodSeconds: 1
  nodeSelector: {disk: ssd}
%s
  containers:
  - {name: app, image: %s, imagePullPolicy: Never, args: ["demo", "--port", "8080"]}
`, name, tol, demoImage)
		}
		applyYAML(t, s1, ns, pod("intolerant", ""))
		applyYAML(t, s1, ns, pod("tolerant", `  tolerations: [{key: dedicated, operator: Equal, value: db, effect: NoSchedule}]`))
		p := waitPod(t, c, ns, "tolerant", 60*time.Second, running)
		if p.Spec.NodeName != "n2" {
			t.Fatalf("tolerant pod on %q, want n2 (the only ssd node)", p.Spec.NodeName)
		}
		waitFor(t, 20*time.Second, "intolerant pod's FailedScheduling", func() error {
			for _, e := range events(t, c, ns, "intolerant") {
				if strings.Contains(e, "1 node(s) had untolerated taint {dedicated: db}") &&
					strings.Contains(e, "2 node(s) didn't match Pod's node affinity/selector") {
					return nil
				}
			}
			return fmt.Errorf("events %q", events(t, c, ns, "intolerant"))
		})
		if p := waitPod(t, c, ns, "intolerant", time.Second, func(*api.Pod) error { return nil }); p.Spec.NodeName != "" {
			t.Fatalf("intolerant pod bound to %s", p.Spec.NodeName)
		}
		mustCLI(t, s1, "delete", "-n", ns, "pod", "intolerant", "tolerant")
		setNode(t, api1, "n2", func(n *api.Node) { n.Spec.Taints = nil })
	})

	t.Run("anti-affinity by hostname", func(t *testing.T) {
		applyYAML(t, s1, ns, deploymentYAML("anti", 4, demoImage, "", `      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector: {matchLabels: {app: anti}}
            topologyKey: kubernetes.io/hostname`))
		waitFor(t, 90*time.Second, "3 anti pods on 3 nodes and one Pending", func() error {
			pods := listPods(t, c, ns, "app=anti")
			var ready, pending int
			nodes := map[string]bool{}
			for _, p := range pods {
				switch {
				case isReady(p):
					ready++
					nodes[p.Spec.NodeName] = true
				case p.Spec.NodeName == "":
					pending++
				}
			}
			if ready != 3 || len(nodes) != 3 || pending != 1 {
				return fmt.Errorf("ready %d on %d nodes, pending %d: %s", ready, len(nodes), pending, describePods(pods))
			}
			return nil
		})
		mustCLI(t, s1, "delete", "-n", ns, "deployment", "anti")
	})

	t.Run("a high-priority pod preempts a low-priority one", func(t *testing.T) {
		applyYAML(t, s1, "", `apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: it-high}
value: 1000
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: it-low}
value: 10
`)
		t.Cleanup(func() { cli(t, s1, "delete", "priorityclass", "it-high", "it-low") })
		node := setNode(t, api1, "n3", func(n *api.Node) {})
		cpu := node.Status.Allocatable["cpu"]
		big := func(name, class string) string {
			return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %s}
spec:
  priorityClassName: %s
  terminationGracePeriodSeconds: 1
  nodeSelector: {kubernetes.io/hostname: n3}
  containers:
  - name: app
    image: %s
    imagePullPolicy: Never
    args: ["demo", "--port", "8080"]
    resources: {requests: {cpu: "%dm"}}
`, name, class, demoImage, cpu.MilliValue()*3/4)
		}
		applyYAML(t, s1, ns, big("low", "it-low"))
		waitPod(t, c, ns, "low", 60*time.Second, running)
		applyYAML(t, s1, ns, big("high", "it-high"))
		p := waitPod(t, c, ns, "high", 60*time.Second, running)
		if p.Spec.NodeName != "n3" || p.Spec.Priority == nil || *p.Spec.Priority != 1000 {
			t.Fatalf("high pod node %q priority %v", p.Spec.NodeName, p.Spec.Priority)
		}
		if _, err := api1.Get(ctx, mustResource("Pod"), ns, "low", api.GetOptions{}); api.ReasonOf(err) != api.ReasonNotFound {
			t.Fatalf("low-priority pod still there (err %v)", err)
		}
		found := false
		for _, e := range events(t, c, ns, "low") {
			found = found || strings.HasPrefix(e, "Preempted: ")
		}
		if !found {
			t.Fatalf("no Preempted event on the victim: %q", events(t, c, ns, "low"))
		}
		mustCLI(t, s1, "delete", "-n", ns, "pod", "high")
	})
}

// setNode changes a Node with read-modify-write, retrying on conflicts with the
// agent's heartbeats, and returns the stored node.
func setNode(t *testing.T, c *api.Client, name string, change func(*api.Node)) *api.Node {
	t.Helper()
	var out *api.Node
	waitFor(t, 10*time.Second, "update node "+name, func() error {
		obj, err := c.Get(context.Background(), mustResource("Node"), "", name, api.GetOptions{})
		if err != nil {
			return err
		}
		n := obj.(*api.Node)
		if n.Labels == nil {
			n.Labels = map[string]string{}
		}
		change(n)
		got, err := c.Update(context.Background(), n)
		if err != nil {
			return err
		}
		out = got.(*api.Node)
		return nil
	})
	return out
}
