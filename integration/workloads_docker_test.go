package integration

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// TestDaemonSetStatefulSetJobAndCascade on three Docker-backed clients: a DaemonSet
// runs one pod per node; a StatefulSet of 3 starts in order with stable names that
// survive a pod's deletion; a Job runs to completion; deleting with the default
// (background) cascade removes dependents, with --cascade=orphan keeps them.
func TestDaemonSetStatefulSetJobAndCascade(t *testing.T) {
	needDocker(t)
	buildDemoImage(t)
	c := newCluster(t, 3)
	for _, name := range []string{"w1", "w2", "w3"} {
		c.startAgent(t, name, "docker")
	}
	ns := testNamespace(t, c)
	s1 := c.nodes[0]
	ctx := context.Background()

	t.Run("daemonset over 3 nodes", func(t *testing.T) {
		applyYAML(t, s1, ns, `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agentd}
spec:
  selector: {matchLabels: {app: agentd}}
  template:
    metadata: {labels: {app: agentd}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - {name: app, image: `+demoImage+`, imagePullPolicy: Never, args: ["demo", "--port", "8080"]}
`)
		pods := waitReadyPods(t, c, ns, "app=agentd", 3, 90*time.Second)
		if m, counts := perNode(pods); len(m) != 3 || counts[2] != 1 {
			t.Fatalf("daemonset pods per node %v, want one on each of 3", m)
		}
		waitFor(t, 30*time.Second, "daemonset status", func() error {
			obj, err := c.anyClient(t).Get(ctx, mustResource("DaemonSet"), ns, "agentd", api.GetOptions{})
			if err != nil {
				return err
			}
			st := obj.(*api.DaemonSet).Status
			if st.DesiredNumberScheduled != 3 || st.NumberReady != 3 {
				return fmt.Errorf("status %+v", st)
			}
			return nil
		})
	})

	t.Run("statefulset of 3 in order with stable names", func(t *testing.T) {
		var mu sync.Mutex
		var violations []string
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() { // at every instant, web-i exists only if web-(i-1) is Ready
			defer close(done)
			for {
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
				}
				byName := map[string]*api.Pod{}
				for _, p := range listPods(t, c, ns, "app=web") {
					byName[p.Name] = p
				}
				for i := 1; i < 3; i++ {
					if _, ok := byName[fmt.Sprintf("web-%d", i)]; !ok {
						continue
					}
					prev, ok := byName[fmt.Sprintf("web-%d", i-1)]
					if !ok || !isReady(prev) {
						mu.Lock()
						violations = append(violations, fmt.Sprintf("web-%d exists while web-%d is not ready", i, i-1))
						mu.Unlock()
					}
				}
			}
		}()
		applyYAML(t, s1, ns, `apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{name: http, port: 8080}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: app
        image: `+demoImage+`
        imagePullPolicy: Never
        args: ["demo", "--port", "8080"]
        readinessProbe: {httpGet: {path: /readyz, port: 8080}, periodSeconds: 1}
`)
		pods := waitReadyPods(t, c, ns, "app=web", 3, 120*time.Second)
		close(stop)
		<-done
		if len(violations) > 0 {
			t.Fatalf("ordered start broken: %v", violations[:min(3, len(violations))])
		}
		var names []string
		for _, p := range pods {
			names = append(names, p.Name)
			if p.Spec.Hostname != p.Name || p.Spec.Subdomain != "web" {
				t.Errorf("pod %s hostname %q subdomain %q, want %s/web", p.Name, p.Spec.Hostname, p.Spec.Subdomain, p.Name)
			}
		}
		sort.Strings(names)
		if strings.Join(names, ",") != "web-0,web-1,web-2" {
			t.Fatalf("statefulset pods %v", names)
		}
		old := pods[1].UID
		for _, p := range pods {
			if p.Name == "web-1" {
				old = p.UID
			}
		}
		mustCLI(t, s1, "delete", "-n", ns, "pod", "web-1")
		waitFor(t, 60*time.Second, "web-1 back under the same name", func() error {
			p, err := c.anyClient(t).Get(ctx, mustResource("Pod"), ns, "web-1", api.GetOptions{})
			if err != nil {
				return err
			}
			if p.GetObjectMeta().UID == old || !isReady(p.(*api.Pod)) {
				return fmt.Errorf("web-1 not replaced and ready yet")
			}
			return nil
		})
	})

	t.Run("job to completion", func(t *testing.T) {
		applyYAML(t, s1, ns, `apiVersion: batch/v1
kind: Job
metadata: {name: batch}
spec:
  completions: 3
  parallelism: 2
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: app, image: `+demoImage+`, imagePullPolicy: Never, args: ["demo", "--port", "8080", "--exit-after", "1s", "--exit-code", "0"]}
`)
		waitFor(t, 120*time.Second, "job complete", func() error {
			obj, err := c.anyClient(t).Get(ctx, mustResource("Job"), ns, "batch", api.GetOptions{})
			if err != nil {
				return err
			}
			j := obj.(*api.Job)
			for _, cond := range j.Status.Conditions {
				if cond.Type == "Complete" && cond.Status == "True" {
					if j.Status.Succeeded != 3 {
						return fmt.Errorf("complete with %d succeeded", j.Status.Succeeded)
					}
					return nil
				}
			}
			return fmt.Errorf("job status %+v", j.Status)
		})
	})

	t.Run("cascading and orphan deletes", func(t *testing.T) {
		applyYAML(t, s1, ns, deploymentYAML("casc", 2, demoImage, "", ""))
		applyYAML(t, s1, ns, deploymentYAML("orph", 2, demoImage, "", ""))
		waitReadyPods(t, c, ns, "app=casc", 2, 90*time.Second)
		waitReadyPods(t, c, ns, "app=orph", 2, 90*time.Second)

		mustCLI(t, s1, "delete", "-n", ns, "deployment", "casc")
		waitFor(t, 60*time.Second, "cascade removes RS and pods", func() error {
			if pods := listPods(t, c, ns, "app=casc"); len(pods) > 0 {
				return fmt.Errorf("%d pods left", len(pods))
			}
			list, err := c.anyClient(t).List(ctx, mustResource("ReplicaSet"), ns, api.ListOptions{LabelSelector: "app=casc"})
			if err != nil {
				return err
			}
			if len(list.Items) > 0 {
				return fmt.Errorf("%d replicasets left", len(list.Items))
			}
			return nil
		})

		mustCLI(t, s1, "delete", "-n", ns, "deployment", "orph", "--cascade=orphan")
		list, err := c.anyClient(t).List(ctx, mustResource("ReplicaSet"), ns, api.ListOptions{LabelSelector: "app=orph"})
		if err != nil {
			t.Fatal(err)
		}
		objs, _ := list.Objects()
		if len(objs) != 1 || len(objs[0].GetObjectMeta().OwnerReferences) != 0 {
			t.Fatalf("orphaned replicasets %d, owner refs %v", len(objs), objs)
		}
		// The orphaned ReplicaSet keeps running its pods: still 2 ready after a while.
		waitReadyPods(t, c, ns, "app=orph", 2, 30*time.Second)
		mustCLI(t, s1, "delete", "-n", ns, "replicaset", objs[0].GetObjectMeta().Name)
	})
}
