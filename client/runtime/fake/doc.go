// Package fake implements runtime.Runtime in memory, for hollow nodes: an
// agent on a fake runtime registers, runs and reports pods exactly as on
// Docker, but no process starts. Containers "run" from StartContainer until
// they are stopped, a test hook makes them exit, or their pod scripts an exit
// (below); exec and logs return canned output; a pod IP is whatever the
// caller assigned (the agent allocates it from its node's pod CIDR).
//
// A Runtime is a few maps behind one mutex and starts no goroutine except
// one per Events subscription (Config.Notify delivers events with none) and
// one timer per scripted running container, so thousands fit in one process.
//
// # Scripted exits
//
// A pod's annotations script its containers, so Jobs and restart policies can
// be exercised on hollow nodes. The agent copies every annotation starting
// with "berth.io/fake-" into the container labels (BehaviorLabels); the
// runtime reads them at CreateContainer:
//
//	berth.io/fake-exit-code: "N"     each instance exits with code N (0-255)
//	berth.io/fake-run-seconds: "S"   ... after running S seconds ("0.5" allowed)
//
// Either annotation alone makes instances exit: the code defaults to 0, the
// run time to 0 (exit right after start). Neither: containers run until the
// pod is deleted. Every instance follows the script, so under restartPolicy
// Always a container exits and is restarted (with back-off) over and over;
// under Never or OnFailure with code 0 the pod ends Succeeded, as a Job wants.
// A malformed value fails CreateContainer with ErrInvalidConfig naming the
// annotation, which the pod shows as CreateContainerError.
//
// One more annotation is read by hollow nodes rather than by the runtime (a
// runtime has no probes): readiness probes pass at once unless
// `berth.io/fake-ready: "false"`, which keeps every container that has a
// readinessProbe not ready. Hollow nodes also complete init containers (exit
// 0 at once) unless the pod scripts them.
//
// It is not a simulator of the engine's timing or resource limits: capacity
// is only reported, never enforced.
package fake
