package gossip

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/hashicorp/memberlist"
)

// DefaultPort is Berth's gossip port (TCP and UDP).
const DefaultPort = 6442

// DefaultEventBuffer is each subscriber's channel capacity when
// Config.EventBuffer is zero.
const DefaultEventBuffer = 256

// Config configures one gossip member. New copies it; changing it afterwards
// has no effect.
type Config struct {
	// Name is this member's unique name in the cluster (the Raft server id of a
	// server, the node name of a client). Required.
	Name string

	// BindAddr is the IP to listen on (TCP and UDP). Required.
	BindAddr string
	// BindPort is the port to listen on; zero picks a free one, readable
	// afterwards through (*Gossip).Port and Addr.
	BindPort int

	// AdvertiseAddr is the IP others reach this member at; empty means the bind
	// address, or a private IP of this host when binding 0.0.0.0.
	AdvertiseAddr string
	// AdvertisePort is the port others reach this member at; zero means the
	// bound port. Ignored when BindPort is zero (the picked port is advertised).
	AdvertisePort int

	// Meta is advertised from the start; change it later with UpdateMeta.
	Meta Meta

	// Failure detection (SWIM with Lifeguard, see memberlist). Every field must
	// be set: DefaultConfig is the starting point.
	ProbeInterval           time.Duration // how often this member probes one peer
	ProbeTimeout            time.Duration // direct-ack wait before indirect probes; < ProbeInterval
	IndirectChecks          int           // peers asked to probe on our behalf
	SuspicionMult           int           // suspicion lasts SuspicionMult × ProbeInterval × max(1, log10 n)
	SuspicionMaxTimeoutMult int           // upper bound of suspicion, as a multiple of the above
	GossipInterval          time.Duration // how often queued messages are gossiped
	GossipNodes             int           // peers gossiped to per interval
	GossipToTheDeadTime     time.Duration // how long a dead member is still gossiped to and listed
	PushPullInterval        time.Duration // full state sync with a random peer
	RetransmitMult          int           // each message is sent RetransmitMult × ceil(log10(n+1)) times
	TCPTimeout              time.Duration // joins, push/pull and TCP probes

	// BroadcastTimeout bounds how long UpdateMeta and Leave wait for their
	// message to leave this member.
	BroadcastTimeout time.Duration

	// EventBuffer is each subscriber's channel capacity; zero means
	// DefaultEventBuffer.
	EventBuffer int

	// SecretKey, when set, encrypts all gossip (AES, 16, 24 or 32 bytes). Every
	// member must share it; nil means no encryption.
	SecretKey []byte
	// Keys are further keys this member decrypts with (a rotation in progress);
	// SecretKey stays the one it encrypts with. Ignored without SecretKey.
	Keys [][]byte
	// OnKeyringChange, when set, is called with the whole keyring (primary first)
	// after each change made here or sent by a peer (ChangeKeyring), so the owner
	// can persist it. Called from memberlist's goroutines, one change at a time; it
	// must not call back into Gossip.
	OnKeyringChange func(keys [][]byte)
	// Label, when set, is stamped on every packet; members with another label
	// ignore us. Keeps two clusters on one network apart. At most 255 bytes.
	Label string

	// Logger receives this package's and memberlist's logs; nil discards them.
	Logger *slog.Logger
}

// DefaultConfig returns a configuration tuned so that a killed member is seen
// dead by the others in about 2–3 s on a LAN (memberlist's DefaultLANConfig
// takes 6–7 s). The name is the host name; the caller sets Meta.
func DefaultConfig() Config {
	host, _ := os.Hostname()
	return Config{
		Name:     host,
		BindAddr: "0.0.0.0", // every interface; the advertise address is picked from them
		BindPort: DefaultPort,

		// A LAN round trip is well under a millisecond: probing one peer every
		// 500 ms costs nothing and means a dead peer is probed by someone within
		// ~0.5 s (members probe in shuffled round robin).
		ProbeInterval: 500 * time.Millisecond,
		// 200 ms absorbs a GC pause or a busy host before we fall back to
		// indirect probes; far above any LAN RTT.
		ProbeTimeout: 200 * time.Millisecond,
		// memberlist's choice: three peers vouch before we suspect, so one lossy
		// link does not start a suspicion.
		IndirectChecks: 3,
		// 3 × 0.5 s = 1.5 s of suspicion below 10 members: long enough for a
		// live member to hear of it and refute (gossip every 100 ms), short
		// enough for the 2–3 s target. Also gives Lifeguard one confirmation to
		// wait for (k = SuspicionMult-2) in clusters of 3 or more.
		SuspicionMult: 3,
		// Without a confirmation the suspicion lasts at most 2 × 1.5 s = 3 s;
		// memberlist's 6 would allow 9 s.
		SuspicionMaxTimeoutMult: 2,
		// Suspect and dead messages spread in a few 100 ms rounds; on a LAN the
		// extra packets are negligible (memberlist's local config uses it too).
		GossipInterval: 100 * time.Millisecond,
		// memberlist's default fan-out: 3 peers per round reach everyone in
		// O(log n) rounds.
		GossipNodes: 3,
		// Dead members stay listed (and gossiped to, so a wrongly declared
		// member learns of it and rejoins) for 15 s, then are forgotten.
		GossipToTheDeadTime: 15 * time.Second,
		// Full syncs repair missed gossip; detection does not depend on them, so
		// 15 s (half of memberlist's LAN default) is plenty.
		PushPullInterval: 15 * time.Second,
		// memberlist's LAN default: with gossip every 100 ms a message still
		// reaches everyone well within a second.
		RetransmitMult: 4,
		// A LAN join or push/pull that takes 5 s is broken; memberlist's 10 s
		// only delays the error.
		TCPTimeout: 5 * time.Second,
		// Long enough for a few gossip rounds; a caller is not held for longer.
		BroadcastTimeout: 3 * time.Second,
		EventBuffer:      DefaultEventBuffer,
	}
}

