package scheduler

import (
	"reflect"
	"testing"

	"github.com/berth-dev/berth/api"
)

type filterCase struct {
	name     string
	pod      *api.Pod
	node     *api.Node
	existing []*api.Pod // bound pods (on node unless they name another)
	others   []*api.Node
	want     []string
}

func runFilterCases(t *testing.T, fn func(*cycleState, *nodeInfo) []string, cases []filterCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nodes := append([]*api.Node{tc.node}, tc.others...)
			s, cs := prepared(t, tc.pod, nodes, tc.existing)
			got := fn(cs, s.cache.byName[tc.node.Name])
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFilterNodeName(t *testing.T) {
	runFilterCases(t, filterNodeName, []filterCase{
		{name: "no name", pod: mkPod("p", 0, 0), node: mkNode("a", 1000, 1000)},
		{name: "match", pod: mkPod("p", 0, 0, onNode("a")), node: mkNode("a", 1000, 1000)},
		{name: "other", pod: mkPod("p", 0, 0, onNode("b")), node: mkNode("a", 1000, 1000), want: []string{ReasonNodeName}},
	})
}

func TestFilterNodeUnschedulable(t *testing.T) {
	cordon := func(n *api.Node) { n.Spec.Unschedulable = true }
	tolerant := func(p *api.Pod) {
		p.Spec.Tolerations = []api.Toleration{{Key: taintUnschedulable, Operator: "Exists", Effect: api.TaintNoSchedule}}
	}
	runFilterCases(t, filterNodeUnschedulable, []filterCase{
		{name: "schedulable", pod: mkPod("p", 0, 0), node: mkNode("a", 1000, 1000)},
		{name: "cordoned", pod: mkPod("p", 0, 0), node: mkNode("a", 1000, 1000, cordon), want: []string{ReasonNodeUnschedulable}},
		{name: "cordoned, tolerated", pod: mkPod("p", 0, 0, tolerant), node: mkNode("a", 1000, 1000, cordon)},
	})
}

func TestFilterNodeReady(t *testing.T) {
	status := func(s string) func(*api.Node) {
		return func(n *api.Node) { n.Status.Conditions[0].Status = s }
	}
	noCond := func(n *api.Node) { n.Status.Conditions = nil }
	runFilterCases(t, filterNodeReady, []filterCase{
		{name: "ready", pod: mkPod("p", 0, 0), node: mkNode("a", 1000, 1000)},
		{name: "unknown", pod: mkPod("p", 0, 0), node: mkNode("a", 1000, 1000, status(api.ConditionUnknown)), want: []string{ReasonNodeNotReady}},
		{name: "false", pod: mkPod("p", 0, 0), node: mkNode("a", 1000, 1000, status(api.ConditionFalse)), want: []string{ReasonNodeNotReady}},
		{name: "no condition", pod: mkPod("p", 0, 0), node: mkNode("a", 1000, 1000, noCond), want: []string{ReasonNodeNotReady}},
	})
}

func TestFilterTaintToleration(t *testing.T) {
	tol := func(ts ...api.Toleration) func(*api.Pod) { return func(p *api.Pod) { p.Spec.Tolerations = ts } }
	unreachable := withTaint("node.berth.io/unreachable", "", api.TaintNoExecute)
	runFilterCases(t, filterTaints, []filterCase{
		{name: "no taints", pod: mkPod("p", 0, 0), node: mkNode("a", 1, 1)},
		{name: "NoSchedule untolerated", pod: mkPod("p", 0, 0), node: mkNode("a", 1, 1, withTaint("gpu", "yes", api.TaintNoSchedule)),
			want: []string{"node(s) had untolerated taint {gpu: yes}"}},
		{name: "NoExecute untolerated", pod: mkPod("p", 0, 0), node: mkNode("a", 1, 1, unreachable),
			want: []string{"node(s) had untolerated taint {node.berth.io/unreachable: }"}},
		{name: "PreferNoSchedule is not a filter", pod: mkPod("p", 0, 0), node: mkNode("a", 1, 1, withTaint("x", "", api.TaintPreferNoSchedule))},
		{name: "Equal tolerates", pod: mkPod("p", 0, 0, tol(api.Toleration{Key: "gpu", Value: "yes", Effect: api.TaintNoSchedule})),
			node: mkNode("a", 1, 1, withTaint("gpu", "yes", api.TaintNoSchedule))},
		{name: "Equal wrong value", pod: mkPod("p", 0, 0, tol(api.Toleration{Key: "gpu", Operator: "Equal", Value: "no"})),
			node: mkNode("a", 1, 1, withTaint("gpu", "yes", api.TaintNoSchedule)), want: []string{"node(s) had untolerated taint {gpu: yes}"}},
		{name: "Exists any effect", pod: mkPod("p", 0, 0, tol(api.Toleration{Key: "node.berth.io/unreachable", Operator: "Exists"})),
			node: mkNode("a", 1, 1, unreachable)},
		{name: "empty key Exists tolerates all", pod: mkPod("p", 0, 0, tol(api.Toleration{Operator: "Exists"})),
			node: mkNode("a", 1, 1, unreachable, withTaint("gpu", "yes", api.TaintNoSchedule))},
		{name: "wrong effect", pod: mkPod("p", 0, 0, tol(api.Toleration{Key: "gpu", Operator: "Exists", Effect: api.TaintNoExecute})),
			node: mkNode("a", 1, 1, withTaint("gpu", "yes", api.TaintNoSchedule)), want: []string{"node(s) had untolerated taint {gpu: yes}"}},
	})
}

func TestFilterNodeAffinity(t *testing.T) {
	sel := func(kv map[string]string) func(*api.Pod) { return func(p *api.Pod) { p.Spec.NodeSelector = kv } }
	req := func(terms ...api.NodeSelectorTerm) func(*api.Pod) {
		return func(p *api.Pod) {
			p.Spec.Affinity = &api.Affinity{NodeAffinity: &api.NodeAffinity{
				RequiredDuringSchedulingIgnoredDuringExecution: &api.NodeSelector{NodeSelectorTerms: terms}}}
		}
	}
	expr := func(key, op string, vals ...string) api.NodeSelectorTerm {
		return api.NodeSelectorTerm{MatchExpressions: []api.NodeSelectorRequirement{{Key: key, Operator: op, Values: vals}}}
	}
	field := func(op string, vals ...string) api.NodeSelectorTerm {
		return api.NodeSelectorTerm{MatchFields: []api.NodeSelectorRequirement{{Key: "metadata.name", Operator: op, Values: vals}}}
	}
	node := mkNode("a", 1, 1, withLabels("disk", "ssd", "cores", "8"))
	fail := []string{ReasonNodeAffinity}
	runFilterCases(t, filterNodeAffinity, []filterCase{
		{name: "nodeSelector match", pod: mkPod("p", 0, 0, sel(map[string]string{"disk": "ssd"})), node: node},
		{name: "nodeSelector mismatch", pod: mkPod("p", 0, 0, sel(map[string]string{"disk": "hdd"})), node: node, want: fail},
		{name: "nodeSelector missing label", pod: mkPod("p", 0, 0, sel(map[string]string{"gpu": "1"})), node: node, want: fail},
		{name: "In", pod: mkPod("p", 0, 0, req(expr("disk", "In", "ssd", "nvme"))), node: node},
		{name: "NotIn", pod: mkPod("p", 0, 0, req(expr("disk", "NotIn", "ssd"))), node: node, want: fail},
		{name: "Exists", pod: mkPod("p", 0, 0, req(expr("disk", "Exists"))), node: node},
		{name: "DoesNotExist", pod: mkPod("p", 0, 0, req(expr("disk", "DoesNotExist"))), node: node, want: fail},
		{name: "Gt", pod: mkPod("p", 0, 0, req(expr("cores", "Gt", "4"))), node: node},
		{name: "Lt", pod: mkPod("p", 0, 0, req(expr("cores", "Lt", "4"))), node: node, want: fail},
		{name: "terms are ORed", pod: mkPod("p", 0, 0, req(expr("disk", "In", "hdd"), expr("cores", "In", "8"))), node: node},
		{name: "empty term matches nothing", pod: mkPod("p", 0, 0, req(api.NodeSelectorTerm{})), node: node, want: fail},
		{name: "bad operator matches nothing", pod: mkPod("p", 0, 0, req(expr("disk", "Like", "ssd"))), node: node, want: fail},
		{name: "matchFields name In", pod: mkPod("p", 0, 0, req(field("In", "a"))), node: node},
		{name: "matchFields name NotIn", pod: mkPod("p", 0, 0, req(field("NotIn", "a"))), node: node, want: fail},
		{name: "selector and affinity both needed", pod: mkPod("p", 0, 0, sel(map[string]string{"disk": "hdd"}), req(expr("disk", "Exists"))),
			node: node, want: fail},
	})
}

func TestFilterNodeResourcesFit(t *testing.T) {
	node := mkNode("a", 1000, 1000)
	small := func(n *api.Node) { n.Status.Allocatable[api.ResourcePods] = api.NewQuantity(1, api.DecimalSI) }
	runFilterCases(t, filterResources, []filterCase{
		{name: "fits", pod: mkPod("p", 500, 500), node: node, existing: []*api.Pod{mkPod("x", 500, 500, onNode("a"))}},
		{name: "cpu", pod: mkPod("p", 501, 0), node: node, existing: []*api.Pod{mkPod("x", 500, 0, onNode("a"))},
			want: []string{ReasonInsufficientCPU}},
		{name: "memory", pod: mkPod("p", 0, 600), node: node, existing: []*api.Pod{mkPod("x", 0, 500, onNode("a"))},
			want: []string{ReasonInsufficientMemory}},
		{name: "both", pod: mkPod("p", 2000, 2000), node: node, want: []string{ReasonInsufficientCPU, ReasonInsufficientMemory}},
		{name: "no requests fit a full node", pod: mkPod("p", 0, 0), node: node, existing: []*api.Pod{mkPod("x", 1000, 1000, onNode("a"))}},
		{name: "too many pods", pod: mkPod("p", 0, 0), node: mkNode("a", 1000, 1000, small),
			existing: []*api.Pod{mkPod("x", 0, 0, onNode("a"))}, want: []string{ReasonTooManyPods}},
		{name: "terminal pods do not count", pod: mkPod("p", 1000, 0), node: node,
			existing: []*api.Pod{mkPod("x", 1000, 0, onNode("a"), func(p *api.Pod) { p.Status.Phase = api.PodSucceeded })}},
		{name: "init container raises the request", pod: mkPod("p", 100, 0, func(p *api.Pod) {
			p.Spec.InitContainers = []api.Container{{Name: "i", Resources: api.ResourceRequirements{
				Requests: api.ResourceList{api.ResourceCPU: api.NewMilliQuantity(1500)}}}}
		}), node: node, want: []string{ReasonInsufficientCPU}},
	})
}

func TestFilterNodePorts(t *testing.T) {
	port := func(hp int32, ip, proto string) func(*api.Pod) {
		return func(p *api.Pod) {
			p.Spec.Containers[0].Ports = append(p.Spec.Containers[0].Ports,
				api.ContainerPort{ContainerPort: 80, HostPort: hp, HostIP: ip, Protocol: proto})
		}
	}
	node := mkNode("a", 1000, 1000)
	used := []*api.Pod{mkPod("x", 0, 0, onNode("a"), port(8080, "", ""))}
	fail := []string{ReasonNodePorts}
	runFilterCases(t, filterPorts, []filterCase{
		{name: "free", pod: mkPod("p", 0, 0, port(8081, "", "")), node: node, existing: used},
		{name: "clash", pod: mkPod("p", 0, 0, port(8080, "", "TCP")), node: node, existing: used, want: fail},
		{name: "clash with wildcard", pod: mkPod("p", 0, 0, port(8080, "10.0.0.1", "")), node: node, existing: used, want: fail},
		{name: "other protocol", pod: mkPod("p", 0, 0, port(8080, "", "UDP")), node: node, existing: used},
		{name: "different addresses", pod: mkPod("p", 0, 0, port(9090, "10.0.0.2", "")), node: node,
			existing: []*api.Pod{mkPod("x", 0, 0, onNode("a"), port(9090, "10.0.0.1", ""))}},
		{name: "container port only", pod: mkPod("p", 0, 0, port(0, "", "")), node: node, existing: used},
	})
}

func podAffinity(key string, anti bool, matchLabels map[string]string) func(*api.Pod) {
	return func(p *api.Pod) {
		terms := []api.PodAffinityTerm{{LabelSelector: &api.LabelSelector{MatchLabels: matchLabels}, TopologyKey: key}}
		if p.Spec.Affinity == nil {
			p.Spec.Affinity = &api.Affinity{}
		}
		if anti {
			p.Spec.Affinity.PodAntiAffinity = &api.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: terms}
		} else {
			p.Spec.Affinity.PodAffinity = &api.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: terms}
		}
	}
}

