package server

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/gossip"
	"github.com/berth-dev/berth/server/controller"
)

// fakeMembers is a memberSource the test drives.
type fakeMembers struct {
	mu      sync.Mutex
	members []gossip.Member
	events  chan gossip.Event
}

func (f *fakeMembers) Members() []gossip.Member {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]gossip.Member(nil), f.members...)
}

func (f *fakeMembers) Subscribe() (<-chan gossip.Event, func()) { return f.events, func() {} }

func clientMember(node string, state gossip.State) gossip.Member {
	return gossip.Member{Name: node, State: state, Meta: gossip.Meta{Role: gossip.RoleClient, ID: node}}
}

// endpointServer is a client endpoint stand-in: it accepts and holds connections
// until killed, as a process whose sockets the kernel closes when it dies.
type endpointServer struct {
	ln       net.Listener
	accepted atomic.Int32
	mu       sync.Mutex
	conns    []net.Conn
}

func startEndpoint(t *testing.T, addr string) *endpointServer {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	e := &endpointServer{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			e.mu.Lock()
			e.conns = append(e.conns, c)
			e.mu.Unlock()
			e.accepted.Add(1)
		}
	}()
	t.Cleanup(e.kill)
	return e
}

func (e *endpointServer) addr() string { return e.ln.Addr().String() }

func (e *endpointServer) kill() {
	e.ln.Close()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range e.conns {
		c.Close()
	}
	e.conns = nil
}

// drain empties the Watch channel of earlier changes.
func drain(ch <-chan string) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// awaitChange waits for node's name on the Watch channel.
func awaitChange(t *testing.T, ch <-chan string, node string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case n := <-ch:
			if n == node {
				return
			}
		case <-deadline:
			t.Fatalf("no change reported for %s", node)
		}
	}
}

func TestNodeHealthMemberStates(t *testing.T) {
	src := &fakeMembers{events: make(chan gossip.Event, 8), members: []gossip.Member{
		clientMember("n1", gossip.StateAlive),
		{Name: "s1", State: gossip.StateDead, Meta: gossip.Meta{Role: gossip.RoleServer, ID: "s1"}},
	}}
	h := newNodeHealth(src, func(string) (string, error) { return "", fmt.Errorf("no endpoint") }, discardLogger())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := h.Watch(ctx)
	if r := h.Health("n1"); r.Member != controller.MemberAlive || r.Since.IsZero() {
		t.Errorf("n1 after the first list: %+v, want alive", r)
	}
	if r := h.Health("s1"); r.Member != controller.MemberUnknown {
		t.Errorf("a server member is reported as a node: %+v", r)
	}
	for _, tt := range []struct {
		state gossip.State
		want  controller.MemberState
	}{
		{gossip.StateDead, controller.MemberDead},
		{gossip.StateAlive, controller.MemberAlive},
		{gossip.StateLeft, controller.MemberLeft},
	} {
		t.Run(string(tt.state), func(t *testing.T) {
			before := time.Now()
			drain(ch)
			src.events <- gossip.Event{Type: gossip.EventUpdate, Member: clientMember("n1", tt.state)}
			awaitChange(t, ch, "n1")
			if r := h.Health("n1"); r.Member != tt.want || r.Since.Before(before) {
				t.Errorf("n1: %+v, want %v since the event", r, tt.want)
			}
		})
	}
}

func TestNodeHealthProbe(t *testing.T) {
	ep := startEndpoint(t, "127.0.0.1:0")
	addr := ep.addr()
	src := &fakeMembers{events: make(chan gossip.Event, 8), members: []gossip.Member{clientMember("n1", gossip.StateAlive)}}
	h := newNodeHealth(src, func(string) (string, error) { return addr, nil }, discardLogger())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := h.Watch(ctx)

	waitFor(t, 10*time.Second, "the prober to connect", func() error {
		if ep.accepted.Load() == 0 {
			return fmt.Errorf("no connection yet")
		}
		return nil
	})
	drain(ch)
	killed := time.Now()
	ep.kill()
	awaitChange(t, ch, "n1")
	r := h.Health("n1")
	if r.RefusedSince.IsZero() {
		t.Fatalf("after the endpoint's process died: %+v, want refused", r)
	}
	t.Logf("refusal seen %v after the kill", r.RefusedSince.Sub(killed))

	// The client is back on the same address.
	drain(ch)
	startEndpoint(t, addr)
	awaitChange(t, ch, "n1")
	if r := h.Health("n1"); !r.RefusedSince.IsZero() {
		t.Errorf("after the endpoint came back: %+v", r)
	}
}

