package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/hashicorp/raft"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/pki"
)

// Authentication and authorization (`--auth`).
//
// Every request but the health checks passes an authenticator chain, then the RBAC
// authorizer, before any handler runs. The chain asks each authenticator in turn;
// the first that recognizes the request's credentials decides, and a request none
// recognizes is 401. Bearer tokens (Token objects, auth_token.go) are the only link
// today; x509 client certificates come with TLS as a second link.
//
// Both steps read the local store, so every server decides alone and a forwarded
// request keeps the caller's Authorization header and is checked again where it is
// handled: the leader never trusts a follower's verdict. A follower that refuses a
// request (a token it has not seen yet, a RoleBinding not yet replicated) passes it
// to the leader instead of answering, so a token or binding works on every server as
// soon as its create has returned.
//
// With Auth off every request acts as adminUser, and nothing is checked.

// Errors of authentication; each is a 401 whose message says which.
var (
	errNoCredentials = errors.New("no credentials: this cluster requires a bearer token (berth login, --token or BERTH_TOKEN)")
	errBadToken      = errors.New("invalid bearer token")
	// errUnknownToken names a token this server's store does not hold (yet).
	errUnknownToken = errors.New("invalid bearer token: no such token (revoked?)")
	errTokenExpired = errors.New("the bearer token has expired")
	// errNoServiceAccount: the token's ServiceAccount was deleted (or is not here yet).
	errNoServiceAccount = errors.New("invalid bearer token: its ServiceAccount does not exist")
)

// The groups Berth gives meaning to, as Kubernetes does.
const (
	// groupMasters is the cluster administrators': always allowed, whatever the
	// bindings say, so an administrator cannot lock everyone out.
	groupMasters = "system:masters"
	// groupAuthenticated is every authenticated request's.
	groupAuthenticated = "system:authenticated"
	// groupNodes is the node agents' (bound to ClusterRole berth:node).
	groupNodes = "system:nodes"
	// groupServers is the servers' own (bound to ClusterRole berth:server).
	groupServers = "system:servers"
)

// userInfo is who a request acts as.
type userInfo struct {
	Name   string
	Groups []string
	// viaCert: a client certificate authenticated the request (auth_x509.go).
	viaCert bool
}

// adminUser is every request's identity while Auth is off.
var adminUser = &userInfo{Name: "system:admin", Groups: []string{groupMasters, groupAuthenticated}}

type userKey struct{}

// userFrom returns the identity the auth middleware gave the request; with Auth off
// there is none and the request acts as adminUser.
func userFrom(ctx context.Context) *userInfo {
	if u, ok := ctx.Value(userKey{}).(*userInfo); ok {
		return u
	}
	return adminUser
}

// authenticator is one link of the chain. It answers ok=false when the request
// carries no credentials of its kind (the next link is asked), and an error when it
// does but they are not good (the request is refused: no other link is asked).
type authenticator interface {
	authenticate(r *http.Request) (u *userInfo, ok bool, err error)
}

// authChain asks its authenticators in order.
type authChain []authenticator

func (c authChain) authenticate(r *http.Request) (*userInfo, error) {
	for _, a := range c {
		u, ok, err := a.authenticate(r)
		if err != nil {
			return nil, err
		}
		if ok {
			return u, nil
		}
	}
	return nil, errNoCredentials
}

// openPaths answer without credentials: health checks for load balancers, and the
// stream followers hold to the leader to notice its death (leaderprobe.go), which
// says nothing but "alive".
func openPath(r *http.Request) bool {
	if r.URL.Path == pki.JoinPath || r.URL.Path == pki.RenewPath {
		return r.Method == http.MethodPost // the join token or the certificate is checked there (join.go)
	}
	if r.Method != http.MethodGet {
		return false
	}
	switch r.URL.Path {
	case "/healthz", "/readyz", leaderAlivePath, pki.JoinCAPath:
		return true
	}
	return false
}

// withAuth wraps the API in authentication and authorization when Auth is on.
func (s *Server) withAuth(next http.Handler) http.Handler {
	if !s.cfg.Auth {
		s.log.Warn("AUTHENTICATION IS OFF: every request acts as the cluster administrator (group system:masters). " +
			"Start every server with --auth to require bearer tokens and enforce RBAC.")
		return next
	}
	chain := authChain{&tokenAuthenticator{store: s.fsm}, x509Authenticator{}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if openPath(r) {
			next.ServeHTTP(w, r)
			return
		}
		u, err := chain.authenticate(r)
		if err == nil && u.viaCert {
			r = r.WithContext(withCertUser(r.Context(), u))
		}
		if err != nil {
			if s.passDenied(w, r) {
				return
			}
			writeError(w, api.NewError(api.ReasonUnauthorized, "Unauthorized: %v", err))
			return
		}
		attrs := requestAttributes(r, u)
		if d := authorize(storeRBAC{s.fsm}, attrs); !d.allowed {
			if s.passDenied(w, r) {
				return
			}
			writeError(w, forbiddenBy(attrs))
			return
		}
		if needsEscalationCheck(attrs) && !s.allowGrant(w, r, attrs) {
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, u)))
	})
}

// passDenied hands a request this follower would refuse to the leader, whose store
// is at least as new, and reports whether it did. The leader answers what it
// decides; a request forwarded once is never passed on again.
func (s *Server) passDenied(w http.ResponseWriter, r *http.Request) bool {
	if s.node.raft.State() == raft.Leader || r.Header.Get(forwardedHeader) != "" {
		return false
	}
	addr, ok := s.leaderHTTPAddr()
	if !ok {
		return false
	}
	s.fwd.forward(w, r, addr)
	return true
}

// allowGrant runs the escalation check on a write of an RBAC object and reports
// whether the request may go on; if not, it has been answered. The body is read
// here and put back for the handler.
func (s *Server) allowGrant(w http.ResponseWriter, r *http.Request, a attributes) bool {
	body, err := s.readBody(w, r)
	if err != nil {
		writeError(w, err)
		return false
	}
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	obj, _, err := api.DecodeObject(body)
	if err != nil {
		return true // the handler says what is wrong with it
	}
	if e := checkEscalation(storeRBAC{s.fsm}, a, obj); e != nil {
		if !s.passDenied(w, r) {
			writeError(w, e)
		}
		return false
	}
	return true
}
