package scheduler

import (
	"reflect"
	"testing"

	"github.com/berth-dev/berth/api"
)

type scoreCase struct {
	name  string
	cfg   func(*Config)
	pod   *api.Pod
	nodes []*api.Node
	pods  []*api.Pod
	want  map[string]int64
}

func runScoreCases(t *testing.T, plugin string, cases []scoreCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			got := scoresOf(t, plugin, cfg, tc.pod, tc.nodes, tc.pods)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestScoreNodeResourcesFit(t *testing.T) {
	nodes := []*api.Node{mkNode("a", 4000, 4000), mkNode("b", 4000, 4000)}
	busy := []*api.Pod{mkPod("x", 2000, 1000, onNode("a"))}
	most := func(c *Config) { c.Plugins.NodeResourcesFit.Strategy = MostAllocated }
	runScoreCases(t, PluginNodeResourcesFit, []scoreCase{
		// a: cpu (4000-3000)/4000=25, mem (4000-2000)/4000=50 → 37; b: 75, 75 → 75
		{name: "least allocated", pod: mkPod("p", 1000, 1000), nodes: nodes, pods: busy, want: map[string]int64{"a": 37, "b": 75}},
		{name: "most allocated", cfg: most, pod: mkPod("p", 1000, 1000), nodes: nodes, pods: busy, want: map[string]int64{"a": 62, "b": 25}},
		// non-zero defaults: 100m and 200Mi count for scoring: cpu (4000-100)/4000=97, mem (4000-200)/4000=95 → 96
		{name: "best effort counts non-zero", pod: mkPod("p", 0, 0), nodes: nodes[1:], want: map[string]int64{"b": 96}},
		{name: "over capacity scores 0", pod: mkPod("p", 8000, 8000), nodes: nodes[1:], want: map[string]int64{"b": 0}},
	})
}

func TestScoreBalancedAllocation(t *testing.T) {
	nodes := []*api.Node{mkNode("a", 4000, 4000), mkNode("b", 4000, 4000)}
	runScoreCases(t, PluginBalancedAllocation, []scoreCase{
		// a: cpu 3000/4000=.75 mem 1000/4000=.25 → std .25 → 75; b: .25/.25 → 100
		{name: "even beats skewed", pod: mkPod("p", 1000, 1000), nodes: nodes,
			pods: []*api.Pod{mkPod("x", 2000, 0, onNode("a"))}, want: map[string]int64{"a": 75, "b": 100}},
	})
}

func TestScoreNodeAffinityPreferred(t *testing.T) {
	pref := func(p *api.Pod) {
		p.Spec.Affinity = &api.Affinity{NodeAffinity: &api.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []api.PreferredSchedulingTerm{
			{Weight: 80, Preference: api.NodeSelectorTerm{MatchExpressions: []api.NodeSelectorRequirement{{Key: "disk", Operator: "In", Values: []string{"ssd"}}}}},
			{Weight: 20, Preference: api.NodeSelectorTerm{MatchExpressions: []api.NodeSelectorRequirement{{Key: "gpu", Operator: "Exists"}}}},
		}}}
	}
	nodes := []*api.Node{mkNode("a", 1, 1, withLabels("disk", "ssd")), mkNode("b", 1, 1, withLabels("gpu", "1")), mkNode("c", 1, 1)}
	runScoreCases(t, PluginNodeAffinity, []scoreCase{
		{name: "weights normalised to the best", pod: mkPod("p", 0, 0, pref), nodes: nodes, want: map[string]int64{"a": 100, "b": 25, "c": 0}},
		{name: "no preference skipped", pod: mkPod("p", 0, 0), nodes: nodes, want: map[string]int64{}},
	})
}

func TestScoreTaintToleration(t *testing.T) {
	nodes := []*api.Node{
		mkNode("a", 1, 1),
		mkNode("b", 1, 1, withTaint("x", "", api.TaintPreferNoSchedule)),
		mkNode("c", 1, 1, withTaint("x", "", api.TaintPreferNoSchedule), withTaint("y", "", api.TaintPreferNoSchedule)),
	}
	tolX := func(p *api.Pod) {
		p.Spec.Tolerations = []api.Toleration{{Key: "x", Operator: "Exists", Effect: api.TaintPreferNoSchedule}}
	}
	runScoreCases(t, PluginTaintToleration, []scoreCase{
		{name: "fewer untolerated taints win", pod: mkPod("p", 0, 0), nodes: nodes, want: map[string]int64{"a": 100, "b": 50, "c": 0}},
		{name: "tolerated taints do not count", pod: mkPod("p", 0, 0, tolX), nodes: nodes, want: map[string]int64{"a": 100, "b": 100, "c": 0}},
		{name: "no PreferNoSchedule anywhere skipped", pod: mkPod("p", 0, 0), nodes: nodes[:1], want: map[string]int64{}},
	})
}

