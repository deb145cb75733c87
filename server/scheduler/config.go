package scheduler

import (
	"fmt"
	"os"

	"sigs.k8s.io/yaml"
)

// Plugin names, as Kubernetes spells them.
const (
	PluginNodeUnschedulable  = "NodeUnschedulable"
	PluginNodeName           = "NodeName"
	PluginNodeReady          = "NodeReady"
	PluginTaintToleration    = "TaintToleration"
	PluginNodeAffinity       = "NodeAffinity"
	PluginNodeResourcesFit   = "NodeResourcesFit"
	PluginNodePorts          = "NodePorts"
	PluginPodTopologySpread  = "PodTopologySpread"
	PluginInterPodAffinity   = "InterPodAffinity"
	PluginBalancedAllocation = "BalancedAllocation"
	PluginImageLocality      = "ImageLocality"
)

// PluginConfig switches one plugin and weighs its score.
type PluginConfig struct {
	// Enabled false turns the plugin off, filter and score.
	Enabled bool `json:"enabled"`
	// Weight multiplies the plugin's 0–100 score, 1..100; it must be 0 (absent) for
	// a plugin that only filters.
	Weight int32 `json:"weight,omitempty"`
	// Strategy is NodeResourcesFit's scoring: LeastAllocated (spread, the default)
	// or MostAllocated (bin packing). Other plugins take none.
	Strategy string `json:"strategy,omitempty"`
}

// Plugins configures every plugin by name. A plugin the file leaves out keeps
// its default.
type Plugins struct {
	NodeUnschedulable  PluginConfig `json:"NodeUnschedulable"`
	NodeName           PluginConfig `json:"NodeName"`
	NodeReady          PluginConfig `json:"NodeReady"`
	TaintToleration    PluginConfig `json:"TaintToleration"`
	NodeAffinity       PluginConfig `json:"NodeAffinity"`
	NodeResourcesFit   PluginConfig `json:"NodeResourcesFit"`
	NodePorts          PluginConfig `json:"NodePorts"`
	PodTopologySpread  PluginConfig `json:"PodTopologySpread"`
	InterPodAffinity   PluginConfig `json:"InterPodAffinity"`
	BalancedAllocation PluginConfig `json:"BalancedAllocation"`
	ImageLocality      PluginConfig `json:"ImageLocality"`
}

// Config is the scheduler's configuration (`--scheduler-config FILE`).
type Config struct {
	Plugins Plugins `json:"plugins"`
	// PercentageOfNodesToScore bounds how many feasible nodes one pod looks for
	// before scoring, as in Kubernetes: 0 means adaptive (50% minus 1% per 125
	// nodes, at least 5%, never fewer than 100 nodes); 100 means every node.
	PercentageOfNodesToScore int32 `json:"percentageOfNodesToScore,omitempty"`
	// BindBatchSize is the most bindings handed to the Binder in one call; 0 means
	// the default (500: one Raft entry of a few tens of KiB).
	BindBatchSize int `json:"bindBatchSize,omitempty"`
}

const defaultBindBatchSize = 500

// DefaultConfig has every plugin on, with Kubernetes' default weights.
func DefaultConfig() Config {
	on := func(w int32) PluginConfig { return PluginConfig{Enabled: true, Weight: w} }
	fit := on(1)
	fit.Strategy = LeastAllocated
	return Config{Plugins: Plugins{
		NodeUnschedulable: on(0), NodeName: on(0), NodeReady: on(0), NodePorts: on(0),
		TaintToleration:    on(3), // Kubernetes' weight: honour PreferNoSchedule strongly
		NodeAffinity:       on(2),
		PodTopologySpread:  on(2),
		InterPodAffinity:   on(2),
		NodeResourcesFit:   fit, // 1
		BalancedAllocation: on(1),
		ImageLocality:      on(1),
	}}
}

// pluginEntry is one plugin's config with what the plugin can do.
type pluginEntry struct {
	name   string
	cfg    *PluginConfig
	scores bool
}

func (c *Config) entries() []pluginEntry {
	p := &c.Plugins
	return []pluginEntry{
		{PluginNodeUnschedulable, &p.NodeUnschedulable, false}, {PluginNodeName, &p.NodeName, false},
		{PluginNodeReady, &p.NodeReady, false}, {PluginTaintToleration, &p.TaintToleration, true},
		{PluginNodeAffinity, &p.NodeAffinity, true}, {PluginNodeResourcesFit, &p.NodeResourcesFit, true},
		{PluginNodePorts, &p.NodePorts, false}, {PluginPodTopologySpread, &p.PodTopologySpread, true},
		{PluginInterPodAffinity, &p.InterPodAffinity, true}, {PluginBalancedAllocation, &p.BalancedAllocation, true},
		{PluginImageLocality, &p.ImageLocality, true},
	}
}

// Validate names the first field that is out of range.
func (c Config) Validate() error {
	for _, e := range c.entries() {
		field := "plugins." + e.name
		switch {
		case e.scores && e.cfg.Enabled && (e.cfg.Weight < 1 || e.cfg.Weight > 100):
			return fmt.Errorf("%w: %s.weight: %d is not in 1..100", ErrConfig, field, e.cfg.Weight)
		case !e.scores && e.cfg.Weight != 0:
			return fmt.Errorf("%w: %s.weight: %s only filters and takes no weight", ErrConfig, field, e.name)
		case e.name == PluginNodeResourcesFit:
			if s := e.cfg.Strategy; s != "" && s != LeastAllocated && s != MostAllocated {
				return fmt.Errorf("%w: %s.strategy: %q is not LeastAllocated or MostAllocated", ErrConfig, field, s)
			}
		case e.cfg.Strategy != "":
			return fmt.Errorf("%w: %s.strategy: only NodeResourcesFit takes a strategy", ErrConfig, field)
		}
	}
	if c.PercentageOfNodesToScore < 0 || c.PercentageOfNodesToScore > 100 {
		return fmt.Errorf("%w: percentageOfNodesToScore: %d is not in 0..100", ErrConfig, c.PercentageOfNodesToScore)
	}
	if c.BindBatchSize < 0 {
		return fmt.Errorf("%w: bindBatchSize: %d is negative", ErrConfig, c.BindBatchSize)
	}
	return nil
}

// ParseConfig reads YAML (or JSON) strictly over DefaultConfig: an unknown field
// is an error that names it.
func ParseConfig(data []byte) (Config, error) {
	cfg := DefaultConfig()
	if err := yaml.UnmarshalStrict(data, &cfg); err != nil {
		return Config{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// LoadConfig reads a config file; see ParseConfig.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("%w (in %s)", err, path)
	}
	return cfg, nil
}
