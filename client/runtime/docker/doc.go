// Package docker implements runtime.Runtime on a Docker engine through
// github.com/moby/moby/client (API 1.40 and later; negotiated on first use).
//
// A pod's sandbox is an infra container running the berth binary's pause
// subcommand from a FROM-scratch image that EnsureInfraImage imports from
// the running executable, so a node with no registry can still run pods. The
// sandbox owns the pod IP (a static address on a user-defined bridge
// network), hostname, DNS settings and published ports; app containers join
// it with NetworkMode and IpcMode "container:<sandbox id>".
//
// The package holds no state besides the client: every fact a restarted
// agent needs is in the io.berth.* labels on the engine's objects.
//
// It is not a general Docker wrapper: it creates only what Berth needs and
// lists only objects labelled io.berth.managed=true.
package docker
