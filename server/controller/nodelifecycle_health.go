package controller

import (
	"context"
	"time"
)

// MemberState is a node's client as gossip knows it.
type MemberState int

// The member states a NodeHealth reports.
const (
	// MemberUnknown: gossip has no member for the node (hollow nodes, clients
	// started without --join, or a member gossip has forgotten).
	MemberUnknown MemberState = iota
	MemberAlive
	// MemberSuspect: suspected by gossip, not yet declared dead.
	MemberSuspect
	MemberDead
	// MemberLeft: the client left gossip on purpose (it was stopped).
	MemberLeft
)

func (s MemberState) String() string {
	switch s {
	case MemberAlive:
		return "alive"
	case MemberSuspect:
		return "suspect"
	case MemberDead:
		return "dead"
	case MemberLeft:
		return "left"
	}
	return "unknown"
}

// NodeHealthReport is what a NodeHealth knows of one node's client now.
type NodeHealthReport struct {
	Member MemberState
	// Since is when Member was first observed in its state; zero if not known.
	Since time.Time
	// RefusedSince is non-zero while the node's client endpoint, which accepted
	// connections before, refuses them: the client's process is gone though its
	// machine is up. It is when the refusal was first seen.
	RefusedSince time.Time
}

// NodeHealth is the node lifecycle controller's view of clients beyond their
// heartbeats in the store. The server implements it over gossip.
type NodeHealth interface {
	// Health reports on one node. It must be cheap: it is called on every
	// reconcile of the node.
	Health(node string) NodeHealthReport
	// Watch starts following health until ctx ends and returns the names of
	// the nodes whose report may have changed. It is called once per Run.
	Watch(ctx context.Context) <-chan string
}

// Why a node is lost, in the Ready condition's message.
const (
	nodeMsgSilent      = "Berth client stopped posting node status."
	nodeMsgNeverPosted = "Berth client never posted node status."
	nodeMsgDead        = "Berth client is dead in gossip."
	nodeMsgRefused     = "Berth client's endpoint refuses connections: its process is gone."
)

// nodeSeen is what the controller remembers of a node between reconciles: when
// it last heard from the node's client. Times are this server's clock, never the
// client's (clocks differ between machines).
type nodeSeen struct {
	heartbeat time.Time     // Ready's lastHeartbeatTime as last seen
	firstSeen time.Time     // when this controller first saw the node
	heardAt   time.Time     // when the heartbeat last changed; zero until it does
	ready     string        // Ready's status as last seen
	taints    noExecuteMask // the NoExecute taints as last seen
}

// nodeVerdict is the judgement of one node.
type nodeVerdict struct {
	lost    bool
	message string    // why, when lost
	recheck time.Time // when silence would make it lost; zero when lost
}

// judgeNode decides whether a node is lost. Gossip's word counts only when the
// client has not been heard from since: a client that still posts its status is
// reachable, whatever one member's gossip says. Silence is measured from the
// last heartbeat this controller saw, or from when it first saw the node, so a
// new leader (which has seen no heartbeat yet) waits one full grace before it
// calls any node silent: an election never makes healthy nodes lost.
func judgeNode(s nodeSeen, h NodeHealthReport, grace time.Duration, now time.Time, everPosted bool) nodeVerdict {
	switch {
	case h.Member == MemberDead && newerThanHeartbeat(h.Since, s.heardAt):
		return nodeVerdict{lost: true, message: nodeMsgDead}
	case !h.RefusedSince.IsZero() && (h.Member == MemberAlive || h.Member == MemberSuspect) && newerThanHeartbeat(h.RefusedSince, s.heardAt):
		// A refusal is proof only of a process that listened before (NodeHealth
		// reports nothing else). A client that left on purpose is judged by its
		// silence instead: it may be restarting.
		return nodeVerdict{lost: true, message: nodeMsgRefused}
	}
	last := s.firstSeen
	if s.heardAt.After(last) {
		last = s.heardAt
	}
	deadline := last.Add(grace)
	if now.Before(deadline) {
		return nodeVerdict{recheck: deadline}
	}
	if !everPosted {
		return nodeVerdict{lost: true, message: nodeMsgNeverPosted}
	}
	return nodeVerdict{lost: true, message: nodeMsgSilent}
}

// newerThanHeartbeat reports whether evidence seen at t is newer than the last heartbeat
// (unknown times count as newer).
func newerThanHeartbeat(t, heardAt time.Time) bool {
	return t.IsZero() || heardAt.IsZero() || t.After(heardAt)
}
