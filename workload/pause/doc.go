// Package pause is the infra ("pause") process of a pod.
//
// The node agent starts one infra container per pod from a FROM scratch image whose
// only file is the static berth binary; `berth pause` calls Run. The container exists
// to hold the pod's network namespace (and its IP) while app containers come and go,
// so the process does nothing but wait: it exits 0 on SIGTERM or SIGINT.
//
// Because it is PID 1 of its container (and of the pod, if the pod shares one PID
// namespace), orphaned processes are re-parented to it and it must reap them, or they
// stay zombies forever. Run therefore also makes itself a child subreaper, which gives
// the same duty when it is not PID 1 (and lets tests check the reaping outside a
// container).
//
// It is not an init system: it starts nothing and forwards no signals.
package pause
