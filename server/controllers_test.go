package server

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// TestServerDeploymentCreatesReplicaSetAndPods: a Deployment of 3 posted to a real
// server becomes one ReplicaSet and 3 pods through the leader's controllers, and
// both report the counts in their status. No node runs the pods, so none is ready.
func TestServerDeploymentCreatesReplicaSetAndPods(t *testing.T) {
	ts := mustStartServer(t, nil)
	ctx := context.Background()
	three := int32(3)
	d := &api.Deployment{TypeMeta: api.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}}
	d.Name, d.Namespace = "web", "default"
	d.Spec.Replicas = &three
	d.Spec.Selector = &api.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	d.Spec.Template.Labels = map[string]string{"app": "web"}
	d.Spec.Template.Spec.Containers = []api.Container{{Name: "app", Image: "busybox"}}
	created, err := ts.client.Create(ctx, d)
	if err != nil {
		t.Fatalf("create deployment: %v", err)
	}
	uid := meta(created).UID

	rsRes, podRes, dRes := mustRes(t, "ReplicaSet"), mustRes(t, "Pod"), mustRes(t, "Deployment")
	var rs *api.ReplicaSet
	waitFor(t, 15*time.Second, "a ReplicaSet with 3 replicas in its status", func() error {
		objs, err := listObjects(ctx, ts, rsRes)
		if err != nil {
			return err
		}
		for _, o := range objs {
			r := o.(*api.ReplicaSet)
			if len(r.OwnerReferences) == 1 && r.OwnerReferences[0].UID == uid {
				rs = r
			}
		}
		if rs == nil {
			return fmt.Errorf("no replica set owned by the deployment among %d", len(objs))
		}
		if rs.Status.Replicas != 3 || rs.Status.ObservedGeneration != rs.Generation {
			return fmt.Errorf("replica set %s status %+v", rs.Name, rs.Status)
		}
		return nil
	})
	pods, err := listObjects(ctx, ts, podRes)
	if err != nil {
		t.Fatal(err)
	}
	owned := 0
	for _, o := range pods {
		p := o.(*api.Pod)
		if len(p.OwnerReferences) == 1 && p.OwnerReferences[0].UID == meta(rs).UID && p.Labels["pod-template-hash"] != "" {
			owned++
		}
	}
	if owned != 3 {
		t.Fatalf("pods of %s = %d, want 3", rs.Name, owned)
	}
	waitFor(t, 15*time.Second, "the deployment's status", func() error {
		o, err := ts.client.Get(ctx, dRes, "default", "web", api.GetOptions{Consistent: true})
		if err != nil {
			return err
		}
		st := o.(*api.Deployment).Status
		if st.Replicas != 3 || st.UpdatedReplicas != 3 || st.AvailableReplicas != 0 || st.UnavailableReplicas != 3 ||
			st.ObservedGeneration != meta(o).Generation {
			return fmt.Errorf("status %+v", st)
		}
		if meta(o).Annotations["deployment.kubernetes.io/revision"] != "1" {
			return fmt.Errorf("annotations %v", meta(o).Annotations)
		}
		return nil
	})
}

func listObjects(ctx context.Context, ts *testServer, res *api.Resource) ([]api.Object, error) {
	l, err := ts.client.List(ctx, res, "default", api.ListOptions{Consistent: true})
	if err != nil {
		return nil, err
	}
	return l.Objects()
}
