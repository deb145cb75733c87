package integration

import (
	"context"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// Helpers for the workload tests: pods by label, per-node counts, demo image tags.

// listPods lists the pods of ns matching the label selector sel.
func listPods(t testing.TB, c *cluster, ns, sel string) []*api.Pod {
	t.Helper()
	list, err := c.anyClient(t).List(context.Background(), mustResource("Pod"), ns, api.ListOptions{LabelSelector: sel})
	if err != nil {
		t.Fatalf("list pods %s: %v", sel, err)
	}
	objs, err := list.Objects()
	if err != nil {
		t.Fatal(err)
	}
	pods := make([]*api.Pod, 0, len(objs))
	for _, o := range objs {
		pods = append(pods, o.(*api.Pod))
	}
	return pods
}

// isReady: not terminating, Running, condition Ready=True.
func isReady(p *api.Pod) bool {
	return p.DeletionTimestamp == nil && p.Status.Phase == api.PodRunning && podCondition(p, "Ready") == "True"
}

// waitReadyPods waits until exactly n pods matching sel are Ready and no other pod
// matching sel is left, and returns them.
func waitReadyPods(t *testing.T, c *cluster, ns, sel string, n int, timeout time.Duration) []*api.Pod {
	t.Helper()
	var pods []*api.Pod
	waitFor(t, timeout, fmt.Sprintf("%d ready pods %s", n, sel), func() error {
		all := listPods(t, c, ns, sel)
		pods = pods[:0]
		for _, p := range all {
			if isReady(p) {
				pods = append(pods, p)
			}
		}
		if len(pods) != n || len(all) != n {
			return fmt.Errorf("%d ready of %d pods, want %d: %s", len(pods), len(all), n, describePods(all))
		}
		return nil
	})
	return pods
}

// describePods is one line per pod for failure messages.
func describePods(pods []*api.Pod) string {
	var b strings.Builder
	for _, p := range pods {
		fmt.Fprintf(&b, "\n  %s node=%q phase=%s ready=%s deleting=%v", p.Name, p.Spec.NodeName, p.Status.Phase,
			podCondition(p, "Ready"), p.DeletionTimestamp != nil)
	}
	return b.String()
}

// perNode counts pods per node, as a sorted list of counts.
func perNode(pods []*api.Pod) (map[string]int, []int) {
	m := map[string]int{}
	for _, p := range pods {
		m[p.Spec.NodeName]++
	}
	var counts []int
	for _, n := range m {
		counts = append(counts, n)
	}
	sort.Ints(counts)
	return m, counts
}

// tagDemo tags the demo image as berth/demo:<tag> (a distinct image name for
// rollouts) and removes the tag when the test ends.
func tagDemo(t *testing.T, tag string) string {
	t.Helper()
	buildDemoImage(t)
	name := "berth/demo:" + tag
	if out, err := exec.Command("docker", "tag", demoImage, name).CombinedOutput(); err != nil {
		t.Fatalf("docker tag: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", name).Run() })
	return name
}

// deploymentYAML is a Deployment of the demo image with a readiness probe on /readyz;
// extra is more pod spec (indented four spaces) and strategy more deployment spec
// (indented two spaces).
func deploymentYAML(name string, replicas int, image, strategy, extra string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: %[1]s}
spec:
  replicas: %[2]d
  selector: {matchLabels: {app: %[1]s}}
%[4]s
  template:
    metadata: {labels: {app: %[1]s}}
    spec:
      terminationGracePeriodSeconds: 2
%[5]s
      containers:
      - name: app
        image: %[3]s
        imagePullPolicy: Never
        args: ["demo", "--port", "8080"]
        resources: {requests: {cpu: 10m, memory: 16Mi}}
        readinessProbe:
          httpGet: {path: /readyz, port: 8080}
          periodSeconds: 1
`, name, replicas, image, strategy, extra)
}

// events returns "reason: message" of the Events about one object.
func events(t testing.TB, c *cluster, ns, name string) []string {
	t.Helper()
	list, err := c.anyClient(t).List(context.Background(), mustResource("Event"), ns,
		api.ListOptions{FieldSelector: "involvedObject.name=" + name})
	if err != nil {
		t.Fatalf("list events: %v", err)
	}
	objs, _ := list.Objects()
	var out []string
	for _, o := range objs {
		e := o.(*api.Event)
		out = append(out, e.Reason+": "+e.Message)
	}
	return out
}
