package scheduler

import (
	"context"
	"fmt"
	"testing"

	"github.com/berth-dev/berth/api"
)

// benchCluster is 5,000 hollow-node-sized nodes in 10 zones, with 5 pods of 30
// owners already bound to each, and 1,000 pending pods of 50 owners.
func benchCluster() ([]*api.Node, []*api.Pod, []*api.Pod) {
	nodes := make([]*api.Node, 5000)
	var bound []*api.Pod
	for i := range nodes {
		name := fmt.Sprintf("node-%04d", i)
		nodes[i] = mkNode(name, 8000, 32*1024, withLabels(labelZone, fmt.Sprintf("zone-%d", i%10)))
		for j := range 5 {
			bound = append(bound, mkPod(fmt.Sprintf("old-%d-%d", i, j), 100, 128,
				onNode(name), ownedBy(fmt.Sprintf("old-rs-%d", (i+j)%30))))
		}
	}
	pending := make([]*api.Pod, 1000)
	for i := range pending {
		pending[i] = mkPod(fmt.Sprintf("new-%d", i), 100, 128, ownedBy(fmt.Sprintf("rs-%d", i%50)))
	}
	return nodes, append(bound, pending...), pending
}

// BenchmarkSchedule5000Nodes schedules 1,000 pods onto 5,000 nodes per iteration,
// each iteration from a fresh scheduler (cache build included), and reports pods/s.
func BenchmarkSchedule5000Nodes(b *testing.B) {
	nodes, all, pending := benchCluster()
	st := NewSnapshot(nodes, all)
	b.ResetTimer()
	for range b.N {
		s, _, _ := mustNewScheduler(b, DefaultConfig(), st)
		rs := s.Schedule(context.Background(), pending)
		for _, r := range rs {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	}
	b.ReportMetric(float64(len(pending)*b.N)/b.Elapsed().Seconds(), "pods/s")
}
