package api

import (
	"strings"
	"testing"
)

const quotaHead = "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q, namespace: default}\nspec:\n"
const limitsHead = "apiVersion: v1\nkind: LimitRange\nmetadata: {name: l, namespace: default}\nspec:\n"

func TestQuotaRegistry(t *testing.T) {
	tests := []struct{ name, kind, collection string }{
		{"quota", "ResourceQuota", "/api/v1/namespaces/ns/resourcequotas"},
		{"resourcequotas", "ResourceQuota", "/api/v1/namespaces/ns/resourcequotas"},
		{"limits", "LimitRange", "/api/v1/namespaces/ns/limitranges"},
		{"limitrange", "LimitRange", "/api/v1/namespaces/ns/limitranges"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := ResourceForName(tt.name)
			if !ok || r.Kind != tt.kind || r.CollectionPath("ns") != tt.collection || !r.Namespaced {
				t.Fatalf("ResourceForName(%q) = %+v, %v", tt.name, r, ok)
			}
		})
	}
	if r, _ := ResourceForKind("ResourceQuota"); !r.HasStatus {
		t.Error("ResourceQuota has a status subresource")
	}
}

func TestValidateQuotaKinds(t *testing.T) {
	checkValidate(t, []validateCase{
		{"counts and compute", quotaHead + "  hard: {pods: '2', requests.cpu: '4', limits.memory: 8Gi, services: '3', services.nodeports: '1', secrets: '10', configmaps: '5', count/deployments.apps: '2', count/jobs.batch: '1'}\n", nil},
		{"negative", quotaHead + "  hard: {cpu: '-1'}\n", []string{`spec.hard[cpu]: Invalid value: "-1": must be greater than or equal to 0`}},
		{"fractional count", quotaHead + "  hard: {pods: 1500m, count/secrets: 500m}\n",
			[]string{`spec.hard[count/secrets]: Invalid value: "500m": must be an integer`, `spec.hard[pods]: Invalid value: "1500m": must be an integer`}},
		{"unknown resource", quotaHead + "  hard: {podz: '1'}\n", []string{`spec.hard[podz]: Invalid value: "podz": must be a standard resource for quota`}},
		{"extended resource", quotaHead + "  hard: {requests.example.com/gpu: '2'}\n", nil},
		{"scopes", quotaHead + "  hard: {pods: '2', cpu: '1'}\n  scopes: [NotTerminating, NotBestEffort]\n", nil},
		{"unknown scope", quotaHead + "  hard: {pods: '2'}\n  scopes: [Sometimes]\n", []string{`spec.scopes[0]: Unsupported value: "Sometimes"`}},
		{"conflicting scopes", quotaHead + "  hard: {pods: '2'}\n  scopes: [Terminating, NotTerminating]\n",
			[]string{`spec.scopes: Invalid value: "Terminating,NotTerminating": conflicting scopes`}},
		{"best effort has no cpu", quotaHead + "  hard: {cpu: '1'}\n  scopes: [BestEffort]\n",
			[]string{"unsupported scope applied to resource cpu"}},
		{"scoped quota counts pods only", quotaHead + "  hard: {services: '1'}\n  scopes: [NotTerminating]\n",
			[]string{"unsupported scope applied to resource services"}},
		{"priority class selector", quotaHead + "  hard: {pods: '2'}\n  scopeSelector: {matchExpressions: [{scopeName: PriorityClass, operator: In, values: [high]}]}\n", nil},
		{"selector In needs values", quotaHead + "  hard: {pods: '2'}\n  scopeSelector: {matchExpressions: [{scopeName: PriorityClass, operator: In}]}\n",
			[]string{"spec.scopeSelector.matchExpressions[0].values: Required value"}},
		{"selector operator", quotaHead + "  hard: {pods: '2'}\n  scopeSelector: {matchExpressions: [{scopeName: BestEffort, operator: Maybe}]}\n",
			[]string{`spec.scopeSelector.matchExpressions[0].operator: Unsupported value: "Maybe"`}},

		{"limit range", limitsHead + "  limits:\n  - {type: Container, max: {cpu: '1'}, min: {cpu: 100m}, default: {cpu: 500m}, defaultRequest: {cpu: 200m}, maxLimitRequestRatio: {cpu: '4'}}\n  - {type: Pod, max: {memory: 2Gi}}\n", nil},
		{"type required", limitsHead + "  limits: [{max: {cpu: '1'}}]\n", []string{"spec.limits[0].type: Required value"}},
		{"type unsupported", limitsHead + "  limits: [{type: Node}]\n", []string{`spec.limits[0].type: Unsupported value: "Node"`}},
		{"type duplicate", limitsHead + "  limits: [{type: Container}, {type: Container}]\n", []string{`spec.limits[1].type: Duplicate value: "Container"`}},
		{"pod has no defaults", limitsHead + "  limits: [{type: Pod, default: {cpu: '1'}, defaultRequest: {cpu: '1'}}]\n",
			[]string{"spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'",
				"spec.limits[0].defaultRequest: Forbidden: may not be specified when `type` is 'Pod'"}},
		{"min above max", limitsHead + "  limits: [{type: Container, max: {cpu: 500m}, min: {cpu: '1'}}]\n",
			[]string{`spec.limits[0].min[cpu]: Invalid value: "1": min value 1 is greater than max value 500m`}},
		{"default above max", limitsHead + "  limits: [{type: Container, max: {memory: 1Gi}, default: {memory: 2Gi}}]\n",
			[]string{`spec.limits[0].default[memory]: Invalid value: "2Gi": default value 2Gi is greater than max value 1Gi`}},
		{"default request above default", limitsHead + "  limits: [{type: Container, default: {cpu: 100m}, defaultRequest: {cpu: 200m}}]\n",
			[]string{"default request value 200m is greater than default limit value 100m"}},
		{"ratio below one", limitsHead + "  limits: [{type: Container, maxLimitRequestRatio: {cpu: 500m}}]\n",
			[]string{`spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: "500m": ratio 500m is less than 1`}},
		{"unknown limit resource", limitsHead + "  limits: [{type: Container, max: {gpus: '1'}}]\n",
			[]string{`spec.limits[0].max[gpus]: Invalid value: "gpus": must be a standard limit type or fully qualified`}},
	})
}

