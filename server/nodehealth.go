package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/berth-dev/berth/gossip"
	"github.com/berth-dev/berth/server/controller"
)

// Node health for the node lifecycle controller, from this server's gossip and
// from probing each client's endpoint.
//
// Gossip declares a killed client dead in 2-3 s. A process that dies on a machine
// that stays up is seen faster, the way leaderprobe.go sees a dead leader: the
// leader holds an idle TCP connection to each gossiping client's endpoint; the
// kernel closes it the moment the process dies, and a port that then refuses a new
// connection has no process behind it. Only a refusal of an address that accepted
// before counts, so a wrong advertised address never makes a healthy node lost.

const (
	// nodeProbeRetry paces dials to an endpoint that refuses or cannot be reached.
	nodeProbeRetry = 250 * time.Millisecond
	// nodeProbeShortHold paces dials to an endpoint that hangs up within a second
	// (the client's own HTTP server drops an idle connection after 10 s): short, as
	// a process that died just after a dial is found only after it.
	nodeProbeShortHold = 50 * time.Millisecond
	// nodeProbeDialTimeout bounds a dial to an endpoint that does not answer (a
	// machine gone silent: gossip's verdict covers it).
	nodeProbeDialTimeout = time.Second
	// nodeHealthResync re-reads gossip's member list, in case events were dropped.
	nodeHealthResync = 5 * time.Second
)

// memberSource is what node health needs of gossip; *gossip.Gossip has it.
type memberSource interface {
	Members() []gossip.Member
	Subscribe() (<-chan gossip.Event, func())
}

// nodeHealth implements controller.NodeHealth. Health may be called from any
// goroutine; Watch is called once per leadership (by the controller's Run).
type nodeHealth struct {
	src      memberSource
	endpoint func(node string) (string, error) // the client endpoint's host:port
	log      *slog.Logger
	dialer   net.Dialer

	mu    sync.Mutex
	nodes map[string]*nodeHealthEntry
}

type nodeHealthEntry struct {
	report  controller.NodeHealthReport
	probing bool // a prober runs for the node
}

var _ controller.NodeHealth = (*nodeHealth)(nil)

func newNodeHealth(src memberSource, endpoint func(string) (string, error), log *slog.Logger) *nodeHealth {
	return &nodeHealth{
		src: src, endpoint: endpoint, log: log,
		dialer: net.Dialer{Timeout: nodeProbeDialTimeout},
		nodes:  map[string]*nodeHealthEntry{},
	}
}

// nodeLifecycleConfig is the node lifecycle controller's configuration.
func (s *Server) nodeLifecycleConfig() controller.NodeLifecycleConfig {
	return controller.NodeLifecycleConfig{
		GracePeriod:        s.cfg.NodeMonitorGracePeriod,
		PodEvictionTimeout: s.cfg.PodEvictionTimeout,
		Health:             newNodeHealth(s.gossip, s.agentAddr, s.log.With("component", "nodehealth")),
	}
}

// Health implements controller.NodeHealth.
func (h *nodeHealth) Health(node string) controller.NodeHealthReport {
	h.mu.Lock()
	defer h.mu.Unlock()
	if e := h.nodes[node]; e != nil {
		return e.report
	}
	return controller.NodeHealthReport{}
}

// Watch implements controller.NodeHealth: it follows gossip and probes the
// clients' endpoints until ctx ends.
func (h *nodeHealth) Watch(ctx context.Context) <-chan string {
	out := make(chan string, 256)
	events, cancel := h.src.Subscribe() // before listing: no change is missed
	h.resync(ctx, out)
	go func() {
		defer cancel()
		t := time.NewTicker(nodeHealthResync)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-events:
				if !ok {
					return
				}
				h.apply(ctx, ev.Member, out)
			case <-t.C:
				h.resync(ctx, out)
			}
		}
	}()
	return out
}

