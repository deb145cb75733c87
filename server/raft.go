package server

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"

	"github.com/berth-dev/berth/pki"
)

// raftNode bundles the Raft instance with the stores it owns, so shutdown closes them
// in the right order.
type raftNode struct {
	raft      *raft.Raft
	transport *raft.NetworkTransport
	store     *raftboltdb.BoltStore
	snaps     raft.SnapshotStore
	hasState  bool // the data dir already held Raft state when we started
}

// raftConfig turns the server config into hashicorp/raft's.
func (c Config) raftConfig() *raft.Config {
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(c.Name)
	rc.HeartbeatTimeout = c.HeartbeatTimeout
	rc.ElectionTimeout = c.ElectionTimeout
	rc.LeaderLeaseTimeout = c.LeaderLeaseTimeout
	rc.CommitTimeout = c.CommitTimeout
	rc.SnapshotThreshold = c.SnapshotThreshold
	rc.SnapshotInterval = c.SnapshotInterval
	rc.TrailingLogs = c.TrailingLogs
	// Let concurrent Apply calls queue without waiting for the leader loop: it then
	// writes up to MaxAppendEntries of them with one fsync.
	rc.BatchApplyCh = true
	rc.MaxAppendEntries = 256
	rc.NoLegacyTelemetry = true
	rc.Logger = hclog.New(&hclog.LoggerOptions{
		Name:   "raft",
		Level:  hclog.LevelFromString(c.RaftLogLevel),
		Output: os.Stderr,
	})
	return rc
}

// openRaft opens (or creates) the Raft stores under dataDir/raft and starts the node.
// Its transport is mutual TLS with id, or plain TCP when id is nil (--insecure-dev).
func openRaft(c Config, fsm raft.FSM, id pki.Identity) (*raftNode, error) {
	dir := filepath.Join(c.DataDir, "raft")
	if err := os.MkdirAll(filepath.Join(dir, "snapshots"), 0o700); err != nil {
		return nil, fmt.Errorf("server: data dir: %w", err)
	}
	rc := c.raftConfig()
	store, err := raftboltdb.New(raftboltdb.Options{
		Path: filepath.Join(dir, "raft.db"),
		// Without a timeout a second process on the same data dir waits forever on the
		// file lock; with it, it fails with a clear error.
		BoltOptions: &bbolt.Options{Timeout: 2 * time.Second},
	})
	if err != nil {
		return nil, fmt.Errorf("server: open raft log %s (is another server using this data dir?): %w", dir, err)
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, 2, rc.Logger.Named("snapshot"))
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("server: snapshot store: %w", err)
	}
	logs, err := raft.NewLogCache(512, store)
	if err != nil {
		store.Close()
		return nil, err
	}
	hasState, err := raft.HasExistingState(logs, store, snaps)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("server: read raft state: %w", err)
	}
	bind := net.JoinHostPort(c.BindAddr, strconv.Itoa(c.RaftPort))
	// A net.Addr interface, not *net.TCPAddr: a typed nil pointer would be a non-nil
	// interface that the transport dereferences.
	var adv net.Addr = &net.TCPAddr{IP: net.ParseIP(c.advertise()), Port: c.RaftPort}
	if c.RaftPort == 0 {
		adv = nil // the transport advertises the port it picked
	}
	trans, err := newRaftTransport(bind, adv, id, rc.Logger.Named("transport"))
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("server: raft listener on %s: %w", bind, err)
	}
	r, err := raft.NewRaft(rc, fsm, logs, store, snaps, trans)
	if err != nil {
		trans.Close()
		store.Close()
		return nil, fmt.Errorf("server: start raft: %w", err)
	}
	return &raftNode{raft: r, transport: trans, store: store, snaps: snaps, hasState: hasState}, nil
}

// close stops Raft and then closes what it used.
func (n *raftNode) close() error {
	err := n.raft.Shutdown().Error()
	n.transport.Close()
	if cerr := n.store.Close(); err == nil {
		err = cerr
	}
	return err
}
