// Package gossip is how Berth's servers and clients find each other and learn
// who is alive: a small wrapper over hashicorp/memberlist (SWIM failure
// detection with Lifeguard).
//
// Each member advertises a Meta (role, id, HTTP and Raft addresses, version,
// bootstrap state) that every other member sees in Members and in the events
// of Subscribe. DefaultConfig is tuned so a killed member is declared dead by
// the others in about 2–3 s on a LAN.
//
// Gossip is encrypted when Config.SecretKey is set (Berth generates the key when
// the cluster is created and hands it out with the join); ChangeKeyring rotates it
// on every member. Those keyring changes are the only user messages it sends.
//
// It is not a message bus: no other messages or state travel over gossip, only
// membership and metadata. It does not decide anything (bootstrapping Raft,
// marking nodes NotReady): the server and client packages do, from what this
// package reports. It imports nothing of Berth's.
package gossip
