// Package probe runs the liveness, readiness and startup probes of the
// containers a node agent runs, with the kubelet's semantics, and keeps the
// restart back-off of crashing containers.
//
// A Worker owns one probe of one container instance: it waits the initial
// delay, probes every period (jittered a little so that many pods started
// together do not probe in lockstep), applies the success and failure
// thresholds and reports each change of the thresholded result through a
// callback. Once runs a single attempt with no thresholds, for tests and for
// describe. Probes speak HTTP(S) GET, TCP connect and exec (through a
// function the caller supplies, so the package needs no container runtime);
// gRPC probes are not supported yet and always fail with a message.
//
// Backoff is the restart back-off (10 s doubling to 5 min, forgotten after a
// container ran 10 minutes); it is a pure function of the times passed in.
//
// The package is not a scheduler of probes across containers, and it does
// not act on results: killing a container whose liveness probe failed, or
// marking a pod unready, is the agent's business.
package probe
