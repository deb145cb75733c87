package gossip

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/hashicorp/memberlist"
)

// Errors of keyring changes.
var (
	// ErrNoEncryption: the cluster runs without a gossip key, so there is no keyring
	// to change (it cannot be turned on while running).
	ErrNoEncryption = errors.New("gossip: encryption is off (no secret key)")
	// ErrBadKeyOp: an unknown keyring operation, or a key of the wrong size.
	ErrBadKeyOp = errors.New("gossip: bad keyring change")
)

// KeyOp is a change to the gossip keyring, as in `berth operator gossip keyring`.
type KeyOp string

// The keyring changes. A rotation is install (every member learns the new key and
// accepts it), use (every member encrypts with it), remove (the old one is refused).
const (
	KeyInstall KeyOp = "install"
	KeyUse     KeyOp = "use"
	KeyRemove  KeyOp = "remove"
)

// msgKeyring tags a keyring change among user messages (the first byte), the only
// kind Berth sends; a later kind takes the next number.
const msgKeyring byte = 1

type keyringMsg struct {
	Op  KeyOp  `json:"op"`
	Key []byte `json:"key"`
}

// KeyringReport says which members a keyring change was sent to.
type KeyringReport struct {
	// Members counts the members the change was meant for, this one included.
	Members int
	// Failed maps a member's name to why it could not be told; it keeps its old
	// keyring until the change is made again.
	Failed map[string]string
}

// keyringState is a member's memberlist keyring and who hears of its changes.
type keyringState struct {
	mu       sync.Mutex // serialises changes so onChange sees them in order
	ring     *memberlist.Keyring
	onChange func([][]byte)
}

// newKeyringState builds the keyring of cfg; nil without a secret key.
func newKeyringState(cfg Config) (*keyringState, error) {
	if len(cfg.SecretKey) == 0 {
		return nil, nil
	}
	var keys [][]byte
	for _, k := range cfg.Keys {
		keys = append(keys, append([]byte(nil), k...))
	}
	ring, err := memberlist.NewKeyring(keys, append([]byte(nil), cfg.SecretKey...))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return &keyringState{ring: ring, onChange: cfg.OnKeyringChange}, nil
}

// keys is a copy of the keyring, primary first.
func (k *keyringState) keys() [][]byte {
	var out [][]byte
	for _, key := range k.ring.GetKeys() {
		out = append(out, append([]byte(nil), key...))
	}
	return out
}

// apply makes one change and tells onChange the keyring it left.
func (k *keyringState) apply(op KeyOp, key []byte) error {
	if err := memberlist.ValidateKey(key); err != nil {
		return fmt.Errorf("%w: %w", ErrBadKeyOp, err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	var err error
	switch op {
	case KeyInstall:
		err = k.ring.AddKey(append([]byte(nil), key...))
	case KeyUse:
		err = k.ring.UseKey(key)
	case KeyRemove:
		err = k.ring.RemoveKey(key)
	default:
		return fmt.Errorf("%w: unknown operation %q", ErrBadKeyOp, op)
	}
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrBadKeyOp, op, err)
	}
	if k.onChange != nil {
		k.onChange(k.keys())
	}
	return nil
}

// Keys returns every key this member accepts, the primary (the one it encrypts
// with) first; nil when gossip is not encrypted.
func (g *Gossip) Keys() [][]byte {
	if g.keyring == nil {
		return nil
	}
	return g.keyring.keys()
}

// ChangeKeyring makes op with key on this member, then sends it to every other live
// member (over gossip's encrypted TCP channel), which makes it too. A member that
// could not be told is in the report's Failed; the change on this member stands.
//
// Any member holding the current key may change the keyring of all: the gossip
// key is the trust boundary, as in Serf. The API exposes this to admins only.
func (g *Gossip) ChangeKeyring(op KeyOp, key []byte) (KeyringReport, error) {
	if err := g.usable(); err != nil {
		return KeyringReport{}, err
	}
	if g.keyring == nil {
		return KeyringReport{}, ErrNoEncryption
	}
	if err := g.keyring.apply(op, key); err != nil {
		return KeyringReport{}, err
	}
	g.log.Info("gossip keyring changed", "op", op)
	body, err := json.Marshal(keyringMsg{Op: op, Key: key})
	if err != nil {
		return KeyringReport{}, fmt.Errorf("gossip: encode keyring change: %w", err)
	}
	msg := append([]byte{msgKeyring}, body...)
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		report = KeyringReport{Members: 1, Failed: map[string]string{}}
	)
	for _, n := range g.ml.Members() {
		if n.Name == g.cfg.Name {
			continue
		}
		report.Members++
		wg.Add(1)
		go func(n *memberlist.Node) {
			defer wg.Done()
			if err := g.ml.SendReliable(n, msg); err != nil {
				mu.Lock()
				report.Failed[n.Name] = err.Error()
				mu.Unlock()
			}
		}(n)
	}
	wg.Wait()
	return report, nil
}

// onUserMsg makes a keyring change another member sent. Bad messages are logged
// and dropped: they came from a member holding the key, yet are not ours.
func (g *Gossip) onUserMsg(b []byte) {
	if len(b) == 0 || b[0] != msgKeyring {
		g.log.Warn("dropped an unknown gossip user message")
		return
	}
	var m keyringMsg
	if err := json.NewDecoder(bytes.NewReader(b[1:])).Decode(&m); err != nil {
		g.log.Warn("dropped an undecodable keyring change", "err", err)
		return
	}
	if g.keyring == nil {
		g.log.Warn("keyring change received but encryption is off")
		return
	}
	if err := g.keyring.apply(m.Op, m.Key); err != nil {
		g.log.Warn("keyring change from a peer failed", "op", m.Op, "err", err)
		return
	}
	g.log.Info("gossip keyring changed by a peer", "op", m.Op)
}
