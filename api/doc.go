// Package api holds Berth's wire types — every kind with Kubernetes' field names —
// with their defaulting, validation, label and field selectors, strict YAML/JSON
// decoding, and the Go client for the HTTP API.
//
// It imports nothing of Berth's: every other package may import it. It is not the
// store (raftfsm) and does not know about Raft, gossip or Docker.
package api
