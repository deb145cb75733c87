package server

import (
	"context"
	"fmt"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// admitPriority is Kubernetes' Priority admission plugin, run on create after
// defaulting and before validation.
//
// For a Pod it resolves spec.priorityClassName (or, when empty, the class marked
// globalDefault) into spec.priority and spec.preemptionPolicy. A pod with no class
// and no default class gets priority 0 and PreemptLowerPriority. The built-in
// system-cluster-critical and system-node-critical classes resolve without stored
// objects. An unknown class, or a priority or policy the pod sets that disagrees
// with its class, is 403 Forbidden.
//
// For a PriorityClass marked globalDefault it refuses a second default.
func (s *Server) admitPriority(ctx context.Context, obj api.Object) error {
	switch o := obj.(type) {
	case *api.Pod:
		return s.admitPodPriority(ctx, o)
	case *api.PriorityClass:
		return s.admitDefaultPriorityClass(o)
	}
	return nil
}

func (s *Server) admitPodPriority(ctx context.Context, pod *api.Pod) error {
	spec := &pod.Spec
	var (
		priority int32
		policy   *string
	)
	if spec.PriorityClassName == "" {
		if pc := s.defaultPriorityClass(); pc != nil {
			spec.PriorityClassName, priority, policy = pc.Name, pc.Value, pc.PreemptionPolicy
		} else {
			lower := api.PreemptLowerPriority
			policy = &lower
		}
	} else {
		pc, err := s.priorityClass(ctx, spec.PriorityClassName)
		if err != nil {
			return err
		}
		if pc == nil {
			return forbidden(podsResource(), pod.Name, "no PriorityClass with name %s was found", spec.PriorityClassName)
		}
		priority, policy = pc.Value, pc.PreemptionPolicy
	}
	if spec.Priority != nil && *spec.Priority != priority {
		return forbidden(podsResource(), pod.Name, "the integer value of priority (%d) must not be provided in pod spec; "+
			"priority admission controller computed %d from the given PriorityClass name", *spec.Priority, priority)
	}
	spec.Priority = &priority
	if policy != nil {
		if spec.PreemptionPolicy != nil && *spec.PreemptionPolicy != *policy {
			return forbidden(podsResource(), pod.Name, "the string value of PreemptionPolicy (%s) must not be provided in pod spec; "+
				"priority admission controller computed %s from the given PriorityClass name", *spec.PreemptionPolicy, *policy)
		}
		p := *policy
		spec.PreemptionPolicy = &p
	}
	return nil
}

// priorityClass finds a class by name: a stored one, else a built-in one; nil when
// neither exists. A miss is confirmed behind a read barrier (getVerified), so a
// class created just before the pod is never reported missing by a stale leader.
func (s *Server) priorityClass(ctx context.Context, name string) (*api.PriorityClass, error) {
	res, ok := api.ResourceForKind("PriorityClass")
	if !ok {
		return nil, api.NewError(api.ReasonInternalError, "the PriorityClass kind is not registered")
	}
	rec, found, err := s.getVerified(ctx, res, "", name, false)
	if err != nil {
		return nil, err
	}
	if found {
		if pc, ok := rec.Object.(*api.PriorityClass); ok {
			return pc, nil
		}
	}
	if pc, ok := api.SystemPriorityClass(name); ok {
		return pc, nil
	}
	return nil, nil
}

// defaultPriorityClass is the stored class marked globalDefault, nil when none is.
// Should several be (created concurrently), the lowest value wins, as in Kubernetes.
// The returned class is the store's: read it, never change it.
func (s *Server) defaultPriorityClass() *api.PriorityClass {
	res, ok := api.ResourceForKind("PriorityClass")
	if !ok {
		return nil
	}
	recs, _ := s.fsm.List(res, "")
	return defaultPriorityClassOf(recs)
}

func defaultPriorityClassOf(recs []*raftfsm.Record) *api.PriorityClass {
	var best *api.PriorityClass
	for _, rec := range recs {
		pc, ok := rec.Object.(*api.PriorityClass)
		if ok && pc.GlobalDefault && (best == nil || pc.Value < best.Value) {
			best = pc
		}
	}
	return best
}

// admitDefaultPriorityClass refuses a class marked globalDefault while another
// class is: at most one default may exist.
func (s *Server) admitDefaultPriorityClass(pc *api.PriorityClass) error {
	if !pc.GlobalDefault {
		return nil
	}
	if cur := s.defaultPriorityClass(); cur != nil && cur.Name != pc.Name {
		res, _ := api.ResourceForKind("PriorityClass")
		return forbidden(res, pc.Name, "PriorityClass %s is already marked as default. Only one default can exist", cur.Name)
	}
	return nil
}

// keepPodPriority carries what admission decided at create into an update that
// leaves it out (a re-applied manifest), as Kubernetes' plugin does: those fields
// are immutable, so an omitted one would otherwise fail the update.
func keepPodPriority(old, next api.Object) {
	o, ok1 := old.(*api.Pod)
	n, ok2 := next.(*api.Pod)
	if !ok1 || !ok2 {
		return
	}
	if n.Spec.Priority == nil {
		n.Spec.Priority = o.Spec.Priority
	}
	if n.Spec.PreemptionPolicy == nil {
		n.Spec.PreemptionPolicy = o.Spec.PreemptionPolicy
	}
	if n.Spec.PriorityClassName == "" {
		n.Spec.PriorityClassName = o.Spec.PriorityClassName
	}
}

func podsResource() *api.Resource {
	res, _ := api.ResourceForKind("Pod")
	return res
}

// forbidden is Kubernetes' admission refusal: `pods "x" is forbidden: why`, with
// the group after the plural for non-core kinds.
func forbidden(res *api.Resource, name, format string, args ...any) *api.Error {
	qualified := res.Plural
	if res.Group != "" {
		qualified += "." + res.Group
	}
	e := api.NewError(api.ReasonForbidden, "%s %q is forbidden: %s", qualified, name, fmt.Sprintf(format, args...))
	e.Status.Details = &api.StatusDetails{Name: name, Kind: res.Plural}
	return e
}
