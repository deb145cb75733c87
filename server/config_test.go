package server

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// validConfig is the shipped defaults plus the two things every server must be told.
func validConfig() Config {
	c := DefaultConfig()
	c.Name = "s1"
	c.BootstrapExpect = 3
	return c
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		errHas string // "" means valid
	}{
		{name: "defaults with a name and bootstrap-expect", mutate: func(*Config) {}},
		{name: "join instead of bootstrap-expect", mutate: func(c *Config) { c.BootstrapExpect, c.Join = 0, []string{"10.0.0.1:6442"} }},
		{name: "bind any with advertise", mutate: func(c *Config) { c.BindAddr, c.AdvertiseAddr = "0.0.0.0", "10.0.0.5" }},
		{name: "ipv6 loopback", mutate: func(c *Config) { c.BindAddr = "::1" }},
		{name: "port zero picks one", mutate: func(c *Config) { c.HTTPPort, c.RaftPort, c.GossipPort = 0, 0, 0 }},
		{name: "equal timings", mutate: func(c *Config) {
			c.LeaderLeaseTimeout, c.HeartbeatTimeout, c.ElectionTimeout = time.Second, time.Second, time.Second
		}},

		{name: "no name", mutate: func(c *Config) { c.Name = "" }, errHas: "--name is required"},
		{name: "no data dir", mutate: func(c *Config) { c.DataDir = "" }, errHas: "--data-dir is required"},
		{name: "bind is a hostname", mutate: func(c *Config) { c.BindAddr = "localhost" }, errHas: `--bind "localhost" is not an IP address`},
		{name: "empty bind", mutate: func(c *Config) { c.BindAddr = "" }, errHas: "--bind"},
		{name: "advertise is a hostname", mutate: func(c *Config) { c.AdvertiseAddr = "berth-1" }, errHas: `--advertise "berth-1" is not an IP address`},
		{name: "bind any without advertise", mutate: func(c *Config) { c.BindAddr = "0.0.0.0" }, errHas: "--advertise is required when --bind is 0.0.0.0"},
		{name: "advertise any", mutate: func(c *Config) { c.AdvertiseAddr = "::" }, errHas: "--advertise is required"},
		{name: "http port too big", mutate: func(c *Config) { c.HTTPPort = 65536 }, errHas: "--http-port 65536 is out of range"},
		{name: "raft port negative", mutate: func(c *Config) { c.RaftPort = -1 }, errHas: "--raft-port -1 is out of range"},
		{name: "gossip port too big", mutate: func(c *Config) { c.GossipPort = 70000 }, errHas: "--gossip-port 70000 is out of range"},
		{name: "negative bootstrap-expect", mutate: func(c *Config) { c.BootstrapExpect = -1 }, errHas: "--bootstrap-expect must not be negative"},
		{name: "neither bootstrap nor join", mutate: func(c *Config) { c.BootstrapExpect = 0 }, errHas: "give --bootstrap-expect N"},
		{name: "lease above heartbeat", mutate: func(c *Config) { c.LeaderLeaseTimeout = time.Second }, errHas: "lease <= heartbeat <= election"},
		{name: "heartbeat above election", mutate: func(c *Config) { c.HeartbeatTimeout = time.Second }, errHas: "lease <= heartbeat <= election"},
		{name: "zero batch", mutate: func(c *Config) { c.MaxBatch = 0 }, errHas: "MaxBatch must be at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.mutate(&c)
			err := c.Validate()
			if tt.errHas == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate accepted %+v, want %q", c, tt.errHas)
			}
			if !strings.Contains(err.Error(), tt.errHas) || !strings.HasPrefix(err.Error(), "server: ") {
				t.Fatalf("Validate = %q, want a server: error saying %q", err, tt.errHas)
			}
		})
	}
}

// TestConfigValidateReportsEverything: a config with several mistakes names each of
// them, so an operator fixes the flags in one go.
func TestConfigValidateReportsEverything(t *testing.T) {
	err := Config{BindAddr: "nope", MaxBatch: 0}.Validate()
	if err == nil {
		t.Fatal("the zero config validated")
	}
	for _, want := range []string{"--name", "--data-dir", "--bind", "--bootstrap-expect", "MaxBatch"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

// TestDefaultConfigIsValidRaft: the shipped timings pass hashicorp/raft's own checks.
func TestDefaultConfigIsValidRaft(t *testing.T) {
	c := validConfig()
	if err := raft.ValidateConfig(c.raftConfig()); err != nil {
		t.Fatalf("raft rejects the default timings: %v", err)
	}
	if c.advertise() != c.BindAddr {
		t.Fatalf("advertise %q, want the bind address", c.advertise())
	}
	c.AdvertiseAddr = "10.1.2.3"
	if c.advertise() != "10.1.2.3" {
		t.Fatalf("advertise %q, want the explicit one", c.advertise())
	}
}
