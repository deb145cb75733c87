package gossip

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"
	"github.com/hashicorp/memberlist"
)

// KeySize is the size of the keys NewKey makes: AES-256.
const KeySize = 32

// NewKey makes a random gossip key.
func NewKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("gossip: new key: %w", err)
	}
	return k, nil
}

// ReadKeyringFile reads a keyring file (a JSON list of base64 keys, the primary
// first, as Consul keeps it). A missing file is an error wrapping os.ErrNotExist.
func ReadKeyringFile(path string) ([][]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("gossip: keyring: %w", err)
	}
	var keys [][]byte
	if err := json.Unmarshal(b, &keys); err != nil {
		return nil, fmt.Errorf("gossip: keyring %s: %w", path, err)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("gossip: keyring %s holds no key", path)
	}
	for i, k := range keys {
		if err := memberlist.ValidateKey(k); err != nil {
			return nil, fmt.Errorf("gossip: keyring %s, key %d: %w", path, i, err)
		}
	}
	return keys, nil
}

// WriteKeyringFile replaces path (mode 0600) with keys, the primary first; a reader
// never sees half a file.
func WriteKeyringFile(path string, keys [][]byte) error {
	b, err := json.Marshal(keys)
	if err != nil {
		return fmt.Errorf("gossip: keyring: %w", err)
	}
	return writeSecretFile(path, b)
}

// writeSecretFile replaces path with data through a 0600 temporary file.
func writeSecretFile(path string, data []byte) error {
	if err := renameio.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("gossip: keyring: %w", err)
	}
	return nil
}

// WriteKeyFile replaces path (mode 0600) with one raw key, as the join response
// delivers it (<data-dir>/gossip.key).
func WriteKeyFile(path string, key []byte) error {
	if err := memberlist.ValidateKey(key); err != nil {
		return fmt.Errorf("gossip: key: %w", err)
	}
	return writeSecretFile(path, key)
}

// The files a member keeps its gossip keys in, inside its data dir.
const (
	// KeyFileName holds the primary key, raw: the join handler hands it to joiners.
	KeyFileName = "gossip.key"
	// KeyringFileName holds the whole keyring once it has changed (ReadKeyringFile).
	KeyringFileName = "gossip-keyring.json"
)

// LoadKeys returns the keyring kept in dir, the primary first: the keyring file if
// there is one, else the key file alone; nil if neither exists (no encryption).
func LoadKeys(dir string) ([][]byte, error) {
	keys, err := ReadKeyringFile(filepath.Join(dir, KeyringFileName))
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return keys, err
	}
	key, err := os.ReadFile(filepath.Join(dir, KeyFileName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("gossip: key: %w", err)
	}
	if err := memberlist.ValidateKey(key); err != nil {
		return nil, fmt.Errorf("gossip: key file %s: %w", filepath.Join(dir, KeyFileName), err)
	}
	return [][]byte{key}, nil
}

// SaveKeys keeps keys (primary first) in dir: the keyring file, and the primary in
// the key file so joiners get the key the cluster encrypts with.
func SaveKeys(dir string, keys [][]byte) error {
	if len(keys) == 0 {
		return errors.New("gossip: no key to save")
	}
	if err := WriteKeyringFile(filepath.Join(dir, KeyringFileName), keys); err != nil {
		return err
	}
	return WriteKeyFile(filepath.Join(dir, KeyFileName), keys[0])
}
