package server

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// defaultPodGracePeriod is Kubernetes' default terminationGracePeriodSeconds, used when
// neither the DELETE nor the pod's spec names one.
const defaultPodGracePeriod int64 = 30

// gracePeriodOf returns the grace period a DELETE asks for, nil when it names none.
// The query parameter (what kubectl-style clients send) wins over the body's field.
func gracePeriodOf(r *http.Request, opts *deleteOptions) (*int64, error) {
	grace := opts.GracePeriodSeconds
	if v := r.URL.Query().Get("gracePeriodSeconds"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, api.NewError(api.ReasonBadRequest, "gracePeriodSeconds: invalid value %q: must be a number", v)
		}
		grace = &n
	}
	if grace != nil && *grace < 0 {
		return nil, api.NewError(api.ReasonBadRequest, "gracePeriodSeconds: invalid value %d: must be greater than or equal to 0", *grace)
	}
	return grace, nil
}

// deletePod deletes a pod gracefully: a pod bound to a node is only marked
// (deletionTimestamp, deletionGracePeriodSeconds) so that its node's agent can stop the
// containers and then confirm with a zero grace period; an unbound pod, or a DELETE
// with a zero grace period, removes it at once. Marking is an update, so watchers see
// MODIFIED; marking an already terminating pod again changes nothing and costs no Raft
// entry. cmd is the immediate delete with the request's preconditions.
func (s *Server) deletePod(ctx context.Context, t target, cmd raftfsm.Command, grace *int64) (*raftfsm.Record, error) {
	for attempt := 0; ; attempt++ {
		cur, ok, err := s.getVerified(ctx, t.res, t.namespace, t.name, false)
		if err != nil || !ok {
			return nil, cmp.Or(err, error(notFound(t.res, t.name)))
		}
		pod, ok := cur.Object.(*api.Pod)
		if !ok {
			return nil, api.NewError(api.ReasonInternalError, "pods %q: stored object is a %T", t.name, cur.Object)
		}
		if cmd.UID != "" && cmd.UID != pod.UID {
			return nil, api.NewError(api.ReasonConflict, "pods %q: precondition failed: uid %s does not match the stored object's", t.name, cmd.UID)
		}
		if cmd.ResourceVersion != 0 && cmd.ResourceVersion != cur.RV {
			return nil, conflict(t.res, t.name)
		}
		period := podGracePeriod(pod, grace)
		switch {
		case pod.DeletionTimestamp != nil && (grace == nil || *grace != 0):
			return cur, nil // already terminating: only a zero grace period ends it early
		case period == 0 || pod.Spec.NodeName == "":
			return s.apply(ctx, cmd)
		}
		next := api.DeepCopy(pod).(*api.Pod)
		next.DeletionTimestamp = api.NewTime(time.Now())
		next.DeletionGracePeriodSeconds = &period
		next.ResourceVersion = strconv.FormatUint(cur.RV, 10)
		body, err := encodeChecked(next)
		if err != nil {
			return nil, err
		}
		rec, err := s.apply(ctx, raftfsm.Command{
			Type: raftfsm.CmdUpdate, Kind: t.res.Kind, Namespace: t.namespace, Name: t.name,
			ResourceVersion: cur.RV, UID: pod.UID, Object: body,
		})
		if errors.Is(err, raftfsm.ErrConflict) && cmd.ResourceVersion == 0 && attempt < updateRetries {
			continue // a status write won the race: re-read and mark the newer version
		}
		return rec, err
	}
}

// podGracePeriod resolves a pod's grace period: the DELETE's, else the spec's, else 30 s.
func podGracePeriod(pod *api.Pod, grace *int64) int64 {
	switch {
	case grace != nil:
		return *grace
	case pod.Spec.TerminationGracePeriodSeconds != nil && *pod.Spec.TerminationGracePeriodSeconds >= 0:
		return *pod.Spec.TerminationGracePeriodSeconds
	}
	return defaultPodGracePeriod
}
