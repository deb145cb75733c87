// Package runtime is the node agent's view of a container engine: the
// Runtime interface the pod workers in package client drive, the shared
// value types it speaks in, the io.berth.* label keys every managed engine
// object carries, and the sentinel errors callers branch on.
//
// It is not an engine binding. Two implementations live below it:
// runtime/docker talks to a real Docker engine, runtime/fake keeps hollow
// containers in memory so that thousands of nodes fit in one test process.
//
// A pod is a sandbox (an infra container that owns the network namespace,
// the pod IP, DNS settings and published ports) plus app containers that
// join it. Everything a restarted agent needs to adopt what is running is in
// the labels (see Meta), never in agent-side state.
package runtime
