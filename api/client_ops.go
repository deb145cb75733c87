package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Member is one agent of the cluster as gossip sees it (GET /v1/members).
type Member struct {
	Name     string `json:"name"`
	Addr     string `json:"addr"`
	State    string `json:"state"` // "alive", "suspect", "dead", "left"
	Role     string `json:"role"`  // "server" or "client"
	ID       string `json:"id"`
	HTTPAddr string `json:"httpAddr"`
	RaftAddr string `json:"raftAddr"`
	Version  string `json:"version"`
}

// RaftPeer is one member of the Raft configuration (GET /v1/operator/raft/peers).
type RaftPeer struct {
	ID      string `json:"id"`
	Address string `json:"address"`
	Leader  bool   `json:"leader"`
	Voter   bool   `json:"voter"`
}

// ServerStatus is what one server says about its Raft state (GET /v1/status).
type ServerStatus struct {
	ID           string `json:"id"`
	State        string `json:"state"`      // "Leader", "Follower", "Candidate", "Shutdown"
	Leader       bool   `json:"leader"`     // this server is the leader
	LeaderID     string `json:"leaderId"`   // the leader's server ID, "" when there is none
	LeaderAddr   string `json:"leaderAddr"` // the leader's Raft address
	AppliedIndex uint64 `json:"appliedIndex"`
	CommitIndex  uint64 `json:"commitIndex"`
	Objects      int    `json:"objects"`
	Version      string `json:"version"`
	// ClusterCIDR, ServiceCIDR and ServiceNodePortRange are the cluster's networks:
	// where pod IPs, Services' cluster IPs and node ports come from.
	ClusterCIDR          string `json:"clusterCIDR,omitempty"`
	ServiceCIDR          string `json:"serviceCIDR,omitempty"`
	ServiceNodePortRange string `json:"serviceNodePortRange,omitempty"`
}

// Members lists the agents gossip knows, servers and clients.
func (c *Client) Members(ctx context.Context) ([]Member, error) {
	var out []Member
	err := c.unary(ctx, http.MethodGet, "/v1/members", nil, nil, &out)
	return out, err
}

// RaftPeers lists the Raft configuration as the answering server sees it.
func (c *Client) RaftPeers(ctx context.Context) ([]RaftPeer, error) {
	var out []RaftPeer
	err := c.unary(ctx, http.MethodGet, "/v1/operator/raft/peers", nil, nil, &out)
	return out, err
}

// RemoveRaftPeer removes a server (by Raft ID) from the Raft configuration.
func (c *Client) RemoveRaftPeer(ctx context.Context, id string) error {
	if id == "" {
		return fmt.Errorf("%w: empty peer id", ErrClientNoName)
	}
	return c.unary(ctx, http.MethodDelete, "/v1/operator/raft/peers/"+url.PathEscape(id), nil, nil, nil)
}

// ServerStatus reports the answering server's Raft state.
func (c *Client) ServerStatus(ctx context.Context) (*ServerStatus, error) {
	var out ServerStatus
	if err := c.unary(ctx, http.MethodGet, "/v1/status", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SnapshotSave streams a snapshot of the cluster's state into w and returns its size.
func (c *Client) SnapshotSave(ctx context.Context, w io.Writer) (int64, error) {
	resp, err := c.Raw(ctx, http.MethodGet, "/v1/snapshot", nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("api: snapshot save: %w", err)
	}
	return n, nil
}

// SnapshotRestore replaces the cluster's whole state with the snapshot read from r.
// Pass an *os.File (or any io.Seeker) so the upload can be retried if no leader is
// available at first.
func (c *Client) SnapshotRestore(ctx context.Context, r io.Reader) error {
	resp, err := c.do(ctx, http.MethodPut, "/v1/snapshot", nil, r, "application/octet-stream")
	if err != nil {
		return err
	}
	drainClose(resp.Body)
	return nil
}
