package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/berth-dev/berth/pki"
)

// The x509 link of the authenticator chain (with TLS): a client certificate the
// handshake verified against the cluster CA names its user, and its role the groups:
// a server is in system:servers, a client (node agent) in system:nodes, a user
// certificate in the groups of its Subject's Organization.
//
// A follower forwarding a request to the leader presents its own (server)
// certificate; it says whom the request is for in forwardedUserHeader, which only a
// forwarded request from a server may carry. A forwarded request without it (its
// caller was not authenticated by a certificate) is not the server's own: it gets no
// identity from the certificate, so its bearer token decides or it is refused.

// forwardedUserHeader carries, JSON-encoded, the user a follower authenticated by
// certificate.
const forwardedUserHeader = "X-Berth-Forwarded-User"

var errForwardedUser = errors.New("a forwarded request's user header is malformed")

type x509Authenticator struct{}

var _ authenticator = x509Authenticator{}

func (x509Authenticator) authenticate(r *http.Request) (*userInfo, bool, error) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return nil, false, nil
	}
	role, name, ok := pki.RoleOf(r.TLS.PeerCertificates[0])
	if !ok {
		return nil, false, nil
	}
	if role == pki.RoleServer && r.Header.Get(forwardedHeader) != "" {
		h := r.Header.Get(forwardedUserHeader)
		if h == "" {
			return nil, false, nil
		}
		var u userInfo
		if err := json.Unmarshal([]byte(h), &u); err != nil || u.Name == "" {
			return nil, true, errForwardedUser
		}
		u.viaCert = true
		return &u, true, nil
	}
	u := &userInfo{Name: name, viaCert: true}
	switch role {
	case pki.RoleServer:
		u.Groups = []string{groupServers}
	case pki.RoleClient:
		u.Groups = []string{groupNodes}
	default:
		u.Groups = append(u.Groups, r.TLS.PeerCertificates[0].Subject.Organization...)
	}
	u.Groups = append(u.Groups, groupAuthenticated)
	return u, true, nil
}

type certUserKey struct{}

// withCertUser marks the request's context with a user its certificate
// authenticated, for the forwarder.
func withCertUser(ctx context.Context, u *userInfo) context.Context {
	return context.WithValue(ctx, certUserKey{}, u)
}

// setForwardedUser puts the certificate-authenticated user of ctx, if any, in the
// forwarded request's headers, and removes what a caller may have put there.
func setForwardedUser(ctx context.Context, h http.Header) {
	h.Del(forwardedUserHeader)
	if u, ok := ctx.Value(certUserKey{}).(*userInfo); ok {
		if b, err := json.Marshal(u); err == nil {
			h.Set(forwardedUserHeader, string(b))
		}
	}
}
