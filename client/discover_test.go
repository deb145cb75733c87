package client

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/runtime/fake"
	"github.com/berth-dev/berth/server/servertest"
)

// TestAgentFindsServersByGossip: an agent given only --join (a server's gossip
// address) finds the API through gossip metadata and registers its node.
func TestAgentFindsServersByGossip(t *testing.T) {
	ts := servertest.Start(t, nil)
	cfg := DefaultConfig()
	cfg.Name, cfg.DataDir, cfg.Join = "gossiped", t.TempDir(), []string{ts.GossipAddr()}
	cfg.ClientPort, cfg.GossipPort, cfg.StatusInterval, cfg.Logger = 0, 0, time.Second, discardLogger()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("a config with --join and no --servers is refused: %v", err)
	}
	a, err := NewWithRuntime(cfg, fake.New(fake.Config{Hostname: "gossiped"}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitFor(t, 20*time.Second, "the node registered through gossip", func() error {
		obj, err := ts.Client.Get(ctx, mustResource("Node"), "", "gossiped", api.GetOptions{})
		if err != nil {
			return err
		}
		if obj.(*api.Node).Spec.PodCIDR == "" || !a.Ready() {
			return fmt.Errorf("node not ready yet: %+v", obj.(*api.Node).Spec)
		}
		return nil
	})

	none := DefaultConfig()
	none.Name, none.DataDir = "lost", t.TempDir()
	if err := none.Validate(); err == nil {
		t.Fatal("a config with neither --servers nor --join was accepted")
	}
}

// TestAPIPoolStartsAtARandomServer: clients given the same server list do not all
// use the first server.
func TestAPIPoolStartsAtARandomServer(t *testing.T) {
	servers := []string{"http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3"}
	seen := map[uint32]bool{}
	for range 200 {
		p, err := newAPIPool(servers, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		seen[p.cur.Load()] = true
	}
	if len(seen) != len(servers) {
		t.Fatalf("200 pools started at servers %v, want all %d", seen, len(servers))
	}
}
