package cli

import "testing"

func TestScale(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		conflicts int // 409 answers the first PUTs get, as if a controller wrote first
		wantCode  int
		wantOut   string
		wantErr   string
		plural    string
		objName   string
		wantRepl  int64
	}{
		{"deployment", []string{"deployment/web", "--replicas", "5"}, 0, 0, "deployment.apps/web scaled\n", "",
			"deployments", "web", 5},
		{"replicaset to zero", []string{"rs", "web-abc", "--replicas=0"}, 0, 0, "replicaset.apps/web-abc scaled\n", "",
			"replicasets", "web-abc", 0},
		{"precondition holds", []string{"deploy/web", "--current-replicas", "3", "--replicas", "4"}, 0, 0,
			"deployment.apps/web scaled\n", "", "deployments", "web", 4},
		{"precondition fails", []string{"deploy/web", "--current-replicas", "2", "--replicas", "4"}, 0, 1, "",
			"error: Expected replicas to be 2, was 3\n", "deployments", "web", 3},
		{"stale resource version", []string{"deploy/web", "--resource-version", "99", "--replicas", "4"}, 0, 1, "",
			"error: Expected resourceVersion to be 99, was 1\n", "deployments", "web", 3},
		{"retries a conflict", []string{"deploy/web", "--current-replicas", "3", "--replicas", "6"}, 2, 0,
			"deployment.apps/web scaled\n", "", "deployments", "web", 6},
		{"too many conflicts", []string{"deploy/web", "--replicas", "6"}, 5, 1, "",
			"Error from server (Conflict): the object has been modified\n", "deployments", "web", 3},
		{"no replicas", []string{"deploy/web"}, 0, 1, "",
			"error: bad usage: --replicas=COUNT is required, and COUNT must be 0 or more\n", "deployments", "web", 3},
		{"not scalable", []string{"svc/web", "--replicas", "2"}, 0, 1, "",
			"error: bad usage: scale works on deployments, replicasets, statefulsets, not services\n", "deployments", "web", 3},
		{"not found", []string{"deploy/nope", "--replicas", "2"}, 0, 1, "",
			"Error from server (NotFound): deployments \"nope\" not found\n", "deployments", "web", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lf := newLiveFake(t, fixtureDeployment, fixtureReplicaSet, fixtureService)
			if tt.conflicts > 0 {
				lf.mu.Lock()
				lf.conflicts["PUT /apis/apps/v1/namespaces/default/deployments/web"] = tt.conflicts
				lf.mu.Unlock()
			}
			r := runBerth(t, lf.fakeServer, "", append([]string{"scale"}, tt.args...)...)
			if r.code != tt.wantCode || r.stdout != tt.wantOut || r.stderr != tt.wantErr {
				t.Errorf("exit %d stdout %q stderr %q\nwant %d %q %q", r.code, r.stdout, r.stderr,
					tt.wantCode, tt.wantOut, tt.wantErr)
			}
			if got := lf.object(tt.plural, "default", tt.objName).num("spec", "replicas"); got != tt.wantRepl {
				t.Errorf("%s/%s spec.replicas = %d, want %d", tt.plural, tt.objName, got, tt.wantRepl)
			}
		})
	}
}
