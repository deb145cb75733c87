package server

import (
	"bytes"
	"cmp"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/google/renameio/v2"
)

// KeyringFile is the file in the data dir that holds the Secret encryption keys
// (mode 0600). Every server holds the same keys; which one encrypts is decided in the
// store (keyring_sync.go), never the key material itself.
const KeyringFile = "keyring"

// keyringKey is one AES-256 key. Ids are random ("k" and 8 hex digits), not counters:
// two servers that each made a key before they could agree never collide, and the
// union of their keyrings is still a keyring.
type keyringKey struct {
	ID      string    `json:"id"`
	Secret  []byte    `json:"secret"` // 32 bytes, base64 in JSON
	Created time.Time `json:"created"`
}

// keyringDoc is the keyring file and the internal endpoint's answer.
type keyringDoc struct {
	Keys []keyringKey `json:"keys"`
}

// keyring holds the keys of this server; safe for concurrent use.
type keyring struct {
	path string // the file; "" keeps the keys in memory only

	mu    sync.RWMutex
	keys  map[string]keyringKey
	aeads map[string]cipher.AEAD
}

// newKeyringKey makes a fresh random key.
func newKeyringKey(now time.Time) (keyringKey, error) {
	id := make([]byte, 4)
	secret := make([]byte, 32)
	if _, err := rand.Read(id); err != nil {
		return keyringKey{}, err
	}
	if _, err := rand.Read(secret); err != nil {
		return keyringKey{}, err
	}
	return keyringKey{ID: "k" + hex.EncodeToString(id), Secret: secret, Created: now.UTC().Truncate(time.Second)}, nil
}

// loadKeyring reads the keyring file at path; a missing file is an empty keyring.
func loadKeyring(path string) (*keyring, error) {
	k := &keyring{path: path, keys: map[string]keyringKey{}, aeads: map[string]cipher.AEAD{}}
	if path == "" {
		return k, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return k, nil
	}
	if err != nil {
		return nil, fmt.Errorf("server: keyring: %w", err)
	}
	var doc keyringDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("server: keyring %s: %w", path, err)
	}
	if _, err := k.mergeLocked(doc.Keys); err != nil {
		return nil, fmt.Errorf("server: keyring %s: %w", path, err)
	}
	return k, nil
}

// aead returns the cipher of key id.
func (k *keyring) aead(id string) (cipher.AEAD, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	a, ok := k.aeads[id]
	return a, ok
}

// has reports whether the keyring holds key id.
func (k *keyring) has(id string) bool {
	_, ok := k.aead(id)
	return ok
}

// list returns the keys, oldest first.
func (k *keyring) list() []keyringKey {
	k.mu.RLock()
	defer k.mu.RUnlock()
	out := make([]keyringKey, 0, len(k.keys))
	for _, key := range k.keys {
		out = append(out, key)
	}
	slices.SortFunc(out, func(a, b keyringKey) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// newest returns the most recently made key, if any.
func (k *keyring) newest() (keyringKey, bool) {
	keys := k.list()
	if len(keys) == 0 {
		return keyringKey{}, false
	}
	return keys[len(keys)-1], true
}

// add merges keys into the keyring and writes the file when anything is new. A key
// whose id is held already with other bytes is refused: ids name keys for good.
func (k *keyring) add(keys ...keyringKey) (added int, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	added, err = k.mergeLocked(keys)
	if err != nil || added == 0 || k.path == "" {
		return added, err
	}
	return added, k.saveLocked()
}

func (k *keyring) mergeLocked(keys []keyringKey) (int, error) {
	added := 0
	for _, key := range keys {
		if !validKeyID(key.ID) {
			return added, fmt.Errorf("invalid key id %q", key.ID)
		}
		if old, ok := k.keys[key.ID]; ok {
			if !bytes.Equal(old.Secret, key.Secret) {
				return added, fmt.Errorf("key %s is held already with different bytes", key.ID)
			}
			continue
		}
		a, err := newAEAD(key.Secret)
		if err != nil {
			return added, fmt.Errorf("key %s: %w", key.ID, err)
		}
		k.keys[key.ID], k.aeads[key.ID] = key, a
		added++
	}
	return added, nil
}

// saveLocked replaces the file through a temporary one, readable by its owner only.
func (k *keyring) saveLocked() error {
	doc := keyringDoc{Keys: make([]keyringKey, 0, len(k.keys))}
	for _, key := range k.keys {
		doc.Keys = append(doc.Keys, key)
	}
	slices.SortFunc(doc.Keys, func(a, b keyringKey) int { return cmp.Compare(a.ID, b.ID) })
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	if err := renameio.WriteFile(k.path, b, 0o600); err != nil {
		return fmt.Errorf("server: keyring: %w", err)
	}
	return nil
}