// A port that never accepted is no proof of a dead process (a wrong advertised
// address, a client still starting): it is never reported as refused.
func TestNodeHealthNeverAccepted(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	var dials atomic.Int32
	src := &fakeMembers{events: make(chan gossip.Event, 8), members: []gossip.Member{clientMember("n1", gossip.StateAlive)}}
	h := newNodeHealth(src, func(string) (string, error) { dials.Add(1); return addr, nil }, discardLogger())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.Watch(ctx)
	waitFor(t, 10*time.Second, "three dials", func() error {
		if dials.Load() < 3 {
			return fmt.Errorf("%d dials", dials.Load())
		}
		return nil
	})
	if r := h.Health("n1"); !r.RefusedSince.IsZero() {
		t.Errorf("a port that never accepted reported refused: %+v", r)
	}
}

// The server end to end: a gossiping client whose process dies (its endpoint
// refuses) or whose member is declared dead loses its pods within seconds.
func TestServerEvictsPodsOfLostNode(t *testing.T) {
	tests := []struct {
		name string
		lose func(g *gossip.Gossip, ep *endpointServer)
	}{
		{name: "process gone, endpoint refuses", lose: func(_ *gossip.Gossip, ep *endpointServer) { ep.kill() }},
		{name: "dead in gossip", lose: func(g *gossip.Gossip, _ *endpointServer) { g.Shutdown() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := mustStartServer(t, func(c *Config) { c.PodEvictionTimeout = 200 * time.Millisecond })
			ep := startEndpoint(t, "127.0.0.1:0")
			g := joinAsClient(t, ts, "n1")
			registerNode(t, ts, "n1", ep.addr())
			pod := newPod("default", "p1")
			pod.Spec.NodeName = "n1"
			if _, err := ts.client.Create(context.Background(), pod); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 10*time.Second, "the leader to probe the endpoint", func() error {
				if ep.accepted.Load() == 0 {
					return fmt.Errorf("no connection yet")
				}
				return nil
			})
			lost := time.Now()
			tt.lose(g, ep)
			waitFor(t, 15*time.Second, "the pod evicted", func() error {
				_, err := ts.client.Get(context.Background(), mustRes(t, "Pod"), "default", "p1", api.GetOptions{})
				if api.ReasonOf(err) == api.ReasonNotFound {
					return nil
				}
				return fmt.Errorf("still there (%v)", err)
			})
			t.Logf("pod evicted %v after the client was lost", time.Since(lost).Round(time.Millisecond))
			obj, err := ts.client.Get(context.Background(), mustRes(t, "Node"), "", "n1", api.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			n := obj.(*api.Node)
			if len(n.Spec.Taints) != 1 || n.Spec.Taints[0].Key != controller.TaintNodeUnreachable {
				t.Errorf("taints of the lost node: %+v", n.Spec.Taints)
			}
		})
	}
}

// joinAsClient makes a gossip member of role client for node, joined to ts.
func joinAsClient(t *testing.T, ts *testServer, node string) *gossip.Gossip {
	t.Helper()
	cfg := gossip.DefaultConfig()
	cfg.Name, cfg.BindAddr, cfg.BindPort = node, "127.0.0.1", 0
	cfg.Meta = gossip.Meta{Role: gossip.RoleClient, ID: node}
	g, err := gossip.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Shutdown() })
	if _, err := g.Join([]string{ts.s.GossipAddr()}); err != nil {
		t.Fatal(err)
	}
	return g
}

// registerNode creates node as its client would, its endpoint at addr.
func registerNode(t *testing.T, ts *testServer, node, addr string) {
	t.Helper()
	host, p, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(p)
	ctx := context.Background()
	obj, err := ts.client.Create(ctx, &api.Node{TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Node"}, ObjectMeta: api.ObjectMeta{Name: node}})
	if err != nil {
		t.Fatal(err)
	}
	n := obj.(*api.Node)
	now := api.NewTime(time.Now())
	n.Status.Addresses = []api.NodeAddress{{Type: "InternalIP", Address: host}}
	n.Status.DaemonEndpoints.KubeletEndpoint.Port = int32(port)
	n.Status.Conditions = []api.NodeCondition{{Type: api.NodeReady, Status: api.ConditionTrue, LastHeartbeatTime: now, LastTransitionTime: now}}
	if _, err := ts.client.UpdateStatus(ctx, n); err != nil {
		t.Fatal(err)
	}
}

func TestConfigNodeLifecycleTimings(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		ok     bool
	}{
		{name: "defaults", mutate: func(*Config) {}, ok: true},
		{name: "zero means the defaults", mutate: func(c *Config) { c.PodEvictionTimeout, c.NodeMonitorGracePeriod = 0, 0 }, ok: true},
		{name: "negative eviction timeout", mutate: func(c *Config) { c.PodEvictionTimeout = -time.Second }},
		{name: "negative grace", mutate: func(c *Config) { c.NodeMonitorGracePeriod = -time.Second }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Name, cfg.BootstrapExpect = "s1", 1
			tt.mutate(&cfg)
			if err := cfg.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
