package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/berth-dev/berth/pki"
)

// The cluster PKI on a server (DESIGN.md "Cluster CA and join"). Every server holds
// the CA key in DataDir/tls, so any leader answers joins and every server renews its
// own certificate without asking anyone.

// tlsDir is where a server keeps its certificate, key, the CA and the CA key.
const tlsDir = "tls"

// caKeyFile is the CA key, on servers only.
const caKeyFile = "ca-key.pem"

// GossipKeyFile holds the gossip encryption key (raw bytes) in DataDir; a joiner
// writes the one its join answer carries.
const GossipKeyFile = "gossip.key"

// joinRetry bounds how long a joining server waits for the cluster to answer (it may
// be starting too); a refusal ends the wait at once.
const joinRetry = 2 * time.Minute

// setupTLS gives the server its identity, in this order: the one in DataDir (a
// restart), a certificate from the operator's CA, one from a join, or a new CA (the
// first server of a new cluster).
func (s *Server) setupTLS() error {
	c := s.cfg.TLS
	dir := filepath.Join(s.cfg.DataDir, tlsDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if id, err := pki.LoadIdentity(dir); err == nil {
		s.tls = id
		return s.loadCA(dir)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("server: the certificate in %s: %w", dir, err)
	}
	switch {
	case c.CACertFile != "":
		certPEM, err := os.ReadFile(c.CACertFile)
		if err != nil {
			return fmt.Errorf("server: --ca-cert: %w", err)
		}
		keyPEM, err := os.ReadFile(c.CAKeyFile)
		if err != nil {
			return fmt.Errorf("server: --ca-key: %w", err)
		}
		ca, err := pki.ParseCA(certPEM, keyPEM)
		if err != nil {
			return fmt.Errorf("server: --ca-cert/--ca-key: %w", err)
		}
		return s.certifySelf(dir, ca)
	case c.JoinToken != "":
		return s.joinCluster(dir)
	default:
		if s.cfg.BootstrapExpect != 1 {
			return errors.New("server: no certificate and no --join-token: only the first server of a new cluster " +
				"(--bootstrap-expect 1) makes the cluster CA; join the others with `berth token create --join server`, " +
				"or start every server with the same --ca-cert/--ca-key")
		}
		ca, err := pki.NewCA("berth-cluster-ca")
		if err != nil {
			return err
		}
		s.log.Warn("made a new cluster CA", "fingerprint", ca.Fingerprint(), "dir", dir)
		return s.certifySelf(dir, ca)
	}
}

// certifySelf keeps ca in dir and issues this server's certificate from it.
func (s *Server) certifySelf(dir string, ca *pki.CA) error {
	id, err := ca.NewIdentity(pki.RoleServer, s.cfg.Name, s.certHosts(), s.cfg.TLS.CertLifetime)
	if err != nil {
		return err
	}
	if err := id.Save(dir); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, caKeyFile), ca.KeyPEM, 0o600); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	s.tls, s.ca = id, ca
	return nil
}

// loadCA reads the CA key kept in dir.
func (s *Server) loadCA(dir string) error {
	keyPEM, err := os.ReadFile(filepath.Join(dir, caKeyFile))
	if err != nil {
		return fmt.Errorf("server: the CA key: %w", err)
	}
	ca, err := pki.ParseCA(s.tls.CAPEM(), keyPEM)
	if err != nil {
		return fmt.Errorf("server: the CA in %s: %w", dir, err)
	}
	s.ca = ca
	return nil
}

