// Package client is Berth's node agent (the kubelet of a Berth cluster): it
// registers its machine as a Node, watches the pods bound to it, drives each
// pod toward its spec through a runtime.Runtime (Docker, or the fake for
// hollow nodes), reports pod status and events, and serves logs and exec on
// the client endpoint.
//
// One goroutine per pod (podWorker) owns that pod's state and is woken by
// watch events, engine events (a container died) and a periodic resync. A
// pod is an infra sandbox holding the pod IP (allocated by ipam from the
// node's pod CIDR) plus app containers joined to it. Everything needed to
// adopt running containers after a restart is in the engine labels; the
// data dir only keeps IP allocations and the files of secret and configMap
// volumes.
//
// Hollow runs thousands of simulated nodes (Config.Count > 1, the fake
// runtime) in one process for scale tests. It shares what an agent does per
// node: one list+watch of every bound pod dispatched by spec.nodeName, one
// coalescing work queue and worker pool for pods (no goroutine per pod), one
// heartbeat loop spread over StatusInterval under a rate cap, one logs/exec
// endpoint; no gossip, no events, no probes, nothing on disk. The real agent
// does not use it.
//
// It is not the runtime binding (client/runtime), the probe logic
// (client/probe) nor the HTTP protocol of logs/exec (client/endpoint).
package client
