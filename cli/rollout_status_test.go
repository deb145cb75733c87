package cli

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/berth-dev/berth/api"
)

// rolloutDeployment is a deployment of 10 whose rollout has 2 new replicas so far.
const rolloutDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, uid: dep-uid, generation: 2}
spec:
  replicas: 10
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: nginx:2}]}
status: {observedGeneration: 2, replicas: 12, updatedReplicas: 2, availableReplicas: 10}
`

func TestRolloutStatusFollowsProgress(t *testing.T) {
	lf := newLiveFake(t, rolloutDeployment)
	run := startBerth(t, lf.url, "rollout", "status", "deployment/web", "--timeout", "30s")
	waitFor(t, "rollout status to watch", func() bool { return lf.watching() > 0 })
	for _, st := range []api.DeploymentStatus{
		{ObservedGeneration: 2, Replicas: 11, UpdatedReplicas: 10, AvailableReplicas: 9},
		{ObservedGeneration: 2, Replicas: 10, UpdatedReplicas: 10, AvailableReplicas: 8},
		{ObservedGeneration: 2, Replicas: 10, UpdatedReplicas: 10, AvailableReplicas: 8}, // no news: no line
		{ObservedGeneration: 2, Replicas: 10, UpdatedReplicas: 10, AvailableReplicas: 10},
	} {
		lf.setDeploymentStatus(t, "web", st)
	}
	r := run.wait(t)
	want := "" +
		"Waiting for deployment \"web\" rollout to finish: 2 out of 10 new replicas have been updated...\n" +
		"Waiting for deployment \"web\" rollout to finish: 1 old replicas are pending termination...\n" +
		"Waiting for deployment \"web\" rollout to finish: 8 of 10 updated replicas are available...\n" +
		"deployment \"web\" successfully rolled out\n"
	if r.code != 0 || r.stdout != want || r.stderr != "" {
		t.Errorf("exit %d stderr %q stdout:\n%s\nwant:\n%s", r.code, r.stderr, r.stdout, want)
	}
}

func TestRolloutStatusDeadlineWhileWatching(t *testing.T) {
	lf := newLiveFake(t, rolloutDeployment)
	run := startBerth(t, lf.url, "rollout", "status", "deploy", "web")
	waitFor(t, "rollout status to watch", func() bool { return lf.watching() > 0 })
	lf.setDeploymentStatus(t, "web", api.DeploymentStatus{
		ObservedGeneration: 2, Replicas: 12, UpdatedReplicas: 2, AvailableReplicas: 10,
		Conditions: []api.DeploymentCondition{{Type: api.DeploymentProgressing, Status: "False",
			Reason: "ProgressDeadlineExceeded"}},
	})
	r := run.wait(t)
	if r.code != 1 || r.stderr != "error: deployment \"web\" exceeded its progress deadline\n" {
		t.Errorf("exit %d stderr %q stdout %q", r.code, r.stderr, r.stdout)
	}
}

func TestRolloutStatusOnce(t *testing.T) {
	done := strings.Replace(rolloutDeployment, "replicas: 12, updatedReplicas: 2", "replicas: 10, updatedReplicas: 10", 1)
	unobserved := strings.Replace(rolloutDeployment, "observedGeneration: 2", "observedGeneration: 1", 1)
	deadline := strings.Replace(rolloutDeployment, "availableReplicas: 10}",
		"availableReplicas: 10, conditions: [{type: Progressing, status: \"False\", reason: ProgressDeadlineExceeded}]}", 1)
	tests := []struct {
		name, manifest string
		args           []string
		wantCode       int
		wantOut        string
		wantErr        string
	}{
		{"rolled out", done, nil, 0, "deployment \"web\" successfully rolled out\n", ""},
		{"no watch", rolloutDeployment, []string{"--watch=false"}, 0,
			"Waiting for deployment \"web\" rollout to finish: 2 out of 10 new replicas have been updated...\n", ""},
		{"unobserved", unobserved, []string{"--watch=false"}, 0, "Waiting for deployment spec update to be observed...\n", ""},
		{"deadline", deadline, nil, 1, "", "error: deployment \"web\" exceeded its progress deadline\n"},
		{"timeout", rolloutDeployment, []string{"--timeout", "300ms"}, 1,
			"Waiting for deployment \"web\" rollout to finish: 2 out of 10 new replicas have been updated...\n",
			"error: timed out waiting for the condition\n"},
		{"not found", rolloutDeployment, []string{"deployment/nope"}, 1, "",
			"Error from server (NotFound): deployments \"nope\" not found\n"},
		{"wrong kind", rolloutDeployment, []string{"rs/web"}, 1, "",
			"error: bad usage: rollout status works on deployments, statefulsets, daemonsets, not replicasets\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lf := newLiveFake(t, tt.manifest)
			args := []string{"rollout", "status"}
			if len(tt.args) == 0 || strings.HasPrefix(tt.args[0], "-") {
				args = append(args, "deployment/web")
			}
			r := runBerth(t, lf.fakeServer, "", append(args, tt.args...)...)
			if r.code != tt.wantCode || r.stdout != tt.wantOut || r.stderr != tt.wantErr {
				t.Errorf("exit %d stdout %q stderr %q\nwant %d %q %q", r.code, r.stdout, r.stderr,
					tt.wantCode, tt.wantOut, tt.wantErr)
			}
		})
	}
}

func TestStatusViewers(t *testing.T) {
	tests := []struct {
		name     string
		view     statusViewer
		u        string
		wantMsg  string
		wantDone bool
		wantErr  error
	}{
		{"deployment extra replicas", deploymentRolloutStatus,
			`{"metadata":{"name":"web"},"spec":{"replicas":2},"status":{"replicas":3,"updatedReplicas":3,"availableReplicas":3}}`,
			"Waiting for deployment \"web\" rollout to finish: 1 extra replicas are pending termination...\n", false, nil},
		{"deployment default replicas", deploymentRolloutStatus,
			`{"metadata":{"name":"web"},"spec":{},"status":{"replicas":1,"updatedReplicas":1,"availableReplicas":1}}`,
			"deployment \"web\" successfully rolled out\n", true, nil},
		{"statefulset unobserved", statefulSetRolloutStatus,
			`{"metadata":{"name":"db","generation":2},"spec":{"replicas":3},"status":{"observedGeneration":1}}`,
			"Waiting for statefulset spec update to be observed...\n", false, nil},
		{"statefulset not ready", statefulSetRolloutStatus,
			`{"metadata":{"name":"db","generation":1},"spec":{"replicas":3},"status":{"observedGeneration":1,"readyReplicas":1}}`,
			"Waiting for 2 pods to be ready...\n", false, nil},
		{"statefulset updating", statefulSetRolloutStatus,
			`{"metadata":{"name":"db","generation":1},"spec":{"replicas":3},"status":{"observedGeneration":1,"readyReplicas":3,` +
				`"updatedReplicas":1,"currentRevision":"db-1","updateRevision":"db-2"}}`,
			"waiting for statefulset rolling update to complete 1 pods at revision db-2...\n", false, nil},
		{"statefulset done", statefulSetRolloutStatus,
			`{"metadata":{"name":"db","generation":1},"spec":{"replicas":3},"status":{"observedGeneration":1,"readyReplicas":3,` +
				`"currentReplicas":3,"updatedReplicas":3,"currentRevision":"db-2","updateRevision":"db-2"}}`,
			"statefulset rolling update complete 3 pods at revision db-2...\n", true, nil},
		{"statefulset partition", statefulSetRolloutStatus,
			`{"metadata":{"name":"db","generation":1},"spec":{"replicas":3,"updateStrategy":{"type":"RollingUpdate",` +
				`"rollingUpdate":{"partition":2}}},"status":{"observedGeneration":1,"readyReplicas":3,"updatedReplicas":1}}`,
			"partitioned roll out complete: 1 new pods have been updated...\n", true, nil},
		{"statefulset on delete", statefulSetRolloutStatus,
			`{"metadata":{"name":"db"},"spec":{"updateStrategy":{"type":"OnDelete"}}}`, "", false, ErrUsage},
		{"daemonset updating", daemonSetRolloutStatus,
			`{"metadata":{"name":"agent","generation":3},"status":{"observedGeneration":3,"desiredNumberScheduled":4,` +
				`"updatedNumberScheduled":1}}`,
			"Waiting for daemon set \"agent\" rollout to finish: 1 out of 4 new pods have been updated...\n", false, nil},
		{"daemonset available", daemonSetRolloutStatus,
			`{"metadata":{"name":"agent"},"status":{"desiredNumberScheduled":4,"updatedNumberScheduled":4,"numberAvailable":3}}`,
			"Waiting for daemon set \"agent\" rollout to finish: 3 of 4 updated pods are available...\n", false, nil},
		{"daemonset done", daemonSetRolloutStatus,
			`{"metadata":{"name":"agent"},"status":{"desiredNumberScheduled":4,"updatedNumberScheduled":4,"numberAvailable":4}}`,
			"daemon set \"agent\" successfully rolled out\n", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, done, err := tt.view(mustFields(t, tt.u))
			if msg != tt.wantMsg || done != tt.wantDone || !errors.Is(err, tt.wantErr) {
				t.Errorf("got %q %v %v, want %q %v %v", msg, done, err, tt.wantMsg, tt.wantDone, tt.wantErr)
			}
		})
	}
}

func mustFields(t *testing.T, s string) fields {
	t.Helper()
	var u fields
	if err := json.Unmarshal([]byte(s), &u); err != nil {
		t.Fatal(err)
	}
	return u
}

// workloadFixtures are a StatefulSet and a DaemonSet midway through their rollouts.
var workloadFixtures = []string{`
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, generation: 1}
spec:
  replicas: 2
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: postgres}]}
status: {observedGeneration: 1, replicas: 2, readyReplicas: 1, currentRevision: db-1, updateRevision: db-2}
`, `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, generation: 4}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: busybox}]}
status: {observedGeneration: 4, desiredNumberScheduled: 3, currentNumberScheduled: 3, numberMisscheduled: 0,
  numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2}
