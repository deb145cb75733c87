package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/berth-dev/berth/pki"
)

// TLSConfig turns on TLS: the agent talks HTTPS to the servers and authenticates
// with a client certificate (role client, group system:nodes) it gets at its first
// start with a client join token. A nil Config.TLS is `--insecure-dev`.
type TLSConfig struct {
	// JoinToken (`--join-token`) is a client join token (berth token create --join
	// client); unused once DataDir holds a certificate.
	JoinToken string
}

// The files of the agent's PKI in DataDir.
const (
	tlsDir = "tls"
	// GossipKeyFile holds the gossip encryption key a join answered (raw bytes).
	GossipKeyFile = "gossip.key"
)

// setupTLS loads the agent's certificate from DataDir or joins with the token.
func (a *Agent) setupTLS() error {
	dir := filepath.Join(a.cfg.DataDir, tlsDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("client: %w", err)
	}
	id, err := pki.LoadIdentity(dir)
	if err == nil {
		a.tls = id
		return nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("client: the certificate in %s: %w", dir, err)
	}
	if a.cfg.TLS.JoinToken == "" {
		return errors.New("client: no certificate yet: give --join-token (berth token create --join client)")
	}
	if len(a.cfg.Servers) == 0 {
		return errors.New("client: --join-token needs --server (an API address to join through)")
	}
	u, err := url.Parse(a.cfg.Servers[0])
	if err != nil || u.Host == "" {
		return fmt.Errorf("client: --server %q: not a URL", a.cfg.Servers[0])
	}
	j := pki.Joiner{Addr: u.Host, Token: a.cfg.TLS.JoinToken, Role: pki.RoleClient, Name: a.cfg.Name, Hosts: a.certHosts()}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	backoff := 200 * time.Millisecond
	var resp *pki.JoinResponse
	for {
		id, resp, err = j.Join(ctx)
		if err == nil || pki.Refused(err) || ctx.Err() != nil {
			break
		}
		a.log.Warn("join failed, retrying", "server", u.Host, "err", err)
		time.Sleep(backoff)
		backoff = min(2*backoff, 3*time.Second)
	}
	if err != nil {
		return fmt.Errorf("client: joining through %s: %w", u.Host, err)
	}
	if len(resp.GossipKey) > 0 {
		if err := os.WriteFile(filepath.Join(a.cfg.DataDir, GossipKeyFile), resp.GossipKey, 0o600); err != nil {
			return fmt.Errorf("client: %w", err)
		}
	}
	if err := id.Save(dir); err != nil {
		return err
	}
	a.tls = id
	a.log.Info("joined the cluster's PKI", "through", u.Host)
	return nil
}

func (a *Agent) certHosts() []string {
	hosts := []string{"localhost", "127.0.0.1", a.cfg.Name}
	for _, h := range []string{a.cfg.BindAddr, a.cfg.AdvertiseAddr} {
		if ip := net.ParseIP(h); ip != nil && !ip.IsUnspecified() {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

// apiTLS is how the agent dials the servers: verifying a server certificate of the
// cluster CA and presenting its own. Nil without TLS.
func (a *Agent) apiTLS() *tls.Config {
	if a.tls == nil {
		return nil
	}
	return a.tls.ClientTLS(pki.RoleServer)
}

// apiScheme is "https" with TLS.
func (a *Agent) apiScheme() string {
	if a.tls == nil {
		return "http"
	}
	return "https"
}

// certRenewLoop renews the certificate at two thirds of its life through a server,
// in place (the API clients and listeners use it at their next handshake).
func (a *Agent) certRenewLoop(ctx context.Context) {
	if a.tls == nil {
		return
	}
	dir := filepath.Join(a.cfg.DataDir, tlsDir)
	for {
		wait := time.Until(pki.RenewAt(a.tls.Certificate()))
		if wait > 0 && !sleepCtx(ctx, wait) {
			return
		}
		err := a.renewOnce(ctx)
		if err == nil {
			err = a.tls.Save(dir)
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			a.log.Error("renewing the node's certificate", "err", err)
			if !sleepCtx(ctx, 5*time.Second) {
				return
			}
			continue
		}
		a.log.Info("renewed the node's certificate", "expires", a.tls.Certificate().NotAfter)
	}
}

// renewOnce asks the servers in turn for a new certificate.
func (a *Agent) renewOnce(ctx context.Context) error {
	var errs []error
	for _, c := range a.apis.clients {
		u, err := url.Parse(c.BaseURL())
		if err != nil {
			continue
		}
		if err := pki.Renew(ctx, u.Host, a.tls, a.certHosts()); err != nil {
			errs = append(errs, err)
			continue
		}
		return nil
	}
	return fmt.Errorf("client: no server renewed the certificate: %w", errors.Join(errs...))
}

// TLSIdentity is the agent's identity, nil with --insecure-dev.
func (a *Agent) TLSIdentity() *pki.LiveIdentity { return a.tls }
