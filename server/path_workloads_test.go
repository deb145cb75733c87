package server

import (
	"strings"
	"testing"
)

// The paths of the workload kinds in the batch and scheduling.k8s.io groups, and of
// the new apps kinds, parse as Kubernetes lays them out.
func TestParseWorkloadPaths(t *testing.T) {
	tests := []struct {
		name, path string
		plural, ns string // plural "" when an error is expected
		obj        string
		status     bool
		errHas     string
	}{
		{name: "statefulset status", path: "/apis/apps/v1/namespaces/db/statefulsets/web/status", plural: "statefulsets", ns: "db", obj: "web", status: true},
		{name: "daemonsets everywhere", path: "/apis/apps/v1/daemonsets", plural: "daemonsets"},
		{name: "job", path: "/apis/batch/v1/namespaces/default/jobs/pi", plural: "jobs", ns: "default", obj: "pi"},
		{name: "job status", path: "/apis/batch/v1/namespaces/default/jobs/pi/status", plural: "jobs", ns: "default", obj: "pi", status: true},
		{name: "priorityclass", path: "/apis/scheduling.k8s.io/v1/priorityclasses/high", plural: "priorityclasses", obj: "high"},
		{name: "priorityclass has no status", path: "/apis/scheduling.k8s.io/v1/priorityclasses/high/status", errHas: "no subresource"},
		{name: "priorityclass is not namespaced", path: "/apis/scheduling.k8s.io/v1/namespaces/default/priorityclasses", errHas: "not namespaced"},
		{name: "jobs are not in apps", path: "/apis/apps/v1/namespaces/default/jobs", errHas: `"jobs" in "apps/v1"`},
		{name: "wrong version", path: "/apis/batch/v2/namespaces/default/jobs", errHas: `"batch/v2"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePath(tt.path)
			if tt.plural == "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("err = %v, want one containing %q", err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got.res.Plural != tt.plural || got.namespace != tt.ns || got.name != tt.obj || got.status != tt.status {
				t.Errorf("got %s ns=%q name=%q status=%v", got.res.Plural, got.namespace, got.name, got.status)
			}
		})
	}
}