func TestScoreImageLocality(t *testing.T) {
	withImage := func(name string, size int64) func(*api.Node) {
		return func(n *api.Node) {
			n.Status.Images = append(n.Status.Images, api.ContainerImage{Names: []string{name}, SizeBytes: size})
		}
	}
	img := func(image string) func(*api.Pod) { return func(p *api.Pod) { p.Spec.Containers[0].Image = image } }
	nodes := []*api.Node{mkNode("a", 1, 1, withImage("docker.io/library/big:1", 500*mi)), mkNode("b", 1, 1)}
	runScoreCases(t, PluginImageLocality, []scoreCase{
		// 500Mi × 1/2 nodes = 250Mi: 100 × (250-23)/(1000-23) = 23
		{name: "image present on one of two", pod: mkPod("p", 0, 0, img("big:1")), nodes: nodes, want: map[string]int64{"a": 23, "b": 0}},
		{name: "image nowhere skipped", pod: mkPod("p", 0, 0, img("other")), nodes: nodes, want: map[string]int64{}},
	})
}

func TestScoreInterPodAffinityPreferred(t *testing.T) {
	pref := func(anti bool) func(*api.Pod) {
		return func(p *api.Pod) {
			w := []api.WeightedPodAffinityTerm{{Weight: 10, PodAffinityTerm: api.PodAffinityTerm{
				LabelSelector: &api.LabelSelector{MatchLabels: map[string]string{"app": "db"}}, TopologyKey: labelHostname}}}
			p.Spec.Affinity = &api.Affinity{}
			if anti {
				p.Spec.Affinity.PodAntiAffinity = &api.PodAntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: w}
			} else {
				p.Spec.Affinity.PodAffinity = &api.PodAffinity{PreferredDuringSchedulingIgnoredDuringExecution: w}
			}
		}
	}
	nodes := []*api.Node{mkNode("a", 1, 1), mkNode("b", 1, 1)}
	dbOnA := []*api.Pod{mkPod("d", 0, 0, withPodLabels("app", "db"), onNode("a"))}
	runScoreCases(t, PluginInterPodAffinity, []scoreCase{
		{name: "affinity prefers the db node", pod: mkPod("p", 0, 0, pref(false)), nodes: nodes, pods: dbOnA, want: map[string]int64{"a": 100, "b": 0}},
		{name: "anti-affinity avoids it", pod: mkPod("p", 0, 0, pref(true)), nodes: nodes, pods: dbOnA, want: map[string]int64{"a": 0, "b": 100}},
		{name: "nothing to say skipped", pod: mkPod("p", 0, 0), nodes: nodes, pods: dbOnA, want: map[string]int64{}},
	})
}

func TestScorePodTopologySpread(t *testing.T) {
	nodes := []*api.Node{
		mkNode("a", 1, 1, withLabels(labelZone, "z1")), mkNode("b", 1, 1, withLabels(labelZone, "z1")),
		mkNode("c", 1, 1, withLabels(labelZone, "z2")),
	}
	owned := ownedBy("rs-1")
	soft := func(p *api.Pod) {
		p.Labels["app"] = "web"
		p.Spec.TopologySpreadConstraints = []api.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: labelZone,
			WhenUnsatisfiable: "ScheduleAnyway", LabelSelector: &api.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}
	}
	web := withPodLabels("app", "web")
	runScoreCases(t, PluginPodTopologySpread, []scoreCase{
		{name: "default spreading by owner", pod: mkPod("p", 0, 0, owned), nodes: nodes,
			pods: []*api.Pod{mkPod("x", 0, 0, owned, onNode("a")), mkPod("y", 0, 0, owned, onNode("a"))},
			want: map[string]int64{"a": 50, "b": 75, "c": 100}}, // raw 12, 9, 6: host log(5), zone log(4)
		{name: "explicit zone constraint", pod: mkPod("p", 0, 0, soft), nodes: nodes,
			pods: []*api.Pod{mkPod("x", 0, 0, web, onNode("a"))}, want: map[string]int64{"a": 0, "b": 0, "c": 100}},
		{name: "node without the key ignored", pod: mkPod("p", 0, 0, soft), nodes: append(nodes[:3:3], mkNode("d", 1, 1)),
			pods: []*api.Pod{mkPod("x", 0, 0, web, onNode("a"))}, want: map[string]int64{"a": 0, "b": 0, "c": 100, "d": 0}},
		{name: "no owner no constraint skipped", pod: mkPod("p", 0, 0), nodes: nodes, want: map[string]int64{}},
	})
}