`}

func TestRolloutOtherKinds(t *testing.T) {
	lf := newLiveFake(t, workloadFixtures...)
	run := startBerth(t, lf.url, "rollout", "status", "sts/db", "--timeout", "30s")
	waitFor(t, "rollout status to watch", func() bool { return lf.watching() > 0 })
	lf.setStatus(t, "StatefulSet", "db", `{"observedGeneration":1,"replicas":2,"readyReplicas":2,"availableReplicas":2,
		"updatedReplicas":1,"currentRevision":"db-1","updateRevision":"db-2"}`)
	lf.setStatus(t, "StatefulSet", "db", `{"observedGeneration":1,"replicas":2,"readyReplicas":2,"availableReplicas":2,
		"currentReplicas":2,"updatedReplicas":2,"currentRevision":"db-2","updateRevision":"db-2"}`)
	r := run.wait(t)
	want := "Waiting for 1 pods to be ready...\n" +
		"waiting for statefulset rolling update to complete 1 pods at revision db-2...\n" +
		"statefulset rolling update complete 2 pods at revision db-2...\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("sts status: exit %d stderr %q stdout:\n%s\nwant:\n%s", r.code, r.stderr, r.stdout, want)
	}

	steps := []struct {
		args    []string
		wantOut string
	}{
		{[]string{"rollout", "status", "daemonset/agent", "--watch=false"},
			"Waiting for daemon set \"agent\" rollout to finish: 2 of 3 updated pods are available...\n"},
		{[]string{"rollout", "restart", "ds/agent", "sts/db"}, "daemonset.apps/agent restarted\nstatefulset.apps/db restarted\n"},
		{[]string{"scale", "statefulset/db", "--replicas", "5"}, "statefulset.apps/db scaled\n"},
	}
	for _, s := range steps {
		if got := mustRun(t, lf.fakeServer, s.args...); got != s.wantOut {
			t.Errorf("berth %v printed %q, want %q", s.args, got, s.wantOut)
		}
	}
	for _, plural := range []string{"daemonsets", "statefulsets"} {
		name := map[string]string{"daemonsets": "agent", "statefulsets": "db"}[plural]
		if lf.object(plural, "default", name).str("spec", "template", "metadata", "annotations", restartedAtAnnotation) == "" {
			t.Errorf("%s/%s has no restartedAt annotation", plural, name)
		}
	}
	if got := lf.object("statefulsets", "default", "db").num("spec", "replicas"); got != 5 {
		t.Errorf("statefulset replicas = %d, want 5", got)
	}
}
