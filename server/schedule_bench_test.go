package server

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/berth-dev/berth/api"
)

// mustStartBenchServer is mustStartServer for benchmarks: one server, ports from the
// kernel, ready for namespaced writes.
func mustStartBenchServer(b *testing.B) *Server {
	b.Helper()
	cfg := DefaultConfig()
	cfg.Name, cfg.DataDir, cfg.BindAddr = "bench", b.TempDir(), "127.0.0.1"
	cfg.HTTPPort, cfg.RaftPort, cfg.GossipPort = 0, 0, 0
	cfg.DNSPort = 0 // a free port: tests run servers side by side
	cfg.BootstrapExpect, cfg.RaftLogLevel, cfg.Logger = 1, "error", discardLogger()
	s, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	nsRes := mustRes(b, "Namespace")
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, ok := s.fsm.Get(nsRes, "", "default"); ok && s.leaderReady.Load() {
			return s
		}
		if time.Now().After(deadline) {
			b.Fatal("the server did not become ready")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// counterOf reads the value of an unlabelled counter.
func counterOf(b *testing.B, c prometheus.Collector) float64 {
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil || len(mfs) == 0 {
		b.Fatal(err)
	}
	return mfs[0].GetMetric()[0].GetCounter().GetValue()
}

// BenchmarkLeaderScheduling: one in-process server with 1,000 Ready nodes; 10,000
// pods are created in bulk (batches of 500 straight through the proposer, as a burst
// of API creates arrives) and the clock stops when the last binding has committed.
// pods/s is 10,000 over that time: creation, scheduling, binding and, with
// events=on, the 10,000 Scheduled Events, all sharing the two cores.
func BenchmarkLeaderScheduling(b *testing.B) {
	const numNodes, numPods = 1000, 10000
	for _, events := range []bool{true, false} {
		b.Run(fmt.Sprintf("events=%v", events), func(b *testing.B) {
			var elapsed, creating time.Duration
			var entries uint64
			for range b.N {
				b.StopTimer()
				s := mustStartBenchServer(b)
				s.events.mute.Store(!events)
				nodes := make([]api.Object, numNodes)
				for i := range nodes {
					nodes[i] = schedNode(fmt.Sprintf("node-%04d", i), 8000, 32*1024,
						nodeLabel("topology.kubernetes.io/zone", fmt.Sprintf("zone-%d", i%10)))
				}
				mustProposeCreates(b, s, nodes)
				pods := make([]api.Object, numPods)
				for i := range pods {
					pods[i] = schedPod(fmt.Sprintf("p-%05d", i), 100, 128)
				}
				before := counterOf(b, s.schedMetrics.scheduled)
				startIdx := s.fsm.Index()
				b.StartTimer()
				start := time.Now()
				mustProposeCreates(b, s, pods)
				creating += time.Since(start)
				for counterOf(b, s.schedMetrics.scheduled)-before < numPods {
					if time.Since(start) > 2*time.Minute {
						b.Fatalf("only %v of %d pods bound after 2 minutes", counterOf(b, s.schedMetrics.scheduled)-before, numPods)
					}
					time.Sleep(2 * time.Millisecond)
				}
				elapsed += time.Since(start)
				b.StopTimer()
				entries += s.fsm.Index() - startIdx
			}
			b.ReportMetric(float64(numPods*b.N)/elapsed.Seconds(), "pods/s")
			b.ReportMetric(float64(entries)/float64(b.N), "raft-entries/op")
			b.ReportMetric(creating.Seconds()/float64(b.N), "s-creating/op")
		})
	}
}
