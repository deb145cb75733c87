package server

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// listPods lists a namespace's pods selected by a label selector.
func listPods(t *testing.T, ts *testServer, selector string) []*api.Pod {
	t.Helper()
	l, err := ts.client.List(context.Background(), mustRes(t, "Pod"), "default", api.ListOptions{LabelSelector: selector})
	if err != nil {
		t.Fatalf("list pods: %v", err)
	}
	objs, err := l.Objects()
	if err != nil {
		t.Fatalf("decode pods: %v", err)
	}
	out := make([]*api.Pod, 0, len(objs))
	for _, o := range objs {
		out = append(out, o.(*api.Pod))
	}
	return out
}

// podNode is where a pod is bound, or the node its required node affinity names.
func podNode(p *api.Pod) string {
	if p.Spec.NodeName != "" {
		return p.Spec.NodeName
	}
	if a := p.Spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		for _, term := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
			for _, f := range term.MatchFields {
				if f.Key == "metadata.name" && f.Operator == "In" && len(f.Values) == 1 {
					return f.Values[0]
				}
			}
		}
	}
	return ""
}

// TestServerRunsWorkloadControllers: the leader runs the DaemonSet and Job
// controllers against objects created through the API.
func TestServerRunsWorkloadControllers(t *testing.T) {
	ts := mustStartServer(t, nil)
	ctx := context.Background()
	for _, name := range []string{"w1", "w2"} {
		n := &api.Node{ObjectMeta: api.ObjectMeta{Name: name}}
		n.APIVersion, n.Kind = "v1", "Node"
		if _, err := ts.client.Create(ctx, n); err != nil {
			t.Fatalf("create node %s: %v", name, err)
		}
	}

	ds := &api.DaemonSet{ObjectMeta: api.ObjectMeta{Name: "agent", Namespace: "default"}}
	ds.APIVersion, ds.Kind = "apps/v1", "DaemonSet"
	ds.Spec.Selector = &api.LabelSelector{MatchLabels: map[string]string{"app": "agent"}}
	ds.Spec.Template.Labels = map[string]string{"app": "agent"}
	ds.Spec.Template.Spec.Containers = []api.Container{{Name: "agent", Image: "busybox"}}
	if _, err := ts.client.Create(ctx, ds); err != nil {
		t.Fatalf("create daemonset: %v", err)
	}

	job := &api.Job{ObjectMeta: api.ObjectMeta{Name: "once", Namespace: "default"}}
	job.APIVersion, job.Kind = "batch/v1", "Job"
	two := int32(2)
	job.Spec.Parallelism = &two
	job.Spec.Completions = &two
	job.Spec.Template.Spec.RestartPolicy = api.RestartPolicyNever
	job.Spec.Template.Spec.Containers = []api.Container{{Name: "work", Image: "busybox"}}
	if _, err := ts.client.Create(ctx, job); err != nil {
		t.Fatalf("create job: %v", err)
	}

	waitFor(t, 15*time.Second, "one daemon pod per node", func() error {
		var nodes []string
		for _, p := range listPods(t, ts, "app=agent") {
			nodes = append(nodes, podNode(p))
		}
		slices.Sort(nodes)
		if !slices.Equal(nodes, []string{"w1", "w2"}) {
			return fmt.Errorf("daemon pods target %v", nodes)
		}
		return nil
	})
	waitFor(t, 15*time.Second, "the job's pods and status", func() error {
		pods := listPods(t, ts, api.JobNameLabel+"=once")
		if len(pods) != 2 {
			return fmt.Errorf("%d job pods", len(pods))
		}
		obj, err := ts.client.Get(ctx, mustRes(t, "Job"), "default", "once", api.GetOptions{})
		if err != nil {
			return err
		}
		if s := obj.(*api.Job).Status; s.Active != 2 || s.StartTime == nil {
			return fmt.Errorf("job status %+v", s)
		}
		return nil
	})
	waitFor(t, 15*time.Second, "the daemonset's status", func() error {
		obj, err := ts.client.Get(ctx, mustRes(t, "DaemonSet"), "default", "agent", api.GetOptions{})
		if err != nil {
			return err
		}
		if s := obj.(*api.DaemonSet).Status; s.DesiredNumberScheduled != 2 || s.CurrentNumberScheduled != 2 {
			return fmt.Errorf("daemonset status %+v", s)
		}
		return nil
	})
}
