package cli

import (
	"strings"
	"testing"
)

// Objects of the kinds table_workloads2.go prints, with the pods they own.
const (
	fixtureStatefulSet = `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, uid: sts-uid}
spec:
  replicas: 3
  serviceName: web
  selector: {matchLabels: {app: db}}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 1}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: "postgres:16"}, {name: exporter, image: exporter}]}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], storageClassName: fast, resources: {requests: {storage: 1Gi}}}
status: {replicas: 3, readyReplicas: 2, availableReplicas: 2}
`
	fixtureStatefulSetPods = `
apiVersion: v1
kind: Pod
metadata:
  name: web-0
  labels: {app: db}
  ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: web, uid: sts-uid, controller: true}]
spec: {containers: [{name: db, image: "postgres:16"}]}
status: {phase: Running}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-1
  labels: {app: db}
  ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: web, uid: sts-uid, controller: true}]
spec: {containers: [{name: db, image: "postgres:16"}]}
status: {phase: Pending}
---
apiVersion: v1
kind: Pod
metadata: {name: stray, labels: {app: db}}
spec: {containers: [{name: db, image: "postgres:16"}]}
status: {phase: Running}
`
	fixtureDaemonSet = `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {nodeSelector: {role: worker}, containers: [{name: agent, image: "agent:1"}]}
status: {desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2, numberMisscheduled: 1}
`
	fixtureJobs = `
apiVersion: batch/v1
kind: Job
metadata: {name: pi}
spec:
  completions: 1
  backoffLimit: 4
  manualSelector: true
  selector: {matchLabels: {job: pi}}
  template:
    metadata: {labels: {job: pi}}
    spec: {restartPolicy: Never, containers: [{name: pi, image: "perl:5.34"}]}
status:
  startTime: "2024-05-01T10:00:00Z"
  completionTime: "2024-05-01T10:00:11Z"
  succeeded: 1
  conditions: [{type: Complete, status: "True"}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: work}
spec:
  parallelism: 2
  manualSelector: true
  selector: {matchLabels: {job: work}}
  template:
    metadata: {labels: {job: work}}
    spec: {restartPolicy: OnFailure, containers: [{name: w, image: worker}]}
status: {active: 2, ready: 1}
`
	fixturePriorityClass = `
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 1000
description: For the pods that matter.
`
)

func workloadsFake(t *testing.T) *fakeServer {
	t.Helper()
	f := newFakeServer(t)
	f.seed(fixtureStatefulSet, fixtureStatefulSetPods, fixtureDaemonSet, fixtureJobs, fixturePriorityClass)
	return f
}

func TestGetWorkloadTables(t *testing.T) {
	f := workloadsFake(t)
	checkTables(t, f, []tableCase{
		{"statefulsets", []string{"get", "sts"}, "" +
			"NAME   READY   AGE\n" +
			"web    2/3     4h\n"},
		{"statefulsets wide", []string{"get", "statefulsets", "-o", "wide"}, "" +
			"NAME   READY   AGE   CONTAINERS    IMAGES\n" +
			"web    2/3     4h    db,exporter   postgres:16,exporter\n"},
		{"daemonsets", []string{"get", "ds"}, "" +
			"NAME    DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR   AGE\n" +
			"agent   3         3         2       3            2           role=worker     4h\n"},
		{"daemonsets wide", []string{"get", "ds", "-o", "wide"}, "" +
			"NAME    DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR   AGE   CONTAINERS   IMAGES    SELECTOR\n" +
			"agent   3         3         2       3            2           role=worker     4h    agent        agent:1   app=agent\n"},
		{"jobs", []string{"get", "jobs"}, "" +
			"NAME   STATUS     COMPLETIONS   DURATION   AGE\n" +
			"pi     Complete   1/1           11s        4h\n" +
			"work   Running    0/1 of 2                 4h\n"},
		{"priorityclasses", []string{"get", "pc"}, "" +
			"NAME   VALUE   GLOBAL-DEFAULT   AGE   PREEMPTIONPOLICY\n" +
			"high   1000    false            4h    PreemptLowerPriority\n"},
		{"qualified names", []string{"get", "job.batch/pi", "priorityclass/high", "-o", "name"}, "" +
			"job.batch/pi\n" +
			"priorityclass.scheduling.k8s.io/high\n"},
	})
}

func TestDescribeWorkloads(t *testing.T) {
	f := workloadsFake(t)
	checkDescribes(t, f, []describeCase{
		{"statefulset", []string{"describe", "sts", "web"}, []string{
			"Selector:", "app=db", "Replicas:", "3 desired | 3 total", "Update Strategy:", "RollingUpdate", "Partition:", "1",
			"Pods Status:", "1 Running / 1 Waiting / 0 Succeeded / 0 Failed", "Pod Template:", "postgres:16",
			"Volume Claims:", "Name:", "data", "StorageClass:", "fast", "Capacity:", "1Gi", "Access Modes:", "[ReadWriteOnce]", "Events:",
		}, nil},
		{"daemonset", []string{"describe", "ds/agent"}, []string{
			"Selector:", "app=agent", "Node-Selector:", "role=worker", "Desired Number of Nodes Scheduled:", "3",
			"Current Number of Nodes Scheduled:", "3", "Number of Nodes Scheduled with Up-to-date Pods:", "3",
			"Number of Nodes Scheduled with Available Pods:", "2", "Number of Nodes Misscheduled:", "1",
			"Pods Status:", "0 Running / 0 Waiting / 0 Succeeded / 0 Failed", "Pod Template:", "agent:1",
		}, nil},
		{"job", []string{"describe", "job", "pi"}, []string{
			"Selector:", "job=pi", "Parallelism:", "<unset>", "Completions:", "1", "Completion Mode:", "NonIndexed",
			"Suspend:", "false", "Backoff Limit:", "4", "Start Time:", "Completed At:", "Duration:", "11s",
			"Pods Statuses:", "0 Active (0 Ready) / 1 Succeeded / 0 Failed", "Pod Template:", "perl:5.34",
			"Conditions:", "Complete", "True",
		}, nil},
		{"running job", []string{"describe", "job", "work"}, []string{
			"Parallelism:", "2", "Completions:", "<unset>", "Pods Statuses:", "2 Active (1 Ready) / 0 Succeeded / 0 Failed",
		}, nil},
		{"priorityclass", []string{"describe", "pc", "high"}, []string{
			"Name:", "high", "Value:", "1000", "GlobalDefault:", "false", "PreemptionPolicy:", "PreemptLowerPriority",
			"Description:", "For the pods that matter.", "Events:",
		}, nil},
	})
	if out := mustRun(t, f, "describe", "pc", "high"); strings.Contains(out, "Namespace:") {
		t.Errorf("a cluster-scoped class shows a namespace:\n%s", out)
	}
}