func TestFilterInterPodAffinity(t *testing.T) {
	zoneA := withLabels(labelZone, "za")
	a, b := mkNode("a", 1000, 1000, zoneA), mkNode("b", 1000, 1000, zoneA)
	c := mkNode("c", 1000, 1000, withLabels(labelZone, "zc"))
	web := withPodLabels("app", "web")
	db := withPodLabels("app", "db")
	runFilterCases(t, filterInterPod, []filterCase{
		{name: "affinity satisfied in zone", pod: mkPod("p", 0, 0, podAffinity(labelZone, false, map[string]string{"app": "db"})),
			node: a, others: []*api.Node{b, c}, existing: []*api.Pod{mkPod("d", 0, 0, db, onNode("b"))}},
		{name: "affinity not satisfied", pod: mkPod("p", 0, 0, podAffinity(labelZone, false, map[string]string{"app": "db"})),
			node: c, others: []*api.Node{a, b}, existing: []*api.Pod{mkPod("d", 0, 0, db, onNode("b"))},
			want: []string{ReasonPodAffinity}},
		{name: "first pod of a self-affine group", pod: mkPod("p", 0, 0, web, podAffinity(labelZone, false, map[string]string{"app": "web"})),
			node: c, others: []*api.Node{a}},
		{name: "node without the topology key", pod: mkPod("p", 0, 0, web, podAffinity("rack", false, map[string]string{"app": "web"})),
			node: c, want: []string{ReasonPodAffinity}},
		{name: "anti-affinity by hostname", pod: mkPod("p", 0, 0, web, podAffinity(labelHostname, true, map[string]string{"app": "web"})),
			node: a, existing: []*api.Pod{mkPod("w", 0, 0, web, onNode("a"))}, want: []string{ReasonPodAntiAffinity}},
		{name: "anti-affinity other host", pod: mkPod("p", 0, 0, web, podAffinity(labelHostname, true, map[string]string{"app": "web"})),
			node: b, others: []*api.Node{a}, existing: []*api.Pod{mkPod("w", 0, 0, web, onNode("a"))}},
		{name: "anti-affinity other namespace", pod: mkPod("p", 0, 0, web, podAffinity(labelHostname, true, map[string]string{"app": "web"})),
			node: a, existing: []*api.Pod{mkPod("w", 0, 0, web, onNode("a"), func(p *api.Pod) { p.Namespace = "other" })}},
		{name: "existing pod's anti-affinity", pod: mkPod("p", 0, 0, web),
			node: b, others: []*api.Node{a}, existing: []*api.Pod{mkPod("w", 0, 0, onNode("a"), podAffinity(labelZone, true, map[string]string{"app": "web"}))},
			want: []string{ReasonExistingAntiAffinity}},
		{name: "existing pod's anti-affinity elsewhere", pod: mkPod("p", 0, 0, web),
			node: c, others: []*api.Node{a}, existing: []*api.Pod{mkPod("w", 0, 0, onNode("a"), podAffinity(labelZone, true, map[string]string{"app": "web"}))}},
	})
}

