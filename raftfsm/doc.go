// Package raftfsm is Berth's replicated state machine: the commands the leader
// proposes through Raft, the deterministic Apply that turns them into changes of an
// in-memory go-memdb store (one table per kind), snapshots and restore, and the watch
// hub that streams those changes to watchers from a window of recent events.
//
// It is not the Raft node itself (the server owns hashicorp/raft and feeds this FSM),
// and it decides nothing: uids, timestamps and generations arrive stamped by the leader.
package raftfsm