func TestQuotaStrictDecoding(t *testing.T) {
	for name, doc := range map[string]string{
		"quota":       quotaHead + "  hardd: {pods: '1'}\n",
		"limit range": limitsHead + "  limits: [{type: Container, defaults: {cpu: '1'}}]\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := DecodeObject([]byte(doc))
			if err == nil || !strings.Contains(err.Error(), "unknown field") {
				t.Fatalf("error %v, want an unknown field", err)
			}
		})
	}
}

func TestQuotaScopeUpdateIsImmutable(t *testing.T) {
	old := mustDecode(t, quotaHead+"  hard: {pods: '2'}\n  scopes: [NotTerminating]\n")
	cur := mustDecode(t, quotaHead+"  hard: {pods: '3'}\n  scopes: [Terminating]\n")
	err := ValidateUpdate(old, cur)
	if err == nil || !strings.Contains(err.Error(), `spec.scopes: Invalid value: "Terminating": field is immutable`) {
		t.Fatalf("error %v, want scopes immutable", err)
	}
	cur = mustDecode(t, quotaHead+"  hard: {pods: '3'}\n  scopes: [NotTerminating]\n")
	if err := ValidateUpdate(old, cur); err != nil {
		t.Fatalf("changing hard: %v", err)
	}
}

func TestDefaultLimitRange(t *testing.T) {
	lr := mustDecode(t, limitsHead+"  limits:\n  - {type: Container, max: {cpu: '2', memory: 1Gi}, default: {cpu: '1'}, min: {memory: 64Mi}}\n  - {type: Pod, max: {cpu: '4'}}\n").(*LimitRange)
	Default(lr)
	Default(lr) // idempotent
	c := lr.Spec.Limits[0]
	if got := c.Default; got["cpu"].String() != "1" || got["memory"].String() != "1Gi" {
		t.Errorf("default = %v, want cpu 1 (given) and memory 1Gi (the max)", got)
	}
	if got := c.DefaultRequest; got["cpu"].String() != "1" || got["memory"].String() != "1Gi" {
		t.Errorf("defaultRequest = %v, want the default limits", got)
	}
	if p := lr.Spec.Limits[1]; p.Default != nil || p.DefaultRequest != nil {
		t.Errorf("a Pod item got defaults: %+v", p)
	}
}

