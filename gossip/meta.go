package gossip

import (
	"encoding/json"
	"fmt"
	"sync/atomic"

	"github.com/hashicorp/memberlist"
)

// Roles a member advertises in Meta.Role.
const (
	RoleServer = "server"
	RoleClient = "client"
)

// MaxMetaSize is memberlist's hard limit on a node's metadata. memberlist panics
// past it, so every encoding is checked against it before memberlist sees it.
const MaxMetaSize = memberlist.MetaMaxSize

// Meta is what each member advertises to every other member.
//
// It travels as JSON with short keys; the encoding must fit in MaxMetaSize
// bytes (a few less in fact: see encodeMeta). Decoding ignores unknown keys, so a newer member may add
// fields without breaking older ones.
type Meta struct {
	// Role is RoleServer or RoleClient.
	Role string `json:"r,omitempty"`
	// ID is the Raft server id of a server, the node name of a client.
	ID string `json:"id,omitempty"`
	// HTTPAddr is host:port of this member's HTTP API; empty if it has none.
	HTTPAddr string `json:"h,omitempty"`
	// RaftAddr is host:port of a server's Raft transport; empty on clients.
	RaftAddr string `json:"ra,omitempty"`
	// Version is the Berth version the member runs.
	Version string `json:"v,omitempty"`
	// Bootstrapped is true once a server holds Raft state, so that a fresh
	// server that sees it never bootstraps a second cluster.
	Bootstrapped bool `json:"b,omitempty"`
	// Expect is a server's --bootstrap-expect; zero if none.
	Expect int `json:"e,omitempty"`
	// Codec is the newest Raft log entry framing a server reads (raftfsm's CodecJSON,
	// CodecBinary); zero from a server that predates the field (JSON only).
	Codec int `json:"c,omitempty"`
}

// Validate checks the fields a member must get right before advertising.
func (m Meta) Validate() error {
	switch m.Role {
	case RoleServer, RoleClient:
	default:
		return fmt.Errorf("%w: role %q is neither %q nor %q", ErrInvalidMeta, m.Role, RoleServer, RoleClient)
	}
	if m.Expect < 0 {
		return fmt.Errorf("%w: expect %d is negative", ErrInvalidMeta, m.Expect)
	}
	return nil
}

// wireMeta is Meta as it travels. Leaving is set by Leave just before the
// leave message: memberlist v0.7.0 tells its event delegate neither whether a
// member left or failed nor any state at all (the Node.State it passes is never
// set), so the intent travels in the metadata, which every member re-gossips.
type wireMeta struct {
	Meta
	Leaving bool `json:"l,omitempty"`
}

// leavingOverhead is how much longer the leaving form encodes than the plain
// one (`,"l":true`).
const leavingOverhead = len(`,"l":true`)

// encodeMeta validates m and encodes it for memberlist. An encoding that
// would exceed MaxMetaSize, even with the leaving mark added later, is
// ErrMetaTooLarge: memberlist would panic on it.
func encodeMeta(m Meta, leaving bool) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(wireMeta{Meta: m, Leaving: leaving})
	if err != nil {
		// Unreachable for a struct of strings, bools and ints; kept for safety.
		return nil, fmt.Errorf("%w: %w", ErrInvalidMeta, err)
	}
	size := len(b)
	if !leaving {
		size += leavingOverhead
	}
	if size > MaxMetaSize {
		return nil, fmt.Errorf("%w: %d bytes encoded, limit %d", ErrMetaTooLarge, size, MaxMetaSize)
	}
	return b, nil
}

// decodeMeta decodes what a peer advertised. Empty input is an empty Meta (a
// member that advertises nothing), not an error. Unknown keys are ignored.
func decodeMeta(b []byte) (Meta, bool, error) {
	if len(b) == 0 {
		return Meta{}, false, nil
	}
	var w wireMeta
	if err := json.Unmarshal(b, &w); err != nil {
		return Meta{}, false, fmt.Errorf("%w: %w", ErrBadPeerMeta, err)
	}
	return w.Meta, w.Leaving, nil
}

// metaDelegate hands memberlist the encoded Meta. memberlist calls NodeMeta
// from its own goroutines (when it announces us) while UpdateMeta may store a
// new value, hence the atomic pointer. The stored encoding is always within
// MaxMetaSize: encodeMeta checked it.
type metaDelegate struct {
	meta atomic.Pointer[[]byte]
	// onMsg receives user messages (keyring changes, keyring.go); set before
	// memberlist starts, called from memberlist's goroutines.
	onMsg func([]byte)
}

var _ memberlist.Delegate = (*metaDelegate)(nil)

func (d *metaDelegate) set(b []byte) { d.meta.Store(&b) }

// NodeMeta returns the current encoding. Never more than limit: memberlist
// panics on that, so an (impossible) oversized value is withheld instead.
func (d *metaDelegate) NodeMeta(limit int) []byte {
	p := d.meta.Load()
	if p == nil || len(*p) > limit {
		return nil
	}
	return *p
}

// NotifyMsg passes a user message on: the only ones Berth sends are keyring
// changes (keyring.go). The buffer is memberlist's; onMsg must not keep it.
func (d *metaDelegate) NotifyMsg(b []byte) {
	if d.onMsg != nil {
		d.onMsg(b)
	}
}

// Berth exchanges no state over gossip: membership and metadata only. These
// are memberlist's no-op hooks for that.

func (d *metaDelegate) GetBroadcasts(int, int) [][]byte { return nil }
func (d *metaDelegate) LocalState(bool) []byte          { return nil }
func (d *metaDelegate) MergeRemoteState([]byte, bool)   {}
