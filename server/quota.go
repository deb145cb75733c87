package server

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
	"github.com/berth-dev/berth/server/controller"
)

// unknownOutcomeHold is how long a write whose proposal ended without a verdict
// (its request was cancelled while Raft had it) keeps counting against its quotas,
// unless the store shows it first: long enough for any proposal to apply or fail.
const unknownOutcomeHold = 30 * time.Second

// quotaLedger holds, on the leader, the quota usage of writes admitted but not yet
// in the store, so that two creates racing for a quota's last slot cannot both
// pass: checking a write (store plus ledger) and recording its claim happen under
// one lock, and a claim goes once the store holds its write (or the write failed).
// The store is the truth; a new leader starts with an empty ledger, as the writes
// in flight on the old one were applied or failed. The zero value is ready.
type quotaLedger struct {
	mu     sync.Mutex
	next   uint64
	claims map[uint64]*quotaClaim
}

// quotaClaim is the usage one write adds to its namespace.
type quotaClaim struct {
	namespace string
	obj       api.Object // what the write stores, for the quotas' scopes
	uid       string
	// baseRV is the version an update replaces (0 for a create): the claim has
	// landed once the store holds the uid at another version.
	baseRV uint64
	usage  api.ResourceList // increases only
	// expires, once set, is when a claim whose write's outcome is unknown goes.
	expires time.Time
}

// landed reports whether lists that saw seen (uid → resourceVersion) already
// count the claim's write.
func (c *quotaClaim) landed(seen map[string]uint64) bool {
	rv, ok := seen[c.uid]
	return ok && rv != c.baseRV
}

// admitQuota checks a create (old nil) or a spec update against the
// ResourceQuotas of the object's namespace, as Kubernetes' quota admission does:
// a pod that a quota capping cpu or memory counts must state them ("failed quota:
// q: must specify requests.cpu for: app"), and a write that would take a capped
// resource past its cap is refused naming the quota and the amounts ("exceeded
// quota: q, requested: pods=1, used: pods=2, limited: pods=2"). What it admits is
// claimed in the ledger until the write's proposal has returned (released through
// held), so that the check and the create are one decision on the leader.
func (s *Server) admitQuota(ctx context.Context, res *api.Resource, old *raftfsm.Record, obj api.Object, held *reservations) error {
	if !res.Namespaced {
		return nil
	}
	qres, ok := api.ResourceForKind("ResourceQuota")
	if !ok {
		return nil
	}
	m := obj.GetObjectMeta()
	quotas, _ := s.fsm.List(qres, m.Namespace)
	if len(quotas) == 0 {
		return nil
	}
	claim := &quotaClaim{namespace: m.Namespace, obj: obj, uid: m.UID, usage: api.QuotaUsage(obj)}
	if old != nil {
		claim.baseRV = old.RV
		claim.usage = increases(claim.usage, api.QuotaUsage(old.Object))
	}
	if len(claim.usage) == 0 {
		return nil // an update that grows nothing (a create always counts itself)
	}
	pod, isPod := obj.(*api.Pod)
	l := &s.quotas
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	for _, rec := range quotas {
		q, ok := rec.Object.(*api.ResourceQuota)
		if !ok || !api.QuotaMatches(q, obj) {
			continue
		}
		if isPod && old == nil {
			if missing := api.QuotaMissing(q, pod); len(missing) > 0 {
				return forbidden(res, m.Name, "failed quota: %s: must specify %s", q.Name, strings.Join(missing, "; "))
			}
		}
		if err := l.check(s.fsm, q, claim, now); err != nil {
			return forbidden(res, m.Name, "%v", err)
		}
	}
	if l.claims == nil {
		l.claims = map[uint64]*quotaClaim{}
	}
	l.next++
	id := l.next
	l.claims[id] = claim
	held.add(func() { l.release(ctx, s.fsm, res, id) })
	return nil
}

// check refuses the claim when it takes a resource q caps past the cap, counting
// the store and the other claims in flight. Called with l.mu held.
func (l *quotaLedger) check(store controller.Store, q *api.ResourceQuota, claim *quotaClaim, now time.Time) error {
	var asked []string
	for _, k := range sortedResourceNames(q.Spec.Hard) {
		if v, ok := claim.usage[k]; ok && v.Sign() > 0 {
			asked = append(asked, k)
		}
	}
	if len(asked) == 0 {
		return nil
	}
	used, seen := controller.QuotaUsage(store, q)
	for id, c := range l.claims {
		switch {
		case !c.expires.IsZero() && now.After(c.expires), c.landed(seen) && !c.expires.IsZero():
			delete(l.claims, id) // released, and now counted by the store or given up
		case c.namespace != q.Namespace || c.landed(seen) || !api.QuotaMatches(q, c.obj):
		default:
			for _, k := range asked {
				if v, ok := c.usage[k]; ok {
					used[k] = used[k].Add(v)
				}
			}
		}
	}
	var exceeded []string
	for _, k := range asked {
		if used[k].Add(claim.usage[k]).Cmp(q.Spec.Hard[k]) > 0 {
			exceeded = append(exceeded, k)
		}
	}
	if len(exceeded) == 0 {
		return nil
	}
	pick := func(from api.ResourceList) string {
		parts := make([]string, len(exceeded))
		for i, k := range exceeded {
			parts[i] = k + "=" + from[k].String()
		}
		return strings.Join(parts, ",")
	}
	return fmt.Errorf("exceeded quota: %s, requested: %s, used: %s, limited: %s",
		q.Name, pick(claim.usage), pick(used), pick(q.Spec.Hard))
}

// release drops a claim once its write's proposal has returned. A write whose
// request was cancelled may still apply: its claim stays until the store shows it
// or unknownOutcomeHold passes.
func (l *quotaLedger) release(ctx context.Context, store controller.Store, res *api.Resource, id uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.claims[id]
	if !ok {
		return
	}
	if ctx.Err() != nil {
		if rec, ok := store.GetByUID(res, c.uid); !ok || rec.RV == c.baseRV {
			c.expires = time.Now().Add(unknownOutcomeHold)
			return
		}
	}
	delete(l.claims, id)
}

// increases keeps the resources that grow from before to after, by how much.
func increases(after, before api.ResourceList) api.ResourceList {
	out := api.ResourceList{}
	for k, v := range after {
		if d := v.Sub(before[k]); d.Sign() > 0 {
			out[k] = d
		}
	}
	return out
}

// pending is how many claims the ledger holds.
func (l *quotaLedger) pending() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.claims)
}