func mustQuantity(t *testing.T, s string) Quantity {
	t.Helper()
	q, err := ParseQuantity(s)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestQuantityAddSub(t *testing.T) {
	tests := []struct{ a, b, sum, diff string }{
		{"500m", "1", "1500m", "-500m"},
		{"1", "2", "3", "-1"},
		{"100Mi", "156Mi", "256Mi", "-56Mi"},
		{"0", "1Gi", "1Gi", "-1Gi"},
		{"1Gi", "0", "1Gi", "1Gi"},
	}
	for _, tt := range tests {
		t.Run(tt.a+"+"+tt.b, func(t *testing.T) {
			a, b := mustQuantity(t, tt.a), mustQuantity(t, tt.b)
			if got := a.Add(b).String(); got != tt.sum {
				t.Errorf("%s+%s = %s, want %s", tt.a, tt.b, got, tt.sum)
			}
			if got := a.Sub(b).String(); got != tt.diff {
				t.Errorf("%s-%s = %s, want %s", tt.a, tt.b, got, tt.diff)
			}
		})
	}
}

// show prints a ResourceList as sorted name=value pairs.
func show(l ResourceList) string {
	var parts []string
	for _, k := range sortedStringKeys(l) {
		parts = append(parts, k+"="+l[k].String())
	}
	return strings.Join(parts, ",")
}

func TestQuotaUsage(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"pod with resources", podHead + "  containers:\n  - {name: a, image: i, resources: {requests: {cpu: 250m, memory: 64Mi}, limits: {cpu: 500m}}}\n  - {name: b, image: i, resources: {requests: {cpu: 250m}}}\n",
			"count/pods=1,cpu=500m,limits.cpu=500m,memory=64Mi,pods=1,requests.cpu=500m,requests.memory=64Mi"},
		{"init container larger than the sum", podHead + "  initContainers: [{name: init, image: i, resources: {requests: {cpu: '2'}}}]\n  containers: [{name: a, image: i, resources: {requests: {cpu: 500m}}}]\n",
			"count/pods=1,cpu=2,pods=1,requests.cpu=2"},
		{"finished pod keeps only its count", podHead + "  containers: [{name: a, image: i, resources: {requests: {cpu: '1'}}}]\nstatus: {phase: Succeeded}\n",
			"count/pods=1"},
		{"node port service", "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: default}\nspec: {type: NodePort, ports: [{port: 80}, {port: 443}]}\n",
			"count/services=1,services=1,services.nodeports=2"},
		{"cluster IP service", "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: default}\nspec: {ports: [{port: 80}]}\n",
			"count/services=1,services=1"},
		{"secret", "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: default}\n", "count/secrets=1,secrets=1"},
		{"deployment", deployHead + "  selector: {matchLabels: {a: b}}\n  template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: i}]}}\n",
			"count/deployments.apps=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := show(QuotaUsage(mustDecode(t, tt.doc))); got != tt.want {
				t.Errorf("usage %s\n want %s", got, tt.want)
			}
		})
	}
}

