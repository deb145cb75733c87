package server

import (
	"sync"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
	"github.com/berth-dev/berth/server/scheduler"
)

// storeState is a scheduler.State over the leader's store. Each table is listed on
// first use, so a State asked only for PriorityClasses (the scheduler's Enqueue) costs
// nothing more. The objects are the store's own, shared and never modified.
type storeState struct {
	fsm *raftfsm.FSM

	nodesOnce, podsOnce, classesOnce sync.Once
	nodes                            []*api.Node
	pods                             []*api.Pod
	classes                          map[string]int32
}

var _ scheduler.State = (*storeState)(nil)

func newStoreState(fsm *raftfsm.FSM) *storeState { return &storeState{fsm: fsm} }

// Nodes implements scheduler.State.
func (st *storeState) Nodes() []*api.Node {
	st.nodesOnce.Do(func() {
		res, _ := api.ResourceForKind("Node")
		recs, _ := st.fsm.List(res, "")
		st.nodes = make([]*api.Node, 0, len(recs))
		for _, rec := range recs {
			if n, ok := rec.Object.(*api.Node); ok {
				st.nodes = append(st.nodes, n)
			}
		}
	})
	return st.nodes
}

// Pods implements scheduler.State.
func (st *storeState) Pods() []*api.Pod {
	st.podsOnce.Do(func() {
		res, _ := api.ResourceForKind("Pod")
		recs, _ := st.fsm.List(res, "")
		st.pods = make([]*api.Pod, 0, len(recs))
		for _, rec := range recs {
			if p, ok := rec.Object.(*api.Pod); ok {
				st.pods = append(st.pods, p)
			}
		}
	})
	return st.pods
}

// PriorityClass implements scheduler.State: a stored class, else a built-in one.
func (st *storeState) PriorityClass(name string) (int32, bool) {
	st.classesOnce.Do(func() { st.classes = priorityClasses(st.fsm) })
	if v, ok := st.classes[name]; ok {
		return v, true
	}
	if pc, ok := api.SystemPriorityClass(name); ok {
		return pc.Value, true
	}
	return 0, false
}

// priorityClasses maps every stored PriorityClass to its value.
func priorityClasses(fsm *raftfsm.FSM) map[string]int32 {
	res, ok := api.ResourceForKind("PriorityClass")
	if !ok {
		return nil
	}
	recs, _ := fsm.List(res, "")
	out := make(map[string]int32, len(recs))
	for _, rec := range recs {
		if pc, ok := rec.Object.(*api.PriorityClass); ok {
			out[pc.Name] = pc.Value
		}
	}
	return out
}
