package endpoint

import (
	"crypto/tls"
	"net"

	"github.com/berth-dev/berth/pki"
)

// TLSListener wraps ln so that only the cluster's servers may call the endpoint:
// mutual TLS with the agent's identity, and the caller's certificate must be signed
// by the cluster CA with role server. A plaintext request, a user's or another
// node's certificate fails the handshake. The http.Server's ReadHeaderTimeout bounds
// the handshake.
func TLSListener(ln net.Listener, id pki.Identity) net.Listener {
	return tls.NewListener(ln, id.ServerTLS(pki.RoleServer))
}

// DialTLS is the configuration a server dials agents with: its own certificate, and
// the agent's must be a client's of the cluster CA.
func DialTLS(server pki.Identity) *tls.Config {
	return server.ClientTLS(pki.RoleClient)
}