// Validate reports the first problem with c, wrapped in ErrInvalidConfig (or
// the meta errors for a bad Meta).
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
	}
	switch {
	case c.Name == "":
		return bad("name is required")
	case net.ParseIP(c.BindAddr) == nil:
		return bad("bind address %q is not an IP", c.BindAddr)
	case c.BindPort < 0 || c.BindPort > 65535:
		return bad("bind port %d out of range", c.BindPort)
	case c.AdvertiseAddr != "" && net.ParseIP(c.AdvertiseAddr) == nil:
		return bad("advertise address %q is not an IP", c.AdvertiseAddr)
	case c.AdvertisePort < 0 || c.AdvertisePort > 65535:
		return bad("advertise port %d out of range", c.AdvertisePort)
	case c.ProbeInterval <= 0 || c.ProbeTimeout <= 0:
		return bad("probe interval and timeout must be positive")
	case c.ProbeTimeout >= c.ProbeInterval:
		return bad("probe timeout %v must be shorter than probe interval %v", c.ProbeTimeout, c.ProbeInterval)
	case c.IndirectChecks < 0:
		return bad("indirect checks %d is negative", c.IndirectChecks)
	case c.SuspicionMult < 1 || c.SuspicionMaxTimeoutMult < 1:
		return bad("suspicion multipliers must be at least 1")
	case c.GossipInterval <= 0 || c.GossipNodes < 1:
		return bad("gossip interval must be positive and gossip nodes at least 1")
	case c.GossipToTheDeadTime < 0 || c.PushPullInterval < 0:
		return bad("gossip-to-the-dead time and push/pull interval must not be negative")
	case c.RetransmitMult < 1:
		return bad("retransmit multiplier must be at least 1")
	case c.TCPTimeout <= 0 || c.BroadcastTimeout <= 0:
		return bad("TCP and broadcast timeouts must be positive")
	case c.EventBuffer < 0:
		return bad("event buffer %d is negative", c.EventBuffer)
	case len(c.Label) > memberlist.LabelMaxSize:
		return bad("label is %d bytes, limit %d", len(c.Label), memberlist.LabelMaxSize)
	}
	for _, k := range append([][]byte{c.SecretKey}, c.Keys...) {
		switch len(k) {
		case 0, 16, 24, 32:
		default:
			return bad("secret key is %d bytes; want 16, 24 or 32", len(k))
		}
	}
	if len(c.Keys) > 0 && len(c.SecretKey) == 0 {
		return bad("keyring keys given without a secret key")
	}
	_, err := encodeMeta(c.Meta, false)
	return err
}

// memberlistConfig translates c (already validated) for memberlist. Delegates
// and the logger are set by the caller.
func (c Config) memberlistConfig() *memberlist.Config {
	mc := memberlist.DefaultLANConfig()
	mc.Name = c.Name
	mc.BindAddr = c.BindAddr
	mc.BindPort = c.BindPort
	mc.AdvertiseAddr = c.AdvertiseAddr
	mc.AdvertisePort = c.AdvertisePort
	if mc.AdvertisePort == 0 {
		mc.AdvertisePort = c.BindPort
	}
	mc.ProbeInterval = c.ProbeInterval
	mc.ProbeTimeout = c.ProbeTimeout
	mc.IndirectChecks = c.IndirectChecks
	mc.SuspicionMult = c.SuspicionMult
	mc.SuspicionMaxTimeoutMult = c.SuspicionMaxTimeoutMult
	mc.GossipInterval = c.GossipInterval
	mc.GossipNodes = c.GossipNodes
	mc.GossipToTheDeadTime = c.GossipToTheDeadTime
	mc.PushPullInterval = c.PushPullInterval
	mc.RetransmitMult = c.RetransmitMult
	mc.TCPTimeout = c.TCPTimeout
	if len(c.SecretKey) > 0 {
		// Copy: memberlist keeps the slice and the caller may reuse theirs.
		mc.SecretKey = append([]byte(nil), c.SecretKey...)
	}
	mc.Label = c.Label
	return mc
}
