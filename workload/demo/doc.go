// Package demo is a small workload for tests and for the README tour: `berth demo`.
//
// It ships in the FROM scratch image berth/demo:dev (built by `make images`), so it
// relies on nothing but the kernel: no shell, no /etc files, no user or host lookups.
//
// It serves HTTP (default port 8080):
//
//	GET  /                 JSON: hostname, podIP, remoteAddr, method, path, headers, time
//	                       (any other unmatched path and method answers the same)
//	GET  /healthz          200, or 503 while liveness is failed
//	GET  /readyz           200, or 503 while readiness is failed or the process is terminating
//	POST /fail/liveness    make /healthz fail
//	POST /fail/readiness   make /readyz fail
//	POST /recover          make both pass again
//	GET  /env              the environment as a JSON object
//	GET  /file?path=P      the file's bytes (volume tests)
//	POST /file?path=P      write the request body to the file
//	POST /exit?code=N      exit with code N
//
// and optionally a TCP echo server. Flags make it fail its probes from the start, exit
// after a while with a code, ignore SIGTERM, or linger after SIGTERM, which is what
// tests of restart policies, probes and grace periods need.
//
// The file and exit endpoints give anyone who reaches the port control of the
// container: this is a test workload, never something to expose.
package demo
