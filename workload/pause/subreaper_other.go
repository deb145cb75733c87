//go:build !linux

package pause

// becomeSubreaper is a no-op where the kernel has no subreapers; as PID 1 the
// process reaps orphans anyway.
func becomeSubreaper() error { return nil }
