package server

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/berth-dev/berth/api"
)

// mustStartCluster starts n in-process servers that bootstrap one Raft cluster
// through gossip and waits until one of them leads and takes writes.
func mustStartCluster(t *testing.T, n int) []*testServer {
	t.Helper()
	var servers []*testServer
	var first string
	for i := range n {
		cfg := DefaultConfig()
		cfg.Name = fmt.Sprintf("s%d", i+1)
		cfg.DataDir = t.TempDir()
		cfg.HTTPPort, cfg.RaftPort, cfg.GossipPort = 0, 0, 0
		cfg.DNSPort = 0 // a free port: tests run servers side by side
		cfg.BootstrapExpect = n
		cfg.RaftLogLevel = "error"
		cfg.Logger = discardLogger()
		if first != "" {
			cfg.Join = []string{first}
		}
		s, err := New(cfg)
		if err != nil {
			t.Fatalf("New %s: %v", cfg.Name, err)
		}
		if first == "" {
			first = s.GossipAddr()
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		t.Cleanup(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				t.Errorf("server %s did not stop within 15s", cfg.Name)
			}
		})
		base := "http://" + s.HTTPAddr()
		c, err := api.NewClient(base, api.WithRetry(5*time.Second), api.WithTimeout(10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		servers = append(servers, &testServer{s: s, client: c, base: base})
	}
	leaderOf(t, servers).waitReady(t)
	return servers
}

// leaderOf waits for a ready leader among servers and returns it.
func leaderOf(t *testing.T, servers []*testServer) *testServer {
	t.Helper()
	var leader *testServer
	waitFor(t, 20*time.Second, "a ready leader", func() error {
		for _, ts := range servers {
			if ts.s.leaderReady.Load() && ts.s.node.raft.State() == raft.Leader {
				leader = ts
				return nil
			}
		}
		return fmt.Errorf("no leader yet")
	})
	return leader
}

func schedulerActive(t *testing.T, ts *testServer) bool {
	return metricValue(t, ts.s.metrics.reg, "berth_scheduler_active") == 1
}

// TestSchedulerFollowsLeadership: only the leader schedules; when it hands leadership
// over its scheduler stops and the new leader's binds the next pod.
func TestSchedulerFollowsLeadership(t *testing.T) {
	servers := mustStartCluster(t, 3)
	old := leaderOf(t, servers)
	old.mustCreate(t, schedNode("n1", 4000, 4096))
	old.mustCreate(t, schedPod("before", 100, 64))
	old.waitBound(t, "before")
	for _, ts := range servers {
		if ts != old && schedulerActive(t, ts) {
			t.Fatalf("follower %s runs a scheduler", ts.s.cfg.Name)
		}
	}

	if err := old.s.node.raft.LeadershipTransfer().Error(); err != nil {
		t.Fatalf("leadership transfer: %v", err)
	}
	waitFor(t, 10*time.Second, "the old leader's scheduler to stop", func() error {
		if schedulerActive(t, old) {
			return fmt.Errorf("still active")
		}
		return nil
	})
	var next *testServer
	waitFor(t, 20*time.Second, "a new leader", func() error {
		next = leaderOf(t, servers)
		if next == old {
			return fmt.Errorf("%s still leads", old.s.cfg.Name)
		}
		return nil
	})
	if _, err := next.client.Create(context.Background(), schedPod("after", 100, 64)); err != nil {
		t.Fatalf("create: %v", err)
	}
	next.waitBound(t, "after")
	if !schedulerActive(t, next) || schedulerActive(t, old) {
		t.Fatalf("active schedulers: new leader %v, old leader %v", schedulerActive(t, next), schedulerActive(t, old))
	}
}