// joinCluster gets this server's certificate, the CA key and the gossip key with a
// server join token.
func (s *Server) joinCluster(dir string) error {
	j := pki.Joiner{Addr: s.cfg.TLS.JoinAddr, Token: s.cfg.TLS.JoinToken, Role: pki.RoleServer,
		Name: s.cfg.Name, Hosts: s.certHosts()}
	ctx, cancel := context.WithTimeout(context.Background(), joinRetry)
	defer cancel()
	id, resp, err := joinWithRetry(ctx, j, s.log.Warn)
	if err != nil {
		return fmt.Errorf("server: joining through %s: %w", j.Addr, err)
	}
	ca, err := pki.ParseCA(id.CAPEM(), []byte(resp.CAKey))
	if err != nil {
		return fmt.Errorf("server: the join answer's CA key: %w", err)
	}
	if len(resp.GossipKey) > 0 {
		if err := os.MkdirAll(s.cfg.DataDir, 0o700); err != nil {
			return fmt.Errorf("server: %w", err)
		}
		if err := os.WriteFile(filepath.Join(s.cfg.DataDir, GossipKeyFile), resp.GossipKey, 0o600); err != nil {
			return fmt.Errorf("server: %w", err)
		}
	}
	if err := id.Save(dir); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, caKeyFile), ca.KeyPEM, 0o600); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if len(s.cfg.Join) == 0 {
		s.cfg.Join = resp.GossipAddrs
	}
	s.tls, s.ca = id, ca
	s.log.Info("joined the cluster's PKI", "through", j.Addr, "ca", ca.Fingerprint())
	return nil
}

// joinWithRetry retries a join the cluster did not answer (not up yet); a refusal
// is final.
func joinWithRetry(ctx context.Context, j pki.Joiner, warn func(string, ...any)) (*pki.LiveIdentity, *pki.JoinResponse, error) {
	backoff := 200 * time.Millisecond
	for {
		id, resp, err := j.Join(ctx)
		if err == nil || pki.Refused(err) {
			return id, resp, err
		}
		warn("join failed, retrying", "addr", j.Addr, "err", err)
		select {
		case <-ctx.Done():
			return nil, nil, err
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 3*time.Second)
	}
}

// certHosts are the addresses and names this server's certificate is valid for.
func (s *Server) certHosts() []string {
	hosts := []string{"localhost", "127.0.0.1", s.cfg.Name}
	for _, a := range []string{s.cfg.BindAddr, s.cfg.advertise()} {
		if ip := net.ParseIP(a); ip != nil && !ip.IsUnspecified() {
			hosts = append(hosts, a)
		}
	}
	if h, err := os.Hostname(); err == nil {
		hosts = append(hosts, h)
	}
	return hosts
}

// certRenewLoop reissues this server's certificate from the CA at two thirds of its
// life, in place: listeners and dialers pick it up at their next handshake.
func (s *Server) certRenewLoop(ctx context.Context) {
	if s.tls == nil || s.ca == nil {
		return
	}
	dir := filepath.Join(s.cfg.DataDir, tlsDir)
	for {
		wait := time.Until(pki.RenewAt(s.tls.Certificate()))
		if wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		certPEM, keyPEM, err := s.ca.Issue(pki.RoleServer, s.cfg.Name, s.certHosts(), s.cfg.TLS.CertLifetime)
		if err == nil {
			err = s.tls.Update(certPEM, keyPEM)
		}
		if err == nil {
			err = s.tls.Save(dir)
		}
		if err != nil {
			s.log.Error("renewing this server's certificate", "err", err)
			sleepCtx(ctx, 10*time.Second)
			continue
		}
		s.log.Info("renewed this server's certificate", "expires", s.tls.Certificate().NotAfter)
	}
}

// apiScheme is how servers reach each other's API: "https" with TLS.
func (s *Server) apiScheme() string {
	if s.tls == nil {
		return "http"
	}
	return "https"
}

// peerTLS is the TLS configuration for calls to another server's API (presenting
// this server's certificate); nil without TLS.
func (s *Server) peerTLS() *tls.Config {
	if s.tls == nil {
		return nil
	}
	return s.tls.ClientTLS(pki.RoleServer)
}

// TLSIdentity is the server's identity, nil with --insecure-dev.
func (s *Server) TLSIdentity() *pki.LiveIdentity { return s.tls }

// identity is s.tls as a pki.Identity: a nil interface with --insecure-dev (a nil
// *LiveIdentity in an interface would not compare equal to nil).
func (s *Server) identity() pki.Identity {
	if s.tls == nil {
		return nil
	}
	return s.tls
}
