package pki

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// JoinTokenPrefix starts every join token: "BERTH-1-<sha256 of the CA>-<secret>",
// version 1 of the format.
const JoinTokenPrefix = "BERTH-1-"

// ErrBadJoinToken means a string is not a join token.
var ErrBadJoinToken = errors.New("pki: malformed join token (want BERTH-1-<64 hex digits>-<secret>)")

// FormatJoinToken builds a join token from the CA fingerprint (CAFingerprint) and a
// secret.
func FormatJoinToken(caFingerprint, secret string) string {
	return JoinTokenPrefix + caFingerprint + "-" + secret
}

// ParseJoinToken splits a join token into the CA fingerprint and the secret.
func ParseJoinToken(tok string) (caFingerprint, secret string, err error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(tok), JoinTokenPrefix)
	if !ok {
		return "", "", ErrBadJoinToken
	}
	fp, secret, ok := strings.Cut(rest, "-")
	if !ok || len(fp) != 64 || secret == "" {
		return "", "", ErrBadJoinToken
	}
	if _, err := hex.DecodeString(fp); err != nil {
		return "", "", ErrBadJoinToken
	}
	return strings.ToLower(fp), secret, nil
}

// NewSecret is a random secret for a join token: 32 hex digits (128 bits).
func NewSecret() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("pki: crypto/rand failed: " + err.Error()) // the system is broken
	}
	return hex.EncodeToString(b[:])
}

// VerifyCA checks, in constant time, that caPEM is the CA the fingerprint pins; a
// joiner trusts nothing else.
func VerifyCA(caPEM []byte, caFingerprint string) error {
	got, err := CAFingerprint(caPEM)
	if err != nil {
		return fmt.Errorf("pki: the cluster's CA: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(strings.ToLower(caFingerprint))) != 1 {
		return ErrCAMismatch
	}
	return nil
}
