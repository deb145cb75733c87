package server

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/pki"
)

// The join endpoints (DESIGN.md "Cluster CA and join"), served with TLS only. They
// sit outside the authenticator chain: a join token or the caller's certificate is
// checked here.

// joinRoutes adds the join endpoints to mux when the server has TLS.
func (s *Server) joinRoutes(mux *http.ServeMux) {
	if s.tls == nil {
		return
	}
	mux.HandleFunc("GET "+pki.JoinCAPath, s.handleJoinCA)
	mux.HandleFunc("POST "+pki.JoinPath, s.handleJoin)
	mux.HandleFunc("POST "+pki.RenewPath, s.handleRenew)
}

// handleJoinCA answers the CA certificate to anyone: a joiner trusts it only if it
// is the one its token pins.
func (s *Server) handleJoinCA(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Write(s.tls.CAPEM())
}

// handleJoin signs a joiner's certificate request for the role of its join token.
// The leader answers, so a token revoked or made a moment ago is seen as it is.
func (s *Server) handleJoin(w http.ResponseWriter, r *http.Request) {
	if !s.onLeader(w, r) {
		return
	}
	var req pki.JoinRequest
	if !s.decodeJoin(w, r, &req) {
		return
	}
	if err := s.checkJoinToken(req.Secret, req.Role); err != nil {
		s.log.Warn("join refused", "name", req.Name, "role", req.Role, "remote", r.RemoteAddr, "err", err.Error())
		writeError(w, err)
		return
	}
	if !validJoinName(req.Name) {
		writeError(w, api.NewError(api.ReasonBadRequest, "join: name %q: want 1-253 letters, digits, '.', '-' or '_'", req.Name))
		return
	}
	cert, err := s.ca.SignCSR([]byte(req.CSR), req.Role, req.Name, s.cfg.TLS.CertLifetime)
	if err != nil {
		writeError(w, api.NewError(api.ReasonBadRequest, "join: %v", err))
		return
	}
	resp := pki.JoinResponse{Certificate: string(cert), CA: string(s.ca.CertPEM), GossipAddrs: s.gossipAddrs()}
	if req.Role == pki.RoleServer {
		resp.CAKey = string(s.ca.KeyPEM)
	}
	if key, err := os.ReadFile(filepath.Join(s.cfg.DataDir, GossipKeyFile)); err == nil {
		resp.GossipKey = key
	}
	s.log.Info("joined", "name", req.Name, "role", req.Role, "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, resp)
}

// checkJoinToken finds the join token of secret ("<name>.<secret>") and checks it
// may get a certificate for role.
func (s *Server) checkJoinToken(secret, role string) *api.Error {
	name, sec, ok := strings.Cut(secret, ".")
	if !ok || name == "" || sec == "" {
		return api.NewError(api.ReasonUnauthorized, "join token refused: malformed")
	}
	rec, ok := s.fsm.Get(tokenRes, "", name)
	if !ok {
		return api.NewError(api.ReasonUnauthorized, "join token refused: no such token (revoked?)")
	}
	tok, ok := rec.Object.(*api.Token)
	if !ok || tok.Spec.Join == "" || !secretMatches(tok.Status.SecretHash, sec) {
		return api.NewError(api.ReasonUnauthorized, "join token refused: wrong secret")
	}
	if exp := tok.Spec.ExpirationTimestamp; exp != nil && !time.Now().Before(exp.Time) {
		return api.NewError(api.ReasonUnauthorized, "join token refused: expired")
	}
	if tok.Spec.Join != role {
		return api.NewError(api.ReasonForbidden, "join token refused: it is for a %s, not a %s", tok.Spec.Join, role)
	}
	return nil
}

// handleRenew signs a new certificate for the caller's current role and name; the
// caller proves them with its current certificate. Any server answers.
func (s *Server) handleRenew(w http.ResponseWriter, r *http.Request) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		writeError(w, api.NewError(api.ReasonUnauthorized, "renew: present the current certificate"))
		return
	}
	role, name, ok := pki.RoleOf(r.TLS.PeerCertificates[0])
	if !ok {
		writeError(w, api.NewError(api.ReasonUnauthorized, "renew: the certificate carries no Berth role"))
		return
	}
	var req pki.RenewRequest
	if !s.decodeJoin(w, r, &req) {
		return
	}
	if req.Role != "" && req.Role != role {
		writeError(w, api.NewError(api.ReasonForbidden, "renew: a %s certificate cannot become a %s's", role, req.Role))
		return
	}
	cert, err := s.ca.SignCSR([]byte(req.CSR), role, name, s.cfg.TLS.CertLifetime)
	if err != nil {
		writeError(w, api.NewError(api.ReasonBadRequest, "renew: %v", err))
		return
	}
	writeJSON(w, http.StatusOK, pki.JoinResponse{Certificate: string(cert), CA: string(s.ca.CertPEM)})
}

func (s *Server) decodeJoin(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := s.readBody(w, r)
	if err != nil {
		writeError(w, err)
		return false
	}
	if err := json.Unmarshal(body, v); err != nil {
		writeError(w, api.NewError(api.ReasonBadRequest, "join: the request is not JSON: %v", err))
		return false
	}
	return true
}

// gossipAddrs lists the gossip addresses of the live servers, for a joiner to join.
func (s *Server) gossipAddrs() []string {
	var out []string
	for _, m := range s.aliveServers() {
		out = append(out, m.Addr)
	}
	return out
}

// validJoinName accepts host-like names (what --name defaults to).
func validJoinName(n string) bool {
	if n == "" || len(n) > 253 {
		return false
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
