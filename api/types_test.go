package api

import (
	"strings"
	"testing"
)

func TestRegistry(t *testing.T) {
	tests := []struct {
		name, kind, apiVersion, collection string
		namespaced                         bool
	}{
		{"cm", "ConfigMap", "v1", "/api/v1/namespaces/ns/configmaps", true},
		{"ns", "Namespace", "v1", "/api/v1/namespaces", false},
		{"po", "Pod", "v1", "/api/v1/namespaces/ns/pods", true},
		{"no", "Node", "v1", "/api/v1/nodes", false},
		{"svc", "Service", "v1", "/api/v1/namespaces/ns/services", true},
		{"ep", "Endpoints", "v1", "/api/v1/namespaces/ns/endpoints", true},
		{"ev", "Event", "v1", "/api/v1/namespaces/ns/events", true},
		{"secrets", "Secret", "v1", "/api/v1/namespaces/ns/secrets", true},
		{"rs", "ReplicaSet", "apps/v1", "/apis/apps/v1/namespaces/ns/replicasets", true},
		{"deploy", "Deployment", "apps/v1", "/apis/apps/v1/namespaces/ns/deployments", true},
		{"Deployments.apps", "Deployment", "apps/v1", "/apis/apps/v1/namespaces/ns/deployments", true},
		{"sts", "StatefulSet", "apps/v1", "/apis/apps/v1/namespaces/ns/statefulsets", true},
		{"ds", "DaemonSet", "apps/v1", "/apis/apps/v1/namespaces/ns/daemonsets", true},
		{"jobs", "Job", "batch/v1", "/apis/batch/v1/namespaces/ns/jobs", true},
		{"job.batch", "Job", "batch/v1", "/apis/batch/v1/namespaces/ns/jobs", true},
		{"pc", "PriorityClass", "scheduling.k8s.io/v1", "/apis/scheduling.k8s.io/v1/priorityclasses", false},
		{"priorityclasses.scheduling.k8s.io", "PriorityClass", "scheduling.k8s.io/v1", "/apis/scheduling.k8s.io/v1/priorityclasses", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := ResourceForName(tt.name)
			if !ok {
				t.Fatalf("%q not found", tt.name)
			}
			if r.Kind != tt.kind || r.APIVersion() != tt.apiVersion || r.Namespaced != tt.namespaced || r.CollectionPath("ns") != tt.collection {
				t.Errorf("got %s %s %v %s", r.Kind, r.APIVersion(), r.Namespaced, r.CollectionPath("ns"))
			}
			if byPath, _ := ResourceForPath(r.Group, r.Plural); byPath != r {
				t.Error("ResourceForPath disagrees")
			}
			obj := r.New()
			if obj.GetTypeMeta().Kind != r.Kind || obj.GetTypeMeta().APIVersion != r.APIVersion() {
				t.Errorf("New() TypeMeta = %+v", obj.GetTypeMeta())
			}
			if back, _ := ResourceForObject(obj); back != r {
				t.Error("ResourceForObject disagrees")
			}
		})
	}
}