func (h *nodeHealth) resync(ctx context.Context, out chan<- string) {
	for _, m := range h.src.Members() {
		h.apply(ctx, m, out)
	}
}

// apply records a client member's state, tells the controller when it changed and
// starts a prober for a live client that has none.
func (h *nodeHealth) apply(ctx context.Context, m gossip.Member, out chan<- string) {
	if m.Meta.Role != gossip.RoleClient {
		return
	}
	node := m.Meta.ID
	if node == "" {
		node = m.Name
	}
	state := memberState(m.State)
	h.mu.Lock()
	e := h.nodes[node]
	if e == nil {
		e = &nodeHealthEntry{}
		h.nodes[node] = e
	}
	changed := e.report.Member != state
	if changed {
		e.report.Member, e.report.Since = state, time.Now()
	}
	probe := !e.probing && live(state)
	e.probing = e.probing || probe
	h.mu.Unlock()
	if changed {
		h.log.Debug("client member changed", "node", node, "state", state)
		notify(ctx, out, node)
	}
	if probe {
		go h.probe(ctx, node, out)
	}
}

func memberState(s gossip.State) controller.MemberState {
	switch s {
	case gossip.StateAlive:
		return controller.MemberAlive
	case gossip.StateSuspect:
		return controller.MemberSuspect
	case gossip.StateDead:
		return controller.MemberDead
	case gossip.StateLeft:
		return controller.MemberLeft
	}
	return controller.MemberUnknown
}

// live: a client gossip has not given up on, worth probing.
func live(s controller.MemberState) bool {
	return s == controller.MemberAlive || s == controller.MemberSuspect
}

func notify(ctx context.Context, out chan<- string, node string) {
	select {
	case out <- node:
	case <-ctx.Done():
	}
}

// probe watches one client's endpoint while gossip shows the client live.
func (h *nodeHealth) probe(ctx context.Context, node string, out chan<- string) {
	accepted := "" // the last address that accepted a connection
	for ctx.Err() == nil && h.stillProbing(node) {
		addr, err := h.endpoint(node)
		if err != nil {
			sleepCtx(ctx, nodeProbeRetry) // not registered yet
			continue
		}
		conn, err := h.dialer.DialContext(ctx, "tcp", addr)
		switch {
		case err == nil:
			accepted = addr
			h.setRefused(ctx, node, false, out)
			if held := hold(ctx, conn); held < time.Second {
				sleepCtx(ctx, nodeProbeShortHold) // an endpoint that hangs up at once: do not spin
			}
		case errors.Is(err, syscall.ECONNREFUSED) && addr == accepted:
			h.setRefused(ctx, node, true, out)
			sleepCtx(ctx, nodeProbeRetry)
		default:
			sleepCtx(ctx, nodeProbeRetry)
		}
	}
}

// stillProbing reports whether node's prober should go on, and ends it (so
// apply may start another) when not.
func (h *nodeHealth) stillProbing(node string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	e := h.nodes[node]
	if e == nil {
		return false
	}
	e.probing = live(e.report.Member)
	return e.probing
}

func (h *nodeHealth) setRefused(ctx context.Context, node string, refused bool, out chan<- string) {
	h.mu.Lock()
	e := h.nodes[node]
	changed := e != nil && refused == e.report.RefusedSince.IsZero()
	if changed {
		e.report.RefusedSince = time.Time{}
		if refused {
			e.report.RefusedSince = time.Now()
		}
	}
	h.mu.Unlock()
	if changed {
		h.log.Debug("client endpoint", "node", node, "refused", refused)
		notify(ctx, out, node)
	}
}

// hold keeps conn open, sending nothing, until the peer closes it (its process
// died, or its server dropped an idle connection) or ctx ends, and returns how
// long it was held.
func hold(ctx context.Context, conn net.Conn) time.Duration {
	start := time.Now()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	_, _ = io.Copy(io.Discard, conn)
	stop()
	conn.Close()
	return time.Since(start)
}
