// Package server is the Berth server agent: it owns the Raft node (hashicorp/raft with
// raft-boltdb and file snapshots), finds its peers by gossip and bootstraps with
// --bootstrap-expect, serves the Kubernetes-style HTTP API (admission, forwarding to
// the leader, linearizable reads, watches), and runs leader-only work under a context
// that is cancelled the moment leadership is lost.
//
// It is not the state machine (raftfsm), the wire types (api) or the CLI (cli): it
// wires them together behind HTTP and Raft.
package server
