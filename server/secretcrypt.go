package server

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// sealedDataKey is the only data key of a Secret as the store holds it: its value is
// the envelope of the whole data map. "/" is not allowed in a user's data key, so a
// stored form can never be mistaken for, or made by, a user's Secret.
const sealedDataKey = "berth.io/sealed"

// Secret encryption errors.
var (
	// errNoKey: the envelope names a key this server does not hold (yet).
	errNoKey = errors.New("server: secret encryption key not held by this server")
	// errSealBroken: the envelope does not open with its key: altered, truncated, or
	// copied from another Secret (the namespace and name are authenticated).
	errSealBroken = errors.New("server: secret data cannot be decrypted: altered, or moved from another Secret")
)

// sealVersion is authenticated with every envelope, so a later format cannot be
// confused with this one.
const sealVersion = "berth-secret-v1"

// secretAAD binds an envelope to the Secret it belongs to.
func secretAAD(namespace, name string) []byte {
	return []byte(sealVersion + "\x00" + namespace + "\x00" + name)
}

// newAEAD makes the AES-256-GCM cipher of a 32-byte key.
func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("server: secret key must be 32 bytes (AES-256), got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealWith encrypts data under the key id with a fresh random nonce. The envelope is
// "<id>:" followed by the 12-byte nonce and the GCM ciphertext of encodeDataMap(data).
func sealWith(id string, aead cipher.AEAD, namespace, name string, data map[string][]byte) ([]byte, error) {
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("server: secret nonce: %w", err)
	}
	plain := encodeDataMap(data)
	out := make([]byte, 0, len(id)+1+len(nonce)+len(plain)+aead.Overhead())
	out = append(append(append(out, id...), ':'), nonce...)
	return aead.Seal(out, nonce, plain, secretAAD(namespace, name)), nil
}

// envelopeKeyID reads the key id an envelope was sealed with.
func envelopeKeyID(env []byte) (string, bool) {
	id, _, ok := bytes.Cut(env, []byte{':'})
	if !ok || len(id) == 0 || len(id) > 64 {
		return "", false
	}
	return string(id), true
}

// openWith decrypts an envelope with the cipher of the key it names.
func openWith(aead cipher.AEAD, env []byte, namespace, name string) (map[string][]byte, error) {
	_, body, ok := bytes.Cut(env, []byte{':'})
	if !ok || len(body) < aead.NonceSize()+aead.Overhead() {
		return nil, errSealBroken
	}
	nonce, ct := body[:aead.NonceSize()], body[aead.NonceSize():]
	plain, err := aead.Open(nil, nonce, ct, secretAAD(namespace, name))
	if err != nil {
		return nil, errSealBroken
	}
	data, err := decodeDataMap(plain)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errSealBroken, err)
	}
	return data, nil
}

// encodeDataMap writes a data map compactly (binary: one base64 pass in the stored
// JSON instead of two): the key count, then each key and value length-prefixed, in
// key order so the same map always encodes the same.
func encodeDataMap(data map[string][]byte) []byte {
	keys := make([]string, 0, len(data))
	size := binary.MaxVarintLen64
	for k, v := range data {
		keys = append(keys, k)
		size += 2*binary.MaxVarintLen64 + len(k) + len(v)
	}
	slices.Sort(keys)
	b := make([]byte, 0, size)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendUvarint(b, uint64(len(data[k])))
		b = append(b, data[k]...)
	}
	return b
}

// decodeDataMap reads what encodeDataMap wrote; an empty map decodes to nil, as a
// Secret without data has none.
func decodeDataMap(b []byte) (map[string][]byte, error) {
	next := func() ([]byte, error) {
		n, used := binary.Uvarint(b)
		if used <= 0 || n > uint64(len(b)-used) {
			return nil, errors.New("truncated data map")
		}
		v := b[used : used+int(n)]
		b = b[used+int(n):]
		return v, nil
	}
	count, used := binary.Uvarint(b)
	if used <= 0 || count > uint64(len(b)) {
		return nil, errors.New("bad data map header")
	}
	b = b[used:]
	if count == 0 {
		return nil, nil
	}
	out := make(map[string][]byte, count)
	for range count {
		k, err := next()
		if err != nil {
			return nil, err
		}
		v, err := next()
		if err != nil {
			return nil, err
		}
		out[string(k)] = bytes.Clone(v)
	}
	if len(b) != 0 {
		return nil, errors.New("trailing bytes after data map")
	}
	return out, nil
}

// validKeyID: ids are written before ':' in envelopes and as JSON keys.
func validKeyID(id string) bool {
	return id != "" && len(id) <= 64 && !strings.ContainsAny(id, ": \t\n")
}
