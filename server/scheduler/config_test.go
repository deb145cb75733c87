package scheduler

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadConfig(t *testing.T) {
	cases := []struct {
		name    string
		yaml    string
		wantErr string // substring; "" means success
		check   func(t *testing.T, c Config)
	}{
		{name: "empty keeps defaults", yaml: "", check: func(t *testing.T, c Config) {
			if c.Plugins.TaintToleration.Weight != 3 || !c.Plugins.ImageLocality.Enabled {
				t.Fatalf("defaults lost: %+v", c.Plugins)
			}
		}},
		{name: "override one plugin", yaml: "plugins:\n  NodeResourcesFit: {weight: 5, enabled: true, strategy: MostAllocated}\n  ImageLocality: {enabled: false}\n",
			check: func(t *testing.T, c Config) {
				if f := c.Plugins.NodeResourcesFit; f.Weight != 5 || f.Strategy != MostAllocated {
					t.Fatalf("NodeResourcesFit = %+v", f)
				}
				if c.Plugins.ImageLocality.Enabled || c.Plugins.NodeAffinity.Weight != 2 {
					t.Fatalf("plugins = %+v", c.Plugins)
				}
			}},
		{name: "unknown plugin", yaml: "plugins:\n  NodeResourceFit: {weight: 1}\n", wantErr: `unknown field "NodeResourceFit"`},
		{name: "unknown field", yaml: "plugins:\n  ImageLocality: {wieght: 1}\n", wantErr: `unknown field "wieght"`},
		{name: "zero weight", yaml: "plugins:\n  ImageLocality: {weight: 0}\n", wantErr: "plugins.ImageLocality.weight: 0 is not in 1..100"},
		{name: "weight too big", yaml: "plugins:\n  TaintToleration: {weight: 101}\n", wantErr: "plugins.TaintToleration.weight: 101"},
		{name: "weight on a filter", yaml: "plugins:\n  NodePorts: {weight: 2}\n", wantErr: "plugins.NodePorts.weight"},
		{name: "bad strategy", yaml: "plugins:\n  NodeResourcesFit: {strategy: Random}\n", wantErr: "plugins.NodeResourcesFit.strategy"},
		{name: "bad percentage", yaml: "percentageOfNodesToScore: 120\n", wantErr: "percentageOfNodesToScore"},
		{name: "not yaml", yaml: "plugins: [", wantErr: "invalid config"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "scheduler.yaml")
			if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := LoadConfig(path)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, ErrConfig) {
					t.Fatalf("err = %v, want ErrConfig containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			tc.check(t, c)
		})
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "nope.yaml")); !errors.Is(err, ErrConfig) {
		t.Fatalf("err = %v, want ErrConfig", err)
	}
}

func TestDefaultConfigWeights(t *testing.T) {
	want := map[string]int64{
		PluginTaintToleration: 3, PluginNodeAffinity: 2, PluginPodTopologySpread: 2, PluginInterPodAffinity: 2,
		PluginNodeResourcesFit: 1, PluginBalancedAllocation: 1, PluginImageLocality: 1,
	}
	got := map[string]int64{}
	for _, p := range buildScores(DefaultConfig()) {
		got[p.name] = p.weight
	}
	if len(got) != len(want) {
		t.Fatalf("scores = %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s weight = %d, want %d", k, got[k], v)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestNumFeasibleToFind(t *testing.T) {
	cases := []struct {
		name  string
		nodes int
		pct   int32
		want  int
	}{
		{name: "small cluster: all", nodes: 50, want: 50},
		{name: "adaptive 5000: 10%", nodes: 5000, want: 500},
		{name: "adaptive floor 5%", nodes: 10000, want: 500},
		{name: "at least 100", nodes: 150, pct: 10, want: 100},
		{name: "100% is all", nodes: 5000, pct: 100, want: 5000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := numFeasibleToFind(tc.nodes, tc.pct); got != tc.want {
				t.Fatalf("got %d, want %d", got, tc.want)
			}
		})
	}
}
