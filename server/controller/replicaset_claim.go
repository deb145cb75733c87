package controller

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// Adoption and release, shared by the ReplicaSet controller (pods) and the
// Deployment controller (ReplicaSets), with Kubernetes' ControllerRefManager rules:
// an owner adopts the orphans its selector matches (unless it or they are being
// deleted) and releases what it controls that no longer matches.

// adoptionCandidates remembers, per namespace, the objects of one kind that have no
// controller and are not being deleted: what an owner may adopt. It is fed by the
// informer, so it only narrows the search (no namespace scan per reconcile); the
// reconcile re-reads every candidate from the store before acting. Candidates are
// also indexed by label pair, so a namespace full of bare pods costs an owner only
// the ones carrying one of its matchLabels.
type adoptionCandidates struct {
	mu   sync.Mutex
	byNS map[string]*nsCandidates
}

type nsCandidates struct {
	labels map[string]map[string]string   // name -> labels
	byPair map[string]map[string]struct{} // "key=value" -> names
}

func newAdoptionCandidates() *adoptionCandidates {
	return &adoptionCandidates{byNS: map[string]*nsCandidates{}}
}

// observe updates the set from one informer event.
func (a *adoptionCandidates) observe(typ raftfsm.EventType, obj api.Object) {
	m := obj.GetObjectMeta()
	orphan := typ != raftfsm.Deleted && m.DeletionTimestamp == nil && ControllerOf(obj) == nil
	a.mu.Lock()
	defer a.mu.Unlock()
	ns := a.byNS[m.Namespace]
	if ns != nil {
		ns.remove(m.Name)
		if len(ns.labels) == 0 {
			delete(a.byNS, m.Namespace)
			ns = nil
		}
	}
	if !orphan {
		return
	}
	if ns == nil {
		ns = &nsCandidates{labels: map[string]map[string]string{}, byPair: map[string]map[string]struct{}{}}
		a.byNS[m.Namespace] = ns
	}
	ns.labels[m.Name] = m.Labels // records are immutable: keeping the map is safe
	for k, v := range m.Labels {
		names := ns.byPair[k+"="+v]
		if names == nil {
			names = map[string]struct{}{}
			ns.byPair[k+"="+v] = names
		}
		names[m.Name] = struct{}{}
	}
}

func (ns *nsCandidates) remove(name string) {
	labels, ok := ns.labels[name]
	if !ok {
		return
	}
	delete(ns.labels, name)
	for k, v := range labels {
		if names := ns.byPair[k+"="+v]; names != nil {
			delete(names, name)
			if len(names) == 0 {
				delete(ns.byPair, k+"="+v)
			}
		}
	}
}

// list returns, sorted, the candidates of a namespace that may match sel: those
// with the rarest of its matchLabels pairs, or all of them for a selector of
// expressions only.
func (a *adoptionCandidates) list(namespace string, sel *api.LabelSelector) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	ns := a.byNS[namespace]
	if ns == nil {
		return nil
	}
	var out []string
	if sel != nil && len(sel.MatchLabels) > 0 {
		var best map[string]struct{}
		first := true
		for k, v := range sel.MatchLabels {
			names := ns.byPair[k+"="+v]
			if first || len(names) < len(best) {
				best, first = names, false
			}
		}
		out = slices.Collect(maps.Keys(best))
	} else {
		out = slices.Collect(maps.Keys(ns.labels))
	}
	slices.Sort(out)
	return out
}

// selectorCache holds parsed selectors by owner uid: apps/v1 selectors are
// immutable, so a uid's selector never changes.
type selectorCache struct {
	mu    sync.Mutex
	byUID map[string]api.Selector
}

func newSelectorCache() *selectorCache { return &selectorCache{byUID: map[string]api.Selector{}} }

// get parses (once) the selector of the owner with uid; a nil or unparsable
// selector selects nothing.
func (c *selectorCache) get(uid string, ls *api.LabelSelector) api.Selector {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.byUID[uid]; ok {
		return s
	}
	s := api.Nothing()
	if ls != nil {
		if parsed, err := ls.AsSelector(); err == nil && !parsed.Empty() {
			s = parsed
		}
	}
	c.byUID[uid] = s
	return s
}

func (c *selectorCache) forget(uid string) {
	c.mu.Lock()
	delete(c.byUID, uid)
	c.mu.Unlock()
}

// controlledBy returns the records whose controller reference names uid (an
// ownerReference without controller: true does not count).
func controlledBy(recs []*raftfsm.Record, uid string) []api.Object {
	out := make([]api.Object, 0, len(recs))
	for _, r := range recs {
		if ref := ControllerOf(r.Object); ref != nil && ref.UID == uid {
			out = append(out, r.Object)
		}
	}
	return out
}

// claimer adopts and releases the dependents of one owner.
type claimer struct {
	w     Writer
	store Store
	res   *api.Resource // the dependents' kind
	owner api.Object
	sel   api.Selector
}

// claim releases the owned objects sel no longer matches and adopts the candidates
// (by name, re-read from the store) it does. It returns what the owner controls
// afterwards. Store records are shared: written objects are copies.
func (c claimer) claim(ctx context.Context, owned []api.Object, candidates []string) ([]api.Object, error) {
	out := make([]api.Object, 0, len(owned))
	var firstErr error
	for _, o := range owned {
		if c.sel.Matches(o.GetObjectMeta().Labels) {
			out = append(out, o)
			continue
		}
		if err := c.release(ctx, o); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	om := c.owner.GetObjectMeta()
	if om.DeletionTimestamp != nil {
		return out, firstErr
	}
	for _, name := range candidates {
		rec, ok := c.store.Get(c.res, om.Namespace, name)
		if !ok {
			continue
		}
		m := rec.Object.GetObjectMeta()
		if m.DeletionTimestamp != nil || ControllerOf(rec.Object) != nil || !c.sel.Matches(m.Labels) {
			continue
		}
		adopted, err := c.adopt(ctx, rec.Object)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		out = append(out, adopted)
	}
	return out, firstErr
}

func (c claimer) adopt(ctx context.Context, obj api.Object) (api.Object, error) {
	cp := api.DeepCopy(obj)
	m := cp.GetObjectMeta()
	m.OwnerReferences = append(m.OwnerReferences, NewControllerRef(c.owner))
	out, err := c.w.Update(ctx, cp)
	if err != nil {
		return nil, fmt.Errorf("adopt %s %s/%s: %w", c.res.Singular, m.Namespace, m.Name, err)
	}
	return out, nil
}

func (c claimer) release(ctx context.Context, obj api.Object) error {
	cp := api.DeepCopy(obj)
	m := cp.GetObjectMeta()
	uid := c.owner.GetObjectMeta().UID
	m.OwnerReferences = slices.DeleteFunc(m.OwnerReferences, func(r api.OwnerReference) bool { return r.UID == uid })
	if _, err := c.w.Update(ctx, cp); err != nil {
		switch api.ReasonOf(err) {
		case api.ReasonNotFound, api.ReasonInvalid:
			return nil // gone, or being deleted: nothing to release
		}
		return fmt.Errorf("release %s %s/%s: %w", c.res.Singular, m.Namespace, m.Name, err)
	}
	return nil
}