func TestQuotaResourceKind(t *testing.T) {
	tests := map[string]string{
		"pods": "Pod", "cpu": "Pod", "limits.memory": "Pod", "requests.example.com/gpu": "Pod",
		"services.nodeports": "Service", "secrets": "Secret", "configmaps": "ConfigMap",
		"count/deployments.apps": "Deployment", "count/pods": "Pod", "resourcequotas": "ResourceQuota",
		"persistentvolumeclaims": "", "requests.storage": "", "count/nodes": "", "count/widgets.example.com": "",
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			res, ok := QuotaResourceKind(name)
			got := ""
			if ok {
				got = res.Kind
			}
			if got != want {
				t.Errorf("QuotaResourceKind(%q) = %q, want %q", name, got, want)
			}
		})
	}
}

func TestQuotaMatchesScopes(t *testing.T) {
	bestEffort := mustDecode(t, podHead+"  containers: [{name: a, image: i}]\n")
	burstable := mustDecode(t, podHead+"  priorityClassName: high\n  activeDeadlineSeconds: 60\n  containers: [{name: a, image: i, resources: {requests: {cpu: 1}}}]\n")
	secret := mustDecode(t, "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: default}\n")
	tests := []struct {
		name                     string
		spec                     string
		bestEff, burstOK, secret bool
	}{
		{"no scopes", "  hard: {pods: '1'}\n", true, true, true},
		{"BestEffort", "  hard: {pods: '1'}\n  scopes: [BestEffort]\n", true, false, false},
		{"NotBestEffort", "  hard: {pods: '1'}\n  scopes: [NotBestEffort]\n", false, true, false},
		{"Terminating", "  hard: {pods: '1'}\n  scopes: [Terminating]\n", false, true, false},
		{"NotTerminating", "  hard: {pods: '1'}\n  scopes: [NotTerminating]\n", true, false, false},
		{"PriorityClass In", "  hard: {pods: '1'}\n  scopeSelector: {matchExpressions: [{scopeName: PriorityClass, operator: In, values: [high]}]}\n", false, true, false},
		{"PriorityClass DoesNotExist", "  hard: {pods: '1'}\n  scopeSelector: {matchExpressions: [{scopeName: PriorityClass, operator: DoesNotExist}]}\n", true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := mustDecode(t, quotaHead+tt.spec).(*ResourceQuota)
			if got := [3]bool{QuotaMatches(q, bestEffort), QuotaMatches(q, burstable), QuotaMatches(q, secret)}; got != [3]bool{tt.bestEff, tt.burstOK, tt.secret} {
				t.Errorf("matches (best effort, burstable, secret) = %v, want %v", got, [3]bool{tt.bestEff, tt.burstOK, tt.secret})
			}
		})
	}
}

func TestQuotaMissing(t *testing.T) {
	q := mustDecode(t, quotaHead+"  hard: {requests.cpu: '4', limits.memory: 1Gi, pods: '10'}\n").(*ResourceQuota)
	pod := mustDecode(t, podHead+"  containers:\n  - {name: a, image: i, resources: {requests: {cpu: 1}, limits: {memory: 64Mi}}}\n  - {name: b, image: i}\n  - {name: c, image: i, resources: {requests: {cpu: 1}}}\n").(*Pod)
	got := strings.Join(QuotaMissing(q, pod), "; ")
	if want := "limits.memory for: b,c; requests.cpu for: b"; got != want {
		t.Errorf("missing %q, want %q", got, want)
	}
}

func TestQuotaWarnings(t *testing.T) {
	q := mustDecode(t, quotaHead+"  hard: {pods: '1', persistentvolumeclaims: '2', requests.storage: 10Gi}\n")
	got := strings.Join(Warnings(q), "\n")
	for _, want := range []string{"spec.hard[persistentvolumeclaims]: not supported", "spec.hard[requests.storage]: not supported"} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings %q lack %q", got, want)
		}
	}
	if strings.Contains(got, "spec.hard[pods]") {
		t.Errorf("pods are counted, yet warned about: %q", got)
	}
	lr := mustDecode(t, limitsHead+"  limits: [{type: PersistentVolumeClaim, max: {storage: 1Gi}}]\n")
	if w := Warnings(lr); len(w) != 1 || !strings.Contains(w[0], "spec.limits[0]") {
		t.Errorf("limit range warnings %q, want one for spec.limits[0]", w)
	}
}