// A pod as `kubectl get pod -o yaml` prints it, status and managedFields included.
const kubectlPod = `apiVersion: v1
kind: Pod
metadata:
  creationTimestamp: "2024-05-01T10:00:00Z"
  generateName: web-7c5ddbdf54-
  labels: {app: web, pod-template-hash: 7c5ddbdf54}
  managedFields:
  - apiVersion: v1
    fieldsType: FieldsV1
    fieldsV1: {"f:metadata": {}}
    manager: kube-controller-manager
    operation: Update
    time: "2024-05-01T10:00:00Z"
  name: web-7c5ddbdf54-x2x9q
  namespace: default
  ownerReferences:
  - {apiVersion: apps/v1, blockOwnerDeletion: true, controller: true, kind: ReplicaSet, name: web-7c5ddbdf54, uid: 3b1c}
  resourceVersion: "1234"
  uid: 9f1e
spec:
  containers:
  - image: nginx:1.25
    imagePullPolicy: IfNotPresent
    name: nginx
    resources: {}
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: File
    volumeMounts:
    - {mountPath: /var/run/secrets/kubernetes.io/serviceaccount, name: kube-api-access-abcde, readOnly: true}
  dnsPolicy: ClusterFirst
  enableServiceLinks: true
  nodeName: node-1
  preemptionPolicy: PreemptLowerPriority
  priority: 0
  restartPolicy: Always
  schedulerName: default-scheduler
  securityContext: {}
  serviceAccount: default
  serviceAccountName: default
  terminationGracePeriodSeconds: 30
  tolerations:
  - {effect: NoExecute, key: node.kubernetes.io/not-ready, operator: Exists, tolerationSeconds: 300}
  volumes:
  - name: kube-api-access-abcde
    projected:
      defaultMode: 420
      sources:
      - serviceAccountToken: {expirationSeconds: 3607, path: token}
      - configMap:
          items: [{key: ca.crt, path: ca.crt}]
          name: kube-root-ca.crt
      - downwardAPI:
          items:
          - fieldRef: {apiVersion: v1, fieldPath: metadata.namespace}
            path: namespace
status:
  conditions:
  - {lastProbeTime: null, lastTransitionTime: "2024-05-01T10:00:02Z", status: "True", type: Ready}
  containerStatuses:
  - containerID: docker://abc
    image: nginx:1.25
    imageID: docker-pullable://nginx@sha256:0d17
    lastState: {}
    name: nginx
    ready: true
    restartCount: 0
    started: true
    state:
      running: {startedAt: "2024-05-01T10:00:01Z"}
  - name: old
    image: x
    imageID: ""
    ready: false
    restartCount: 2
    state:
      terminated: {exitCode: 137, signal: 9, reason: OOMKilled, startedAt: "2024-05-01T10:00:01Z", finishedAt: "2024-05-01T10:00:05Z", containerID: docker://def}
  hostIP: 192.168.1.10
  hostIPs: [{ip: 192.168.1.10}]
  phase: Running
  podIP: 10.244.1.7
  podIPs: [{ip: 10.244.1.7}]
  qosClass: BestEffort
  startTime: "2024-05-01T10:00:00Z"
`

func TestKubectlOutputApplies(t *testing.T) {
	pod := mustDecode(t, kubectlPod).(*Pod)
	if err := Validate(pod); err != nil {
		t.Fatal(err)
	}
	if pod.Status.ContainerStatuses[1].State.Terminated.ExitCode != 137 || pod.Status.PodIPs[0].IP != "10.244.1.7" {
		t.Errorf("status decoded wrong: %+v", pod.Status)
	}
	if !strings.Contains(strings.Join(Warnings(pod), ","), "spec.volumes[0].projected") {
		t.Errorf("projected volume not warned: %v", Warnings(pod))
	}
}

func TestEventDecode(t *testing.T) {
	ev := mustDecode(t, `apiVersion: v1
kind: Event
metadata: {name: web.17a, namespace: default}
involvedObject: {kind: Pod, name: web, namespace: default, uid: u1, apiVersion: v1, fieldPath: "spec.containers{nginx}"}
reason: Pulled
message: Successfully pulled image
source: {component: kubelet, host: node-1}
firstTimestamp: "2024-05-01T10:00:00Z"
lastTimestamp: "2024-05-01T10:00:03Z"
count: 2
type: Normal
eventTime: "2024-05-01T10:00:00.123456Z"
series: {count: 2, lastObservedTime: "2024-05-01T10:00:03.5Z"}
action: Pulling
reportingComponent: kubelet
reportingInstance: node-1
`).(*Event)
	if err := Validate(ev); err != nil {
		t.Fatal(err)
	}
	b, _ := Encode(ev)
	for _, want := range []string{`"eventTime":"2024-05-01T10:00:00.123456Z"`, `"lastObservedTime":"2024-05-01T10:00:03.500000Z"`, `"count":2`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("encoding lacks %s: %s", want, b)
		}
	}
	if _, _, err := DecodeObject([]byte("apiVersion: v1\nkind: Event\nmetadata: {name: e}\neventTime: yesterday\n")); err == nil ||
		!strings.Contains(err.Error(), "eventTime") {
		t.Errorf("bad eventTime: %v", err)
	}
}
