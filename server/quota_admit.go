package server

import (
	"context"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// admitCreateResources is the resource admission of a create, after validation and
// just before the proposal: a new quota's status is the controller's to fill; a
// pod must fit its namespace's LimitRanges; and the object must fit the
// namespace's ResourceQuotas, whose claim held releases once the proposal has
// returned.
func (s *Server) admitCreateResources(ctx context.Context, res *api.Resource, obj api.Object, held *reservations) error {
	if q, ok := obj.(*api.ResourceQuota); ok {
		q.Status = api.ResourceQuotaStatus{}
	}
	if err := s.checkLimitRanges(obj); err != nil {
		return err
	}
	return s.admitQuota(ctx, res, nil, obj, held)
}

// admitQuotaUpdate checks a spec update against the namespace's quotas: only what
// grows counts (a Service turned NodePort takes services.nodeports). It runs before
// the stored status is carried into next, so a pod is judged with its stored status:
// a finished pod's label change, sent without status, does not count it again.
func (s *Server) admitQuotaUpdate(res *api.Resource, cur *raftfsm.Record, next api.Object, held *reservations) error {
	if p, ok := next.(*api.Pod); ok {
		if old, ok := cur.Object.(*api.Pod); ok {
			judged := *p // shallow: read only
			judged.Status = old.Status
			next = &judged
		}
	}
	return s.admitQuota(context.Background(), res, cur, next, held)
}
