package api

import (
	"context"
	"net/http"
)

// GossipKeyringPath is the operator endpoint of the gossip encryption keyring.
const GossipKeyringPath = "/v1/operator/gossip/keyring"

// GossipKeyring is the gossip keyring of the answering server.
type GossipKeyring struct {
	// Keys are base64, the primary (the one gossip is encrypted with) first; empty
	// when gossip is not encrypted (--insecure-dev).
	Keys []string `json:"keys"`
}

// GossipKeyringChange asks every member to install, use or remove a key.
type GossipKeyringChange struct {
	// Op is "install", "use" or "remove".
	Op string `json:"op"`
	// Key is base64 of 16, 24 or 32 bytes (`openssl rand -base64 32`).
	Key string `json:"key"`
}

// GossipKeyringResult says how far a change went.
type GossipKeyringResult struct {
	// Members counts the members told, the answering server included.
	Members int `json:"members"`
	// Failed names the members that could not be told, and why: they keep their
	// old keyring until the change is made again.
	Failed map[string]string `json:"failed,omitempty"`
}

// GossipKeyring lists the gossip keys of the answering server.
func (c *Client) GossipKeyring(ctx context.Context) (*GossipKeyring, error) {
	var out GossipKeyring
	if err := c.unary(ctx, http.MethodGet, GossipKeyringPath, nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ChangeGossipKeyring makes a keyring change on every member of the cluster.
func (c *Client) ChangeGossipKeyring(ctx context.Context, change GossipKeyringChange) (*GossipKeyringResult, error) {
	var out GossipKeyringResult
	if err := c.unary(ctx, http.MethodPost, GossipKeyringPath, nil, change, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
