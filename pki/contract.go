package pki

import "crypto/tls"

// The roles a certificate carries (in its Subject's OrganizationalUnit and as a URI
// SAN "berth://role/<role>/<name>"), checked by every peer that accepts a connection.
const (
	RoleServer = "server"
	RoleClient = "client"
	RoleUser   = "user" // an operator's client certificate (authentication only)
)

// Identity is one process's TLS identity: its certificate and key, the cluster CA it
// trusts, and its role. Implementations reload the certificate when it is rotated:
// the *tls.Config values they return read the current certificate at each handshake
// (GetCertificate / GetClientCertificate), so callers build them once.
type Identity interface {
	// Name is the node or server name in the certificate.
	Name() string
	// Role is RoleServer or RoleClient.
	Role() string
	// ServerTLS is for listeners. requireClientRoles, when not empty, demands a client
	// certificate signed by the cluster CA whose role is one of them (mutual TLS); empty
	// accepts clients without certificates (the HTTP API, which also takes tokens).
	ServerTLS(requireClientRoles ...string) *tls.Config
	// ClientTLS is for dialers: it verifies the peer against the cluster CA and, when
	// wantRole is not empty, that the peer's certificate has that role; it presents this
	// identity's certificate.
	ClientTLS(wantRole string) *tls.Config
}
