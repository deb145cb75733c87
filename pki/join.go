package pki

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// The join endpoints every server serves on its API port (HTTPS).
const (
	// JoinCAPath answers the cluster CA certificate (PEM), to anyone: a joiner trusts
	// it only if its SHA-256 is the one in its join token.
	JoinCAPath = "/v1/join/ca"
	// JoinPath takes a JoinRequest with a join token and answers a JoinResponse.
	JoinPath = "/v1/join"
	// RenewPath takes a RenewRequest from a caller presenting its current
	// certificate and answers a JoinResponse with a new certificate for the same
	// role and name.
	RenewPath = "/v1/join/renew"
)

// JoinRequest asks for a certificate with a join token.
type JoinRequest struct {
	// Secret is the part of the join token after the CA fingerprint.
	Secret string `json:"secret"`
	// Role is the role asked for; it must be the token's.
	Role string `json:"role"`
	// Name is the node or server name the certificate is for.
	Name string `json:"name"`
	// CSR is a PEM certificate request (NewCSR).
	CSR string `json:"csr"`
}

// RenewRequest asks for a new certificate for the caller's current role and name.
type RenewRequest struct {
	// Role, when set, must be the current certificate's.
	Role string `json:"role,omitempty"`
	CSR  string `json:"csr"`
}

// JoinResponse carries a signed certificate and what a new member needs.
type JoinResponse struct {
	Certificate string `json:"certificate"`
	CA          string `json:"ca"`
	// CAKey is the CA's key, given to servers only: every server can then sign, so
	// any leader answers joins and renewals.
	CAKey string `json:"caKey,omitempty"`
	// GossipKey encrypts gossip; empty when gossip is not encrypted.
	GossipKey []byte `json:"gossipKey,omitempty"`
	// GossipAddrs are the gossip addresses of the cluster's live servers.
	GossipAddrs []string `json:"gossipAddrs,omitempty"`
}

// JoinError is a join or renewal the server refused (a 4xx): retrying will not help.
type JoinError struct {
	Code    int
	Message string
}

func (e *JoinError) Error() string {
	return fmt.Sprintf("pki: join refused (%d): %s", e.Code, e.Message)
}

// Joiner joins a cluster with a join token: it fetches the CA from addr (host:port
// of a server's API), checks it against the token, then asks for a certificate.
type Joiner struct {
	// Addr is host:port of a server's API.
	Addr string
	// Token is the join token ("BERTH-1-...").
	Token string
	// Role, Name and Hosts are what the certificate is for.
	Role, Name string
	Hosts      []string
	// Timeout bounds each request; zero means 10 s.
	Timeout time.Duration
}

// Join runs the protocol and returns the identity, its key and the server's answer.
func (j Joiner) Join(ctx context.Context) (*LiveIdentity, *JoinResponse, error) {
	fp, secret, err := ParseJoinToken(j.Token)
	if err != nil {
		return nil, nil, err
	}
	// The CA is fetched over an unverified connection: what it says is checked
	// against the token before it is trusted for anything.
	caPEM, err := j.get(ctx, &tls.Config{InsecureSkipVerify: true}, JoinCAPath)
	if err != nil {
		return nil, nil, err
	}
	if err := VerifyCA(caPEM, fp); err != nil {
		return nil, nil, err
	}
	trust, err := TrustTLS(caPEM)
	if err != nil {
		return nil, nil, err
	}
	csr, key, err := NewCSR(j.Name, j.Hosts)
	if err != nil {
		return nil, nil, err
	}
	var resp JoinResponse
	req := JoinRequest{Secret: secret, Role: j.Role, Name: j.Name, CSR: string(csr)}
	if err := j.post(ctx, trust, JoinPath, req, &resp); err != nil {
		return nil, nil, err
	}
	id, err := NewIdentity([]byte(resp.Certificate), key, caPEM)
	if err != nil {
		return nil, nil, err
	}
	if id.Role() != j.Role || id.Name() != j.Name {
		return nil, nil, fmt.Errorf("pki: the server issued a certificate for %s %q, not %s %q", id.Role(), id.Name(), j.Role, j.Name)
	}
	return id, &resp, nil
}

// Renew asks the server at addr for a new certificate for id, authenticated by id's
// current one, and puts it in place (id.Update).
func Renew(ctx context.Context, addr string, id *LiveIdentity, hosts []string) error {
	csr, key, err := NewCSR(id.Name(), hosts)
	if err != nil {
		return err
	}
	var resp JoinResponse
	j := Joiner{Addr: addr}
	if err := j.post(ctx, id.ClientTLS(RoleServer), RenewPath, RenewRequest{Role: id.Role(), CSR: string(csr)}, &resp); err != nil {
		return err
	}
	return id.Update([]byte(resp.Certificate), key)
}

func (j Joiner) client(cfg *tls.Config) *http.Client {
	t := j.Timeout
	if t == 0 {
		t = 10 * time.Second
	}
	return &http.Client{Timeout: t, Transport: &http.Transport{TLSClientConfig: cfg}}
}

func (j Joiner) url(path string) string {
	addr := strings.TrimPrefix(strings.TrimPrefix(j.Addr, "https://"), "http://")
	return "https://" + strings.TrimSuffix(addr, "/") + path
}

func (j Joiner) get(ctx context.Context, cfg *tls.Config, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.url(path), nil)
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	return j.do(cfg, req)
}

func (j Joiner) post(ctx context.Context, cfg *tls.Config, path string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.url(path), bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	body, err := j.do(cfg, req)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("pki: the server's join answer: %w", err)
	}
	return nil
}

func (j Joiner) do(cfg *tls.Config, req *http.Request) ([]byte, error) {
	hc := j.client(cfg)
	defer hc.CloseIdleConnections()
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("pki: %s: %w", req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("pki: %s: %w", req.URL.Path, err)
	}
	if resp.StatusCode/100 != 2 {
		msg := strings.TrimSpace(string(body))
		var st struct{ Message string }
		if json.Unmarshal(body, &st) == nil && st.Message != "" {
			msg = st.Message
		}
		return nil, &JoinError{Code: resp.StatusCode, Message: msg}
	}
	return body, nil
}

// Refused reports whether err is a refusal (a JoinError or a CA mismatch), which
// retrying will not change.
func Refused(err error) bool {
	var je *JoinError
	return errors.As(err, &je) && je.Code/100 == 4 || errors.Is(err, ErrCAMismatch) || errors.Is(err, ErrBadJoinToken)
}
