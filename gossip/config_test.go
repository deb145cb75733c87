package gossip

import (
	"errors"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	valid := func() Config {
		c := DefaultConfig()
		c.Name = "s1"
		c.Meta = Meta{Role: RoleServer, ID: "s1"}
		return c
	}
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr error
	}{
		{name: "default", edit: func(*Config) {}},
		{name: "keys", edit: func(c *Config) { c.SecretKey = make([]byte, 32) }},
		{name: "no name", edit: func(c *Config) { c.Name = "" }, wantErr: ErrInvalidConfig},
		{name: "hostname bind", edit: func(c *Config) { c.BindAddr = "localhost" }, wantErr: ErrInvalidConfig},
		{name: "port range", edit: func(c *Config) { c.BindPort = 70000 }, wantErr: ErrInvalidConfig},
		{name: "bad advertise", edit: func(c *Config) { c.AdvertiseAddr = "x" }, wantErr: ErrInvalidConfig},
		{name: "advertise port", edit: func(c *Config) { c.AdvertisePort = -1 }, wantErr: ErrInvalidConfig},
		{name: "probe timeout too long", edit: func(c *Config) { c.ProbeTimeout = c.ProbeInterval }, wantErr: ErrInvalidConfig},
		{name: "zero probe", edit: func(c *Config) { c.ProbeInterval = 0 }, wantErr: ErrInvalidConfig},
		{name: "suspicion", edit: func(c *Config) { c.SuspicionMult = 0 }, wantErr: ErrInvalidConfig},
		{name: "gossip nodes", edit: func(c *Config) { c.GossipNodes = 0 }, wantErr: ErrInvalidConfig},
		{name: "retransmit", edit: func(c *Config) { c.RetransmitMult = 0 }, wantErr: ErrInvalidConfig},
		{name: "tcp timeout", edit: func(c *Config) { c.TCPTimeout = 0 }, wantErr: ErrInvalidConfig},
		{name: "dead time", edit: func(c *Config) { c.GossipToTheDeadTime = -time.Second }, wantErr: ErrInvalidConfig},
		{name: "event buffer", edit: func(c *Config) { c.EventBuffer = -1 }, wantErr: ErrInvalidConfig},
		{name: "key size", edit: func(c *Config) { c.SecretKey = make([]byte, 10) }, wantErr: ErrInvalidConfig},
		{name: "label size", edit: func(c *Config) { c.Label = string(make([]byte, 256)) }, wantErr: ErrInvalidConfig},
		{name: "meta role", edit: func(c *Config) { c.Meta.Role = "" }, wantErr: ErrInvalidMeta},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.edit(&c)
			if err := c.Validate(); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Validate = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// The defaults must detect a dead member faster than memberlist's LAN config:
// the minimum suspicion below 10 members is SuspicionMult × ProbeInterval.
func TestDefaultConfigTimings(t *testing.T) {
	t.Parallel()
	c := DefaultConfig()
	minSuspicion := time.Duration(c.SuspicionMult) * c.ProbeInterval
	maxSuspicion := time.Duration(c.SuspicionMaxTimeoutMult) * minSuspicion
	if worst := 2*c.ProbeInterval + maxSuspicion; worst > 4*time.Second {
		t.Errorf("worst-case detection %v (probe 2×%v + suspicion %v) is over 4 s", worst, c.ProbeInterval, maxSuspicion)
	}
	if c.GossipInterval*5 > minSuspicion {
		t.Errorf("gossip interval %v leaves too few rounds to refute within %v", c.GossipInterval, minSuspicion)
	}
}

func TestNewRejectsBusyPort(t *testing.T) {
	t.Parallel()
	a := mustNew(t, testConfig(t, "a"))
	cfg := testConfig(t, "b")
	cfg.BindPort = a.Port()
	if _, err := New(cfg); !errors.Is(err, ErrStart) {
		t.Fatalf("New on a busy port = %v, want ErrStart", err)
	}
}
