package gossip

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// Errors returned by this package; test with errors.Is.
var (
	// ErrInvalidConfig: Config.Validate rejected the configuration.
	ErrInvalidConfig = errors.New("gossip: invalid config")
	// ErrInvalidMeta: a Meta to advertise has a bad field.
	ErrInvalidMeta = errors.New("gossip: invalid meta")
	// ErrMetaTooLarge: the encoded Meta exceeds MaxMetaSize.
	ErrMetaTooLarge = errors.New("gossip: meta too large")
	// ErrBadPeerMeta: a peer advertised meta that does not decode.
	ErrBadPeerMeta = errors.New("gossip: undecodable peer meta")
	// ErrStart: memberlist could not start (port taken, bad address, …).
	ErrStart = errors.New("gossip: cannot start")
	// ErrNoPeers: Join was given no address.
	ErrNoPeers = errors.New("gossip: no address to join")
	// ErrJoin: Join reached none of the given addresses.
	ErrJoin = errors.New("gossip: join failed")
	// ErrBroadcastTimeout: UpdateMeta or Leave could not send its message in
	// time. The change is made locally and gossip keeps spreading it.
	ErrBroadcastTimeout = errors.New("gossip: broadcast timed out")
	// ErrLeft: the member has left; it cannot join or update any more.
	ErrLeft = errors.New("gossip: member has left")
	// ErrShutdown: the member is shut down.
	ErrShutdown = errors.New("gossip: shut down")
)

// State is a member's liveness as this member knows it.
type State string

// Member states.
const (
	StateAlive State = "alive"
	// StateSuspect is memberlist's "suspected, not yet declared dead". It is
	// not reported today: memberlist v0.7.0 keeps suspicion in unexported
	// state and tells no delegate, so a suspect member shows alive until it
	// is declared dead. Callers should treat it like alive.
	StateSuspect State = "suspect"
	StateDead    State = "dead"
	StateLeft    State = "left"
)

// Member is one member of the cluster as this member knows it.
type Member struct {
	Name string
	// Addr is the member's gossip address, host:port.
	Addr  string
	State State
	// Meta is what the member advertises; empty if its meta did not decode.
	Meta Meta
}

// Gossip is one member of the gossip cluster. Its methods are safe for
// concurrent use.
type Gossip struct {
	cfg  Config
	log  *slog.Logger
	ml   *memberlist.Memberlist
	port int // bound port (picked by the kernel when Config.BindPort is 0)
	meta *metaDelegate
	// keyring is nil when gossip is not encrypted (no Config.SecretKey).
	keyring *keyringState
	roster  *roster
	hub     *hub

	updateMu sync.Mutex // serialises UpdateMeta and Leave's announcement
	current  Meta       // the advertised Meta; guarded by updateMu

	// lifeMu makes Leave and Shutdown exclusive: memberlist panics on a Leave
	// after Shutdown. left and shut are also read without it, by operations
	// that only need to refuse early.
	lifeMu sync.Mutex
	left   atomic.Bool
	shut   atomic.Bool
}

// New validates cfg, starts listening and announces this member (alone until
// Join).
func New(cfg Config) (*Gossip, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	encoded, err := encodeMeta(cfg.Meta, false)
	if err != nil {
		return nil, err
	}
	if cfg.EventBuffer == 0 {
		cfg.EventBuffer = DefaultEventBuffer
	}
	cfg.SecretKey = append([]byte(nil), cfg.SecretKey...)
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "gossip", "member", cfg.Name)

	g := &Gossip{cfg: cfg, log: logger, meta: &metaDelegate{}, current: cfg.Meta}
	g.meta.set(encoded)
	g.hub = newHub(logger, cfg.EventBuffer)
	g.roster = newRoster(logger, g.hub, cfg.GossipToTheDeadTime)

	if g.keyring, err = newKeyringState(cfg); err != nil {
		return nil, err
	}
	g.meta.onMsg = g.onUserMsg

	mc := cfg.memberlistConfig()
	if g.keyring != nil {
		mc.Keyring = g.keyring.ring
	}
	mc.Delegate = g.meta
	mc.Events = g.roster
	mc.Logger = newMemberlistLogger(logger, g.shut.Load)
	ml, err := memberlist.Create(mc)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStart, err)
	}
	g.ml = ml
	g.port = mc.BindPort // memberlist writes the picked port back
	return g, nil
}

// Join contacts the given gossip addresses (host:port) and merges state with
// every one that answers. It returns how many answered; reaching some is
// success, reaching none is ErrJoin.
func (g *Gossip) Join(addrs []string) (int, error) {
	if err := g.usable(); err != nil {
		return 0, err
	}
	if len(addrs) == 0 {
		return 0, ErrNoPeers
	}
	n, err := g.ml.Join(addrs)
	if n == 0 {
		return 0, fmt.Errorf("%w: %v", ErrJoin, err)
	}
	return n, nil
}

