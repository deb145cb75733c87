package cli

import (
	"regexp"
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
	checkTables(t, f, []tableCase{
		{"quota", []string{"get", "quota"}, "" +
			"NAME            AGE   REQUEST                           LIMIT\n" +
			"best-effort     4h    pods: 0/10                        \n" +
			"compute-quota   4h    pods: 1/2, requests.cpu: 500m/4   limits.memory: 1Gi/8Gi\n"},
	})
	out := mustRun(t, f, "get", "limits")
	if !regexp.MustCompile(`^NAME     CREATED AT\nlimits   \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$`).MatchString(out) {
		t.Errorf("get limits:\n%s", out)
	}
}

func TestDescribeQuotaAndLimits(t *testing.T) {
	f := newFakeServer(t)
	f.seed(fixtureQuotas)
	checkDescribes(t, f, []describeCase{
		{"quota", []string{"describe", "quota", "compute-quota"}, []string{
			"Name:", "compute-quota",
			"Namespace:", "default",
			"\nResource       Used  Hard\n",
			"--------       ----  ----\n",
			"limits.memory  1Gi   8Gi\n",
			"pods           1     2\n",
			"requests.cpu   500m  4\n",
		}, nil},
		{"scoped quota before its status", []string{"describe", "resourcequota/best-effort"}, []string{
			"Scopes:", "BestEffort",
			" * Matches all pods that do not have resource requirements set.",
			"Resource", "Used", "Hard", "pods", "0", "10",
		}, nil},
		{"limit range", []string{"describe", "limitrange", "limits"}, []string{
			"\nType       Resource  Min  Max  Default Request  Default Limit  Max Limit/Request Ratio",
			"----       --------  ---  ---  ---------------  -------------  -----------------------",
			"Container  cpu       -    1    100m             500m           -",
			"Container  memory    -    -    256Mi            256Mi          -",
			"Pod        memory    -    1Gi  -                -              -",
		}, nil},
	})
}
