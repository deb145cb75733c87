package pause

import "syscall"

// prSetChildSubreaper is PR_SET_CHILD_SUBREAPER from <linux/prctl.h>; the syscall
// package does not name it.
const prSetChildSubreaper = 36

// becomeSubreaper makes orphaned descendants re-parent to this process instead of
// to the namespace's init, so Run reaps them even when it is not PID 1.
func becomeSubreaper() error {
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
		return errno
	}
	return nil
}
