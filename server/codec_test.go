package server

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/gossip"
	"github.com/berth-dev/berth/raftfsm"
)

// TestBinaryFramingOnceEveryServerReadsIt: a cluster whose servers all advertise the
// binary framing switches to it, its entries apply on every server, and the log's
// newest entry is binary.
func TestBinaryFramingOnceEveryServerReadsIt(t *testing.T) {
	servers := mustStartCluster(t, 3)
	leader := leaderOf(t, servers)
	waitFor(t, 15*time.Second, "the leader proposing binary entries", func() error {
		if !leader.s.prop.binary.Load() {
			return errors.New("still JSON")
		}
		return nil
	})
	var follower *testServer
	for _, ts := range servers {
		if ts != leader {
			follower = ts
		}
	}
	mustCreate(t, follower.client, newConfigMap("default", "framed", map[string]string{"k": "v"}))
	last, err := leader.s.node.store.LastIndex()
	if err != nil {
		t.Fatal(err)
	}
	for _, ts := range servers {
		waitFor(t, 10*time.Second, ts.s.cfg.Name+" applying the entry", func() error {
			obj, err := ts.client.Get(context.Background(), mustResource("ConfigMap"), "default", "framed", api.GetOptions{})
			if err != nil {
				return err
			}
			if got := obj.(*api.ConfigMap).Data["k"]; got != "v" {
				return fmt.Errorf("data %q", got)
			}
			return nil
		})
	}
	binaryEntries := 0
	for i := last; i > 0 && i+20 > last; i-- {
		var l raft.Log
		if err := leader.s.node.store.GetLog(i, &l); err != nil || l.Type != raft.LogCommand || len(l.Data) == 0 {
			continue
		}
		if cmd, err := raftfsm.DecodeCommand(l.Data); err == nil && l.Data[0] != byte(cmd.Type) {
			binaryEntries++ // not a type byte first: the binary marker
		}
	}
	if binaryEntries == 0 {
		t.Fatalf("no binary entry among the last 20 of the log")
	}
}

// TestEveryServerReadsBinary: one server of the configuration missing from gossip, or
// advertising an older codec, keeps the leader on JSON.
func TestEveryServerReadsBinary(t *testing.T) {
	ts := mustStartServer(t, nil) // a one-server configuration: s1
	member := func(id string, codec int) gossip.Member {
		return gossip.Member{Name: id, Meta: gossip.Meta{Role: gossip.RoleServer, ID: id, Codec: codec}}
	}
	for _, tc := range []struct {
		name    string
		members []gossip.Member
		want    bool
	}{
		{"reads binary", []gossip.Member{member("s1", raftfsm.CodecBinary)}, true},
		{"older server", []gossip.Member{member("s1", 0)}, false},
		{"JSON codec", []gossip.Member{member("s1", raftfsm.CodecJSON)}, false},
		{"not in gossip", []gossip.Member{member("s9", raftfsm.CodecBinary)}, false},
	} {
		if got := ts.s.everyServerReadsBinary(tc.members); got != tc.want {
			t.Errorf("%s: everyServerReadsBinary = %v, want %v", tc.name, got, tc.want)
		}
	}
}
