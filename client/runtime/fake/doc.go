// Package fake implements runtime.Runtime in memory, for hollow nodes: an
// agent on a fake runtime registers, runs and reports pods exactly as on
// Docker, but no process starts. Containers "run" from StartContainer until
// they are stopped or a test hook makes them exit; exec and logs return
// canned output; a pod IP is whatever the caller assigned.
//
// A Runtime is a few maps behind one mutex and starts no goroutine except
// one per Events subscription, so thousands fit in one test process.
//
// It is not a simulator of the engine's timing or resource limits: capacity
// is only reported, never enforced.
package fake
