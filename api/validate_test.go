package api

import (
	"strings"
	"testing"
)

// mustDecode decodes one YAML document or fails the test.
func mustDecode(t *testing.T, doc string) Object {
	t.Helper()
	obj, _, err := DecodeObject([]byte(doc))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return obj
}

const podHead = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: default}\nspec:\n"
const deployHead = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: default}\nspec:\n"

func TestValidate(t *testing.T) {
	checkValidate(t, []validateCase{
		{"bad configmap name", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name, namespace: default}\n",
			[]string{`ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of`}},
		{"long name", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + strings.Repeat("a", 254) + ", namespace: default}\n",
			[]string{"must be no more than 253 characters"}},
		{"namespace name is a label", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a.b}\n", []string{"RFC 1123 label"}},
		{"service name is a DNS-1035 label", "apiVersion: v1\nkind: Service\nmetadata: {name: 1svc, namespace: default}\nspec: {ports: [{port: 80}]}\n",
			[]string{`metadata.name: Invalid value: "1svc": a DNS-1035 label`}},
		{"missing name", "apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: default}\n", []string{"metadata.name: Required value"}},
		{"generateName is enough", "apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: x-, namespace: default}\n", nil},
		{"namespaced kind needs a namespace", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", []string{"metadata.namespace: Required value"}},
		{"cluster kind refuses one", "apiVersion: v1\nkind: Node\nmetadata: {name: node1, namespace: default}\n",
			[]string{"metadata.namespace: Forbidden: not allowed on this type"}},
		{"label key and value", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: default\n  labels: {\"-bad\": ok, good: \"bad value\", \"example.com/ok\": \"\"}\n",
			[]string{`metadata.labels: Invalid value: "-bad"`, `metadata.labels: Invalid value: "bad value"`}},
		{"annotations too large", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: default\n  annotations: {a: " + strings.Repeat("x", 256*1024) + "}\n",
			[]string{"metadata.annotations: Too long: must have at most 262144 bytes"}},
		{"several errors in brackets", podHead + "  containers: [{name: c}]\n  restartPolicy: Sometimes\n",
			[]string{`Pod "p" is invalid: [spec.containers[0].image: Required value, spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"]`}},
		{"no containers", podHead + "  containers: []\n", []string{"spec.containers: Required value"}},
		{"duplicate container names across init", podHead + "  initContainers: [{name: c, image: i}]\n  containers: [{name: c, image: i}]\n",
			[]string{`spec.containers[0].name: Duplicate value: "c"`}},
		{"container name is a label", podHead + "  containers: [{name: C_1, image: i}]\n", []string{`spec.containers[0].name: Invalid value: "C_1"`}},
		{"ports", podHead + "  containers: [{name: c, image: i, ports: [{containerPort: 0}, {containerPort: 70000, protocol: tcp, hostPort: -1}]}]\n",
			[]string{"spec.containers[0].ports[0].containerPort: Required value",
				"spec.containers[0].ports[1].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
				"spec.containers[0].ports[1].hostPort: Invalid value: -1",
				`spec.containers[0].ports[1].protocol: Unsupported value: "tcp"`}},
		{"limits below requests", podHead + "  containers: [{name: c, image: i, resources: {requests: {cpu: 500m, memory: 1Gi}, limits: {cpu: 250m, memory: 2Gi}}}]\n",
			[]string{`spec.containers[0].resources.requests: Invalid value: "500m": must be less than or equal to cpu limit of 250m`}},
		{"volumes", podHead + "  volumes: [{name: a, emptyDir: {}}, {name: a, secret: {}}, {name: b, emptyDir: {}, hostPath: {path: /x}}]\n" +
			"  containers: [{name: c, image: i, volumeMounts: [{name: missing, mountPath: /m}, {name: a, mountPath: /m}]}]\n",
			[]string{`spec.volumes[1].name: Duplicate value: "a"`, "spec.volumes[1].secret.secretName: Required value",
				"spec.volumes[2]: Forbidden: may not specify more than 1 volume type",
				`spec.containers[0].volumeMounts[0].name: Not found: "missing"`,
				`spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/m": must be unique`}},
		{"probe without handler", podHead + "  containers: [{name: c, image: i, livenessProbe: {periodSeconds: 5, successThreshold: 2}}]\n",
			[]string{"spec.containers[0].livenessProbe: Required value: must specify a handler type",
				"spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1"}},
		{"env", podHead + "  containers: [{name: c, image: i, env: [{name: 1X}, {name: A, value: v, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]}]\n",
			[]string{`spec.containers[0].env[0].name: Invalid value: "1X"`, "spec.containers[0].env[1].valueFrom: Invalid value: \"\": may not be specified when `value` is not empty"}},
		{"tolerations", podHead + "  containers: [{name: c, image: i}]\n  tolerations: [{operator: Equal, value: x}, {key: k, operator: Exists, value: v, effect: Sometimes}]\n",
			[]string{"spec.tolerations[0].operator", "spec.tolerations[1].operator", `spec.tolerations[1].effect: Unsupported value: "Sometimes"`}},
		{"affinity", podHead + "  containers: [{name: c, image: i}]\n  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: Near}]}]\n    podAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution: [{weight: 0, podAffinityTerm: {topologyKey: \"\"}}]\n",
			[]string{"nodeSelectorTerms[0].matchExpressions[0].operator: Unsupported value: \"Near\"",
				"spec.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100",
				"podAffinityTerm.topologyKey: Required value"}},
		{"valid pod", podHead + "  containers: [{name: c, image: nginx, ports: [{containerPort: 80}]}]\n", nil},
		{"deployment selector required", deployHead + "  template: {metadata: {labels: {app: a}}, spec: {containers: [{name: c, image: i}]}}\n",
			[]string{"spec.selector: Required value"}},
		{"deployment selector must match", deployHead + "  replicas: -1\n  selector: {matchLabels: {app: b}}\n  template: {metadata: {labels: {app: a}}, spec: {containers: [{name: c, image: i}]}}\n",
			[]string{"spec.replicas: Invalid value: -1: must be greater than or equal to 0",
				"spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"a\"}: `selector` does not match template `labels`"}},
		{"template restartPolicy Always", deployHead + "  selector: {matchLabels: {app: a}}\n  template: {metadata: {labels: {app: a}}, spec: {restartPolicy: Never, containers: [{name: c, image: i}]}}\n",
			[]string{`spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"`}},
		{"strategy", deployHead + "  selector: {matchLabels: {app: a}}\n  strategy: {rollingUpdate: {maxSurge: 0, maxUnavailable: \"0%\"}}\n  template: {metadata: {labels: {app: a}}, spec: {containers: [{name: c, image: i}]}}\n",
			[]string{"spec.strategy.rollingUpdate.maxUnavailable: Invalid value: \"0%\": may not be 0 when `maxSurge` is 0"}},
		{"replicaset empty selector", "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: r, namespace: default}\nspec:\n  selector: {}\n  template: {spec: {containers: [{name: c, image: i}]}}\n",
			[]string{"spec.selector: Invalid value"}},
		{"service ports", "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: default}\nspec:\n  type: NodePort\n  ports: [{port: 80, nodePort: 70000}, {name: a, port: 0}, {name: a, port: 81, protocol: ICMP}]\n",
			[]string{"spec.ports[0].name: Required value", "spec.ports[0].nodePort: Invalid value: 70000: must be between 1 and 65535, inclusive",
				"spec.ports[1].port: Invalid value: 0", `spec.ports[2].name: Duplicate value: "a"`, `spec.ports[2].protocol: Unsupported value: "ICMP"`}},
		{"service type", "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: default}\nspec: {type: Magic, ports: [{port: 80}]}\n",
			[]string{`spec.type: Unsupported value: "Magic"`}},
		{"nodePort on ClusterIP", "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: default}\nspec: {ports: [{port: 80, nodePort: 30080}]}\n",
			[]string{"spec.ports[0].nodePort: Forbidden"}},
		{"ExternalName needs externalName", "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: default}\nspec: {type: ExternalName}\n",
			[]string{"spec.externalName: Required value"}},
		{"headless without ports", "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: default}\nspec: {clusterIP: None, selector: {app: a}}\n", nil},
		{"bad clusterIP", "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: default}\nspec: {clusterIP: nope, ports: [{port: 80}]}\n",
			[]string{`spec.clusterIP: Invalid value: "nope"`}},
		{"configmap keys", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\ndata: {\"a b\": x, \"..\": yy}\nbinaryData: {ok: eA==}\n",
			[]string{`data[a b]: Invalid value: "a b": a valid config key`, `data[..]: Invalid value: "..": must not be '..'`}},
		{"configmap too large", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\ndata: {a: " + strings.Repeat("x", 1<<20) + "}\n",
			[]string{"data: Too long: must have at most 1048576 bytes"}},
		{"tls secret keys", "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: default}\ntype: kubernetes.io/tls\nstringData: {tls.crt: x}\n",
			[]string{"data[tls.key]: Required value"}},
		{"node taints", "apiVersion: v1\nkind: Node\nmetadata: {name: node1}\nspec:\n  podCIDR: 10.244.1.0/24\n  taints: [{key: a, effect: NoSchedule}, {key: a, effect: NoSchedule}, {key: b, effect: Maybe}, {key: \"\", effect: NoExecute}]\n",
			[]string{`spec.taints[1]: Duplicate value: "a:NoSchedule"`, `spec.taints[2].effect: Unsupported value: "Maybe"`, "spec.taints[3].key: Required value"}},
		{"endpoints", "apiVersion: v1\nkind: Endpoints\nmetadata: {name: e, namespace: default}\nsubsets: [{addresses: [{ip: 10.0.0.1}, {ip: nope}], ports: [{port: 80}]}]\n",
			[]string{`subsets[0].addresses[1].ip: Invalid value: "nope"`}},
		{"event type", "apiVersion: v1\nkind: Event\nmetadata: {name: e, namespace: default}\ninvolvedObject: {kind: Pod, name: p, namespace: other}\ntype: Bad\nreportingComponent: \"\"\nreportingInstance: \"\"\n",
			[]string{"involvedObject.namespace: Invalid value", `type: Unsupported value: "Bad"`}},
	})
}

func TestValidateNil(t *testing.T) {
	if err := Validate(nil); ReasonOf(err) != ReasonBadRequest {
		t.Errorf("Validate(nil) = %v", err)
	}
	if err := Validate((*Pod)(nil)); ReasonOf(err) != ReasonBadRequest {
		t.Errorf("Validate(nil pod) = %v", err)
	}
}