// Members returns every member this member knows, itself included, sorted by
// name. Dead and left members stay listed for Config.GossipToTheDeadTime.
func (g *Gossip) Members() []Member { return g.roster.list() }

// LocalMember returns this member as the others should see it.
func (g *Gossip) LocalMember() Member {
	if m, ok := g.roster.get(g.cfg.Name); ok {
		return m
	}
	// Unreachable: memberlist reports our own join inside New.
	return Member{Name: g.cfg.Name, Addr: g.Addr(), State: StateAlive}
}

// UpdateMeta advertises m from now on. It waits up to Config.BroadcastTimeout
// for the news to leave this member; ErrBroadcastTimeout means it is applied
// locally and gossip will still carry it.
func (g *Gossip) UpdateMeta(m Meta) error {
	encoded, err := encodeMeta(m, false)
	if err != nil {
		return err
	}
	if err := g.usable(); err != nil {
		return err
	}
	g.updateMu.Lock()
	defer g.updateMu.Unlock()
	g.current = m
	g.meta.set(encoded)
	if err := g.ml.UpdateNode(g.cfg.BroadcastTimeout); err != nil {
		return fmt.Errorf("%w: %v", ErrBroadcastTimeout, err)
	}
	return nil
}

// Subscribe returns a channel of membership events and a function that ends
// the subscription (and closes the channel). Events are delivered without ever
// blocking gossip: if the buffer (Config.EventBuffer) is full, events are
// dropped (see DroppedEvents). Shutdown closes every subscription.
func (g *Gossip) Subscribe() (<-chan Event, func()) { return g.hub.subscribe() }

// DroppedEvents counts events lost, over all subscribers, because a
// subscriber's buffer was full.
func (g *Gossip) DroppedEvents() uint64 { return g.hub.dropped.Load() }

// Leave tells the cluster this member is going away, so the others see it
// left (not failed) at once. It waits up to timeout for the news to go out;
// zero means Config.BroadcastTimeout. Calling it again is a no-op; after
// Shutdown it returns ErrShutdown.
func (g *Gossip) Leave(timeout time.Duration) error {
	g.lifeMu.Lock()
	defer g.lifeMu.Unlock()
	if g.shut.Load() {
		return ErrShutdown
	}
	if g.left.Swap(true) {
		return nil
	}
	if timeout <= 0 {
		timeout = g.cfg.BroadcastTimeout
	}
	deadline := time.Now().Add(timeout)
	// First mark our meta as leaving and wait until that is gossiped, so
	// peers classify the leave message that follows as a leave, not a failure.
	if err := g.announceLeaving(timeout); err != nil {
		g.log.Warn("leaving mark not confirmed; peers may see a failure", "err", err)
	}
	if err := g.ml.Leave(max(time.Until(deadline), time.Millisecond)); err != nil {
		return fmt.Errorf("%w: %v", ErrBroadcastTimeout, err)
	}
	return nil
}

func (g *Gossip) announceLeaving(timeout time.Duration) error {
	g.updateMu.Lock()
	defer g.updateMu.Unlock()
	encoded, err := encodeMeta(g.current, true)
	if err != nil {
		return err // unreachable: the size check reserved room for the mark
	}
	g.meta.set(encoded)
	return g.ml.UpdateNode(timeout)
}

// Shutdown stops all gossip at once and closes every subscription. Without a
// Leave first, the others see this member fail. It waits for a Leave in
// progress to finish. Safe to call more than once.
func (g *Gossip) Shutdown() error {
	g.lifeMu.Lock()
	defer g.lifeMu.Unlock()
	if g.shut.Swap(true) {
		return nil
	}
	err := g.ml.Shutdown()
	g.hub.close()
	if err != nil {
		return fmt.Errorf("gossip: shutdown: %w", err)
	}
	return nil
}

// Addr returns the local bind address as host:port (with the picked port when
// Config.BindPort was 0). Peers dial LocalMember().Addr, which differs when
// binding 0.0.0.0 or advertising another address.
func (g *Gossip) Addr() string {
	return net.JoinHostPort(g.cfg.BindAddr, strconv.Itoa(g.port))
}

// Port returns the bound port.
func (g *Gossip) Port() int { return g.port }

func (g *Gossip) usable() error {
	if g.shut.Load() {
		return ErrShutdown
	}
	if g.left.Load() {
		return ErrLeft
	}
	return nil
}
