package server

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/pki"
	"github.com/berth-dev/berth/raftfsm"
)

var (
	tokenRes          = mustResource("Token")
	serviceAccountRes = mustResource("ServiceAccount")
)

func mustResource(kind string) *api.Resource {
	res, ok := api.ResourceForKind(kind)
	if !ok {
		panic("server: kind " + kind + " is not registered")
	}
	return res
}

// objectGetter is the store as the token authenticator reads it.
type objectGetter interface {
	Get(res *api.Resource, namespace, name string) (*raftfsm.Record, bool)
}

// tokenAuthenticator recognizes "Authorization: Bearer berth-<name>.<secret>" and
// checks it against the Token of that name in the local store.
type tokenAuthenticator struct {
	store objectGetter
	// now is the clock expirations are measured on; nil means time.Now.
	now func() time.Time
}

var _ authenticator = (*tokenAuthenticator)(nil)

func (a *tokenAuthenticator) authenticate(r *http.Request) (*userInfo, bool, error) {
	scheme, bearer, found := strings.Cut(r.Header.Get("Authorization"), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return nil, false, nil
	}
	name, secret, ok := api.ParseToken(strings.TrimSpace(bearer))
	if !ok {
		return nil, true, errBadToken
	}
	rec, ok := a.store.Get(tokenRes, "", name)
	if !ok {
		return nil, true, errUnknownToken
	}
	tok, ok := rec.Object.(*api.Token)
	if !ok || tok.Spec.Join != "" || !secretMatches(tok.Status.SecretHash, secret) {
		return nil, true, errBadToken // a join token is never a bearer token
	}
	now := time.Now
	if a.now != nil {
		now = a.now
	}
	if exp := tok.Spec.ExpirationTimestamp; exp != nil && !now().Before(exp.Time) {
		return nil, true, errTokenExpired
	}
	u := &userInfo{Name: tok.Spec.User, Groups: append(append([]string(nil), tok.Spec.Groups...), groupAuthenticated)}
	if ns, sa, isSA := serviceAccountOf(u.Name); isSA {
		// A ServiceAccount's token dies with it, as in Kubernetes.
		if _, ok := a.store.Get(serviceAccountRes, ns, sa); !ok {
			return nil, true, errNoServiceAccount
		}
		u.Groups = append(u.Groups, "system:serviceaccounts", "system:serviceaccounts:"+ns)
	}
	return u, true, nil
}

// serviceAccountOf splits "system:serviceaccount:NS:NAME".
func serviceAccountOf(user string) (namespace, name string, ok bool) {
	rest, found := strings.CutPrefix(user, "system:serviceaccount:")
	if !found {
		return "", "", false
	}
	namespace, name, ok = strings.Cut(rest, ":")
	return namespace, name, ok && namespace != "" && name != ""
}

// hashSecret is how a secret is stored: "sha256:" and its hex digest. The secret is
// 192 random bits, so a plain (unsalted, fast) hash cannot be reversed by guessing.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// secretMatches compares in constant time, so answer times say nothing about how
// much of a guessed secret was right.
func secretMatches(stored, secret string) bool {
	if !strings.HasPrefix(stored, "sha256:") {
		return false // a Token made without a secret (not through the API) never matches
	}
	return subtle.ConstantTimeCompare([]byte(stored), []byte(hashSecret(secret))) == 1
}

// tokenNameAlphabet makes names that are DNS-1123 labels, as Token names must be.
const tokenNameAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// newTokenSecret returns 24 random bytes in hex.
func newTokenSecret() string {
	b := make([]byte, 24)
	rand.Read(b) // never fails (crypto/rand panics rather than return short)
	return hex.EncodeToString(b)
}

func newTokenName() string {
	b := make([]byte, 10)
	rand.Read(b)
	for i := range b {
		b[i] = tokenNameAlphabet[int(b[i])%len(tokenNameAlphabet)]
	}
	return string(b)
}

// prepareToken readies a Token for its create: a name when it has none, a fresh
// secret whose hash alone goes into the status. It returns the secret.
func prepareToken(tok *api.Token) string {
	if tok.Name == "" && tok.GenerateName == "" {
		tok.Name = newTokenName()
	}
	secret := newTokenSecret()
	tok.Status = api.TokenStatus{SecretHash: hashSecret(secret)}
	return secret
}

// bearerString is what a client sends for the Token named name.
func bearerString(name, secret string) string {
	return api.TokenPrefix + name + "." + secret
}

// handleTokenCreate creates a Token and answers it with its bearer string in
// status.token: the one time it is ever shown.
func (s *Server) handleTokenCreate(w http.ResponseWriter, r *http.Request, t target) {
	obj, ok := s.readObject(w, r, t)
	if !ok {
		return
	}
	tok, ok := obj.(*api.Token)
	if !ok {
		writeError(w, api.NewError(api.ReasonBadRequest, "expected a Token, got %T", obj))
		return
	}
	if tok.Spec.Join != "" && s.ca == nil {
		writeError(w, api.NewError(api.ReasonBadRequest, "join tokens need TLS: this server runs with --insecure-dev"))
		return
	}
	secret := prepareToken(tok)
	rec, err := s.createObject(r.Context(), t.res, tok)
	if err != nil {
		writeError(w, err)
		return
	}
	out, ok := api.DeepCopy(rec.Object).(*api.Token)
	if !ok {
		writeError(w, api.NewError(api.ReasonInternalError, "stored token is a %T", rec.Object))
		return
	}
	out.Status.Token = bearerString(out.Name, secret)
	if out.Spec.Join != "" {
		out.Status.Token = pki.FormatJoinToken(s.ca.Fingerprint(), out.Name+"."+secret)
	}
	writeJSON(w, http.StatusCreated, out)
}
