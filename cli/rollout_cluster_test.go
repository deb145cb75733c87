package cli

import (
	"context"
	"testing"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/server/servertest"
)

// TestWorkloadCommandsAgainstServer runs the workload commands against a real server,
// whose validation, generation and grace-period rules the fake only imitates. The
// controllers may run there: the deployment's pods fit no node, and the bare pod
// tolerates every taint, so neither the scheduler nor node lifecycle moves them.
func TestWorkloadCommandsAgainstServer(t *testing.T) {
	srv := servertest.Start(t, nil)
	ctx := context.Background()
	for _, manifest := range []string{
		`{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"}}`,
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"bare","namespace":"default"},
			"spec":{"nodeName":"n1","tolerations":[{"operator":"Exists"}],"containers":[{"name":"app","image":"busybox"}]}}`,
		`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default"},
			"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
			"template":{"metadata":{"labels":{"app":"web"}},"spec":{"nodeSelector":{"berth.test/none":"x"},"containers":[{"name":"app","image":"nginx"}]}}}}`,
	} {
		obj, _, err := api.DecodeObject([]byte(manifest))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Client.Create(ctx, obj); err != nil {
			t.Fatalf("create %s: %v", obj.GetTypeMeta().Kind, err)
		}
	}
	steps := []struct {
		args    []string
		wantOut string
	}{
		{[]string{"cordon", "n1"}, "node/n1 cordoned\n"},
		{[]string{"uncordon", "n1"}, "node/n1 uncordoned\n"},
		{[]string{"scale", "deployment/web", "--current-replicas", "2", "--replicas", "4"}, "deployment.apps/web scaled\n"},
		{[]string{"rollout", "pause", "deployment/web"}, "deployment.apps/web paused\n"},
		{[]string{"rollout", "resume", "deployment/web"}, "deployment.apps/web resumed\n"},
		{[]string{"rollout", "restart", "deployment/web"}, "deployment.apps/web restarted\n"},
		{[]string{"drain", "n1", "--force", "--grace-period", "0", "--poll-interval", "20ms", "--timeout", "20s"},
			"node/n1 cordoned\nevicting pod default/bare\npod/bare evicted\nnode/n1 drained\n"},
		{[]string{"delete", "deployment", "web", "--cascade=orphan"}, "deployment.apps \"web\" deleted\n"},
	}
	for _, s := range steps {
		r := startBerth(t, srv.URL, s.args...).wait(t)
		if r.code != 0 || r.stdout != s.wantOut {
			t.Fatalf("berth %v: exit %d stdout %q stderr %q, want %q", s.args, r.code, r.stdout, r.stderr, s.wantOut)
		}
	}
	nodeRes, _ := api.ResourceForKind("Node")
	node, err := srv.Client.Get(ctx, nodeRes, "", "n1", api.GetOptions{Consistent: true})
	if err != nil || !node.(*api.Node).Spec.Unschedulable {
		t.Errorf("after drain, node n1 = %+v, %v; want it unschedulable", node, err)
	}
}
