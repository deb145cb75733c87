package server

import "github.com/berth-dev/berth/api"

// admitUpdate applies to an update what create-time admission decided, once the
// stored object's server-owned fields (uid, ...) are carried into next and before
// ValidateUpdate compares the two. A re-applied manifest leaves those decisions
// out, and the fields they fill are immutable, so without this the same manifest
// would fail its second apply.
func (s *Server) admitUpdate(old, next api.Object) error {
	switch n := next.(type) {
	case *api.Job:
		// With the uid carried over, Default generates the same selector and
		// template labels as at create (it skips them while the uid is unknown).
		api.Default(n)
	case *api.Pod:
		keepPodPriority(old, n)
	case *api.PriorityClass:
		return s.admitDefaultPriorityClass(n)
	}
	return nil
}
