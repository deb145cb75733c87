package integration

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

var cmRes = mustResource("ConfigMap")

func mustResource(kind string) *api.Resource {
	r, ok := api.ResourceForKind(kind)
	if !ok {
		panic("no resource " + kind)
	}
	return r
}

func configMap(ns, name string, data map[string]string) *api.ConfigMap {
	cm := &api.ConfigMap{Data: data}
	cm.APIVersion, cm.Kind = "v1", "ConfigMap"
	cm.Name, cm.Namespace = name, ns
	return cm
}

// TestClusterFormsAndAcceptsWritesEverywhere: 3 and 5 servers find each other by
// gossip, bootstrap with --bootstrap-expect, and every server accepts writes (followers
// forward) and serves them back on consistent reads.
func TestClusterFormsAndAcceptsWritesEverywhere(t *testing.T) {
	for _, n := range []int{3, 5} {
		t.Run(fmt.Sprintf("%d servers", n), func(t *testing.T) {
			c := newCluster(t, n)
			peers := waitPeers(t, c.nodes[0], n)
			if got := countLeaders(peers); got != 1 {
				t.Fatalf("list-peers shows %d leaders, want 1: %+v", got, peers)
			}
			ctx := context.Background()
			for i, nd := range c.nodes {
				cl := nd.client(t)
				name := fmt.Sprintf("via-%s", nd.name)
				if _, err := cl.Create(ctx, configMap("default", name, map[string]string{"i": fmt.Sprint(i)})); err != nil {
					t.Fatalf("create through %s: %v", nd.name, err)
				}
			}
			for _, nd := range c.nodes {
				list, err := nd.client(t).List(ctx, cmRes, "default", api.ListOptions{Consistent: true})
				if err != nil {
					t.Fatalf("consistent list on %s: %v", nd.name, err)
				}
				if len(list.Items) != n {
					t.Fatalf("%s lists %d configmaps, want %d", nd.name, len(list.Items), n)
				}
			}
		})
	}
}

func waitPeers(t *testing.T, n *node, want int) []api.RaftPeer {
	t.Helper()
	var peers []api.RaftPeer
	waitFor(t, 15*time.Second, fmt.Sprintf("%d raft peers", want), func() error {
		var err error
		peers, err = n.client(t).RaftPeers(context.Background())
		if err != nil {
			return err
		}
		if len(peers) != want || countLeaders(peers) != 1 {
			return fmt.Errorf("peers: %+v", peers)
		}
		return nil
	})
	return peers
}

func countLeaders(peers []api.RaftPeer) int {
	n := 0
	for _, p := range peers {
		if p.Leader {
			n++
		}
	}
	return n
}

// failover kills the leader with SIGKILL while writes go on, and returns how long it
// took until a write was accepted again.
func failover(t testing.TB, c *cluster, seq *int, acked map[string]bool) time.Duration {
	t.Helper()
	leader := c.waitLeader(15 * time.Second)
	followers := c.followers(leader)
	ctx := context.Background()
	// Acknowledged writes just before the kill must survive it.
	for i := 0; i < 5; i++ {
		*seq++
		name := fmt.Sprintf("w-%d", *seq)
		if _, err := leader.client(t).Create(ctx, configMap("default", name, map[string]string{"k": "v"})); err != nil {
			t.Fatalf("write before kill: %v", err)
		}
		acked[name] = true
	}
	leader.kill(t)
	killed := time.Now()
	for i := 0; ; i++ {
		if time.Since(killed) > 10*time.Second {
			t.Fatalf("no write accepted within 10s of killing the leader %s", leader.name)
		}
		*seq++
		name := fmt.Sprintf("w-%d", *seq)
		f := followers[i%len(followers)]
		cl := f.client(t, api.WithTimeout(3*time.Second))
		_, err := cl.Create(ctx, configMap("default", name, map[string]string{"k": "v"}))
		if err == nil {
			acked[name] = true
			return time.Since(killed)
		}
		var apiErr *api.Error
		if !errors.As(err, &apiErr) || (apiErr.Code() != 503 && apiErr.Code() != 504) {
			t.Logf("write during failover: %v", err)
		}
		time.Sleep(5 * time.Millisecond) // a client's retry pause, not a wait for a condition
	}
}

// TestLeaderKillFailover: kill -9 of the leader; a new leader accepts writes quickly
// (never more than 2 s), no acknowledged write is lost, and the killed server,
// restarted from its data dir, catches up.
func TestLeaderKillFailover(t *testing.T) {
	c := newCluster(t, 3)
	acked := map[string]bool{}
	seq := 0
	var times []time.Duration
	for round := 0; round < 3; round++ {
		d := failover(t, c, &seq, acked)
		times = append(times, d)
		t.Logf("round %d: first write accepted %v after kill -9 of the leader", round, d)
		if d > 2*time.Second {
			t.Errorf("failover took %v, want at most 2s", d)
		}
		// Bring the killed server back from its data dir alone.
		for _, n := range c.nodes {
			if !n.running() {
				n.start(t)
			}
		}
		c.waitLeader(15 * time.Second)
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	if med := times[len(times)/2]; med > time.Second {
		t.Errorf("median failover %v, want at most 1s", med)
	}
	// Every acknowledged write is on every server, the restarted ones included.
	for _, n := range c.nodes {
		waitFor(t, 15*time.Second, n.name+" to hold every acknowledged write", func() error {
			list, err := n.client(t).List(context.Background(), cmRes, "default", api.ListOptions{})
			if err != nil {
				return err
			}
			have := map[string]bool{}
			for _, raw := range list.Items {
				obj, _, err := api.DecodeObject(raw)
				if err != nil {
					return err
				}
				have[obj.GetObjectMeta().Name] = true
			}
			for name := range acked {
				if !have[name] {
					return fmt.Errorf("acknowledged write %s missing", name)
				}
			}
			return nil
		})
	}
}
