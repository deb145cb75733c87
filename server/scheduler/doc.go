// Package scheduler places unbound pods on nodes: a priority queue of pods, filter
// and score plugins with Kubernetes' semantics and messages, an assume cache so one
// cycle sees the bindings it has made before Raft commits them, batched binding, and
// preemption of lower-priority pods.
//
// It is pure: it reads the cluster through the State interface and writes only
// through Binder and Evictor, so it runs and is tested without Raft or a server.
// It is not the leader loop (the server decides when to run a cycle and turns a
// FitError into a FailedScheduling Event), and it holds no state across leader
// changes beyond what a fresh State snapshot gives it.
package scheduler
