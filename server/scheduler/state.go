package scheduler

import (
	"context"

	"github.com/berth-dev/berth/api"
)

// State is the read side of the cluster the scheduler needs: one point-in-time view.
// Objects are shared, never copied: the scheduler never modifies them. A raftfsm
// snapshot implements it by listing the Node and Pod tables.
type State interface {
	// Nodes lists every node.
	Nodes() []*api.Node
	// Pods lists every pod, bound (spec.nodeName set) or not.
	Pods() []*api.Pod
	// PriorityClass is the value of a PriorityClass by name; ok false when absent.
	PriorityClass(name string) (value int32, ok bool)
}

// Binding assigns one pod to one node. PodUID guards against binding a pod that was
// deleted and re-created under the same name in the meantime.
type Binding struct {
	PodNamespace string
	PodName      string
	PodUID       string
	NodeName     string
}

// Binder commits bindings, many at a time (one Raft entry per call is the intent).
// It returns one error per binding, in order; a nil slice means all succeeded.
// The scheduler calls it from one goroutine at a time.
type Binder interface {
	Bind(ctx context.Context, bindings []Binding) []error
}

// Evictor deletes pods chosen as preemption victims (gracefully: the pods keep
// their room until they are gone). The scheduler calls it from one goroutine.
type Evictor interface {
	Evict(ctx context.Context, pods []*api.Pod) error
}

// Snapshot is a State over plain slices, for tests and for callers that already
// hold the objects. Its fields must not change after it is handed to a Scheduler.
type Snapshot struct {
	NodeList []*api.Node
	PodList  []*api.Pod
	// Classes maps PriorityClass names to their values; nil means none.
	Classes map[string]int32
}

var _ State = (*Snapshot)(nil)

// NewSnapshot is a State over nodes and pods, with no PriorityClasses.
func NewSnapshot(nodes []*api.Node, pods []*api.Pod) State {
	return &Snapshot{NodeList: nodes, PodList: pods}
}

// Nodes implements State.
func (s *Snapshot) Nodes() []*api.Node { return s.NodeList }

// Pods implements State.
func (s *Snapshot) Pods() []*api.Pod { return s.PodList }

// PriorityClass implements State.
func (s *Snapshot) PriorityClass(name string) (int32, bool) {
	v, ok := s.Classes[name]
	return v, ok
}
