package cli

import (
	"regexp"
	"strings"
	"testing"
)

// A quota the controller has reported on, a scoped one it has not yet, and a
// LimitRange with a Container and a Pod item.
const fixtureQuotas = `
apiVersion: v1
kind: ResourceQuota
metadata: {name: compute-quota}
spec:
  hard: {pods: "2", requests.cpu: "4", limits.memory: 8Gi}
status:
  hard: {pods: "2", requests.cpu: "4", limits.memory: 8Gi}
  used: {pods: "1", requests.cpu: 500m, limits.memory: 1Gi}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: best-effort}
spec:
  hard: {pods: "10"}
  scopes: [BestEffort]
---
apiVersion: v1
kind: LimitRange
metadata: {name: limits}
spec:
  limits:
  - {type: Container, max: {cpu: "1"}, default: {cpu: 500m, memory: 256Mi}, defaultRequest: {cpu: 100m, memory: 256Mi}}
  - {type: Pod, max: {memory: 1Gi}}
`

func TestGetQuotaAndLimits(t *testing.T) {
	f := newFakeServer(t)
	f.seed(fixtureQuotas)
	out := mustRun(t, f, "get", "quota")
	want := "" +
		"NAME            AGE   REQUEST                           LIMIT\n" +
		"best-effort     4h    pods: 0/10                        \n" +
		"compute-quota   4h    pods: 1/2, requests.cpu: 500m/4   limits.memory: 1Gi/8Gi\n"
	if out != want {
		t.Errorf("get quota:\n%s\nwant:\n%s", out, want)
	}
	out = mustRun(t, f, "get", "limits")
	if !regexp.MustCompile(`^NAME     CREATED AT\nlimits   \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$`).MatchString(out) {
		t.Errorf("get limits:\n%s", out)
	}
}

func TestDescribeQuotaAndLimits(t *testing.T) {
	f := newFakeServer(t)
	f.seed(fixtureQuotas)
	tests := []struct {
		name string
		args []string
		want []string // lines that must appear, in this order
	}{
		{"quota", []string{"describe", "quota", "compute-quota"}, []string{
			"Name:", "compute-quota",
			"Namespace:", "default",
			"\nResource       Used  Hard\n",
			"--------       ----  ----\n",
			"limits.memory  1Gi   8Gi\n",
			"pods           1     2\n",
			"requests.cpu   500m  4\n",
		}},
		{"scoped quota before its status", []string{"describe", "resourcequota/best-effort"}, []string{
			"Scopes:", "BestEffort",
			" * Matches all pods that do not have resource requirements set.",
			"Resource", "Used", "Hard", "pods", "0", "10",
		}},
		{"limit range", []string{"describe", "limitrange", "limits"}, []string{
			"\nType       Resource  Min  Max  Default Request  Default Limit  Max Limit/Request Ratio",
			"----       --------  ---  ---  ---------------  -------------  -----------------------",
			"Container  cpu       -    1    100m             500m           -",
			"Container  memory    -    -    256Mi            256Mi          -",
			"Pod        memory    -    1Gi  -                -              -",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := mustRun(t, f, tt.args...)
			rest := out
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("%q missing (or out of order) in:\n%s", w, out)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}