func TestFilterPodTopologySpread(t *testing.T) {
	hard := func(key string, skew int32) func(*api.Pod) {
		return func(p *api.Pod) {
			p.Labels["app"] = "web"
			p.Spec.TopologySpreadConstraints = []api.TopologySpreadConstraint{{MaxSkew: skew, TopologyKey: key,
				WhenUnsatisfiable: "DoNotSchedule", LabelSelector: &api.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}
		}
	}
	a, b := mkNode("a", 1000, 1000), mkNode("b", 1000, 1000)
	web := withPodLabels("app", "web")
	two := []*api.Pod{mkPod("w1", 0, 0, web, onNode("a")), mkPod("w2", 0, 0, web, onNode("a"))}
	runFilterCases(t, filterSpread, []filterCase{
		{name: "skew within", pod: mkPod("p", 0, 0, hard(labelHostname, 2)), node: a, others: []*api.Node{b}, existing: two[:1]},
		{name: "skew exceeded", pod: mkPod("p", 0, 0, hard(labelHostname, 1)), node: a, others: []*api.Node{b}, existing: two[:1],
			want: []string{ReasonSpread}},
		{name: "emptier node passes", pod: mkPod("p", 0, 0, hard(labelHostname, 1)), node: b, others: []*api.Node{a}, existing: two},
		{name: "missing key", pod: mkPod("p", 0, 0, hard(labelZone, 1)), node: a, want: []string{ReasonSpreadMissingLabel}},
	})
}
