// Package controller holds the leader's reconcilers: ReplicaSet, Deployment,
// StatefulSet, DaemonSet, Job, Endpoints, ResourceQuota status, the garbage collector, namespace
// deletion and node lifecycle. Each one watches the store, queues the keys of the
// objects that need work and reconciles one key at a time, idempotently, from the
// store's current state: nothing a controller remembers is needed for correctness,
// so a new leader simply starts them again.
//
// Controllers read through Store (the local raftfsm FSM, which on the leader holds
// everything committed) and write only through Writer, the leader's own admission
// path (defaulting, validation, stamping), so they are testable without Raft.
package controller
