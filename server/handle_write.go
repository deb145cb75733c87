package server

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// updateRetries bounds how often an update without a resourceVersion is re-read and
// retried after losing a race with another writer (a user who gave a resourceVersion
// gets the conflict instead).
const updateRetries = 8

// readObject reads and strictly decodes the request's object and sets the warnings
// for the fields Berth ignores; on failure it has answered already.
func (s *Server) readObject(w http.ResponseWriter, r *http.Request, t target) (api.Object, bool) {
	body, err := s.readBody(w, r)
	if err == nil {
		var obj api.Object
		if obj, err = decodeFor(t, body); err == nil && len(body) > maxObjectBytes/8 {
			// Too large is told before invalid: a 3 MiB ConfigMap is 413, not "data: Too
			// long". Small bodies cannot encode past the limit (JSON escaping expands a
			// byte to at most six), so they skip the extra encoding.
			_, err = encodeChecked(obj)
		}
		if err == nil {
			setWarnings(w, obj)
			return obj, true
		}
	}
	writeError(w, err)
	return nil, false
}

func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request, t target) {
	obj, ok := s.readObject(w, r, t)
	if !ok {
		return
	}
	rec, err := s.createObject(r.Context(), t.res, obj)
	if err != nil {
		writeError(w, err)
		return
	}
	writeRaw(w, http.StatusCreated, rec.Raw)
}

// createObject defaults, validates and stamps obj, then proposes its creation.
func (s *Server) createObject(ctx context.Context, res *api.Resource, obj api.Object) (*raftfsm.Record, error) {
	stampNew(res, obj, time.Now())
	api.Default(obj)
	s.applyLimitRangeDefaults(obj)
	if err := s.admitPriority(ctx, obj); err != nil {
		return nil, err
	}
	if err := api.Validate(obj); err != nil {
		return nil, err
	}
	m := obj.GetObjectMeta()
	if res.Namespaced {
		nsRes, _ := api.ResourceForKind("Namespace")
		nsRec, ok, err := s.getVerified(ctx, nsRes, "", m.Namespace, false)
		if err != nil || !ok {
			return nil, cmp.Or(err, error(notFound(nsRes, m.Namespace)))
		}
		if err := refuseTerminating(res, m.Name, nsRec); err != nil {
			return nil, err
		}
	}
	if _, ok, err := s.getVerified(ctx, res, m.Namespace, m.Name, true); err != nil || ok {
		return nil, cmp.Or(err, error(api.NewError(api.ReasonAlreadyExists, "%s %q already exists", res.Plural, m.Name)))
	}
	if n, ok := obj.(*api.Node); ok {
		release, err := s.assignPodCIDR(n)
		if err != nil {
			return nil, err
		}
		defer release()
	}
	var held reservations // a Service's cluster IP and node ports
	defer held.release()
	if err := s.admitServiceWrite(nil, obj, &held); err != nil {
		return nil, err
	}
	if err := s.admitCreateResources(ctx, res, obj, &held); err != nil {
		return nil, err
	}
	body, err := encodeChecked(obj)
	if err == nil {
		body, err = s.sealObject(obj, body) // a Secret's data is stored encrypted
	}
	if err != nil {
		return nil, err
	}
	rec, err := s.apply(ctx, raftfsm.Command{
		Type: raftfsm.CmdCreate, Kind: res.Kind, Namespace: m.Namespace, Name: m.Name, Object: body,
	})
	if err != nil {
		return nil, err
	}
	return s.openRecord(ctx, rec)
}

// getVerified reads an object from the leader's store for a write's fast failure path.
// A hit that would fail the write (the object exists for a create: failIfFound; it is
// missing for an update or delete) is confirmed behind a read barrier before it is
// answered, so a deposed leader that does not know it yet never answers from stale
// state; the common path costs no extra Raft round. When the barrier fails (leadership
// lost) the error says so instead of the unconfirmed answer.
func (s *Server) getVerified(ctx context.Context, res *api.Resource, ns, name string, failIfFound bool) (*raftfsm.Record, bool, error) {
	rec, ok := s.fsm.Get(res, ns, name)
	if ok != failIfFound {
		return rec, ok, nil
	}
	if err := s.barrier.wait(ctx); err != nil {
		return nil, false, err
	}
	rec, ok = s.fsm.Get(res, ns, name)
	return rec, ok, nil
}

// apply proposes one command and returns the stored record or the store's verdict.
func (s *Server) apply(ctx context.Context, cmd raftfsm.Command) (*raftfsm.Record, error) {
	res, err := s.prop.propose(ctx, cmd)
	if err != nil {
		return nil, err
	}
	if res.Err != nil {
		return nil, res.Err
	}
	return res.Record, nil
}

func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request, t target) {
	obj, ok := s.readObject(w, r, t)
	if !ok {
		return
	}
	rec, err := s.updateObject(r.Context(), t, obj)
	if err != nil {
		writeError(w, err)
		return
	}
	writeRaw(w, http.StatusOK, rec.Raw)
}

// updateObject replaces the object's metadata and spec (or, for /status, its status).
// An update that changes nothing is answered with the stored object and no Raft entry,
// so applying the same manifest twice leaves the resourceVersion alone.
func (s *Server) updateObject(ctx context.Context, t target, obj api.Object) (*raftfsm.Record, error) {
	m := obj.GetObjectMeta()
	var wantRV uint64
	if m.ResourceVersion != "" {
		v, err := strconv.ParseUint(m.ResourceVersion, 10, 64)
		if err != nil {
			return nil, api.NewError(api.ReasonBadRequest, "metadata.resourceVersion: invalid value %q: must be a number", m.ResourceVersion)
		}
		wantRV = v
	}
	if err := s.openSecretInput(ctx, obj); err != nil { // the server's own writers
		return nil, err
	}
	api.Default(obj)
	if err := api.Validate(obj); err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		cur, ok, err := s.getVerified(ctx, t.res, t.namespace, t.name, false)
		if err != nil || !ok {
			return nil, cmp.Or(err, error(notFound(t.res, t.name)))
		}
		if wantRV != 0 && wantRV != cur.RV {
			return nil, conflict(t.res, t.name)
		}
		if m.UID != "" && m.UID != cur.Object.GetObjectMeta().UID {
			return nil, api.NewError(api.ReasonConflict, "%s %q: precondition failed: uid %s does not match the stored object's", t.res.Plural, t.name, m.UID)
		}
		if cur, err = s.openRecord(ctx, cur); err != nil { // compared and validated in the clear
			return nil, err
		}
		var held reservations // released once the proposal has returned
		next, err := s.nextVersion(t, cur, obj, &held)
		if err == nil && next != nil {
			next, err = s.sealEncoded(t.res, next)
		}
		if err != nil {
			held.release()
			return nil, err
		}
		if next == nil {
			held.release()
			return cur, nil // nothing changes
		}
		ctype := raftfsm.CmdUpdate
		if t.status {
			ctype = raftfsm.CmdUpdateStatus
		}
		rec, err := s.apply(ctx, raftfsm.Command{
			Type: ctype, Kind: t.res.Kind, Namespace: t.namespace, Name: t.name,
			ResourceVersion: cur.RV, Object: next,
		})
		held.release()
		if errors.Is(err, raftfsm.ErrConflict) && wantRV == 0 && attempt < updateRetries {
			continue // lost a race with another writer: re-read and try again
		}
		if err != nil {
			return nil, err
		}
		return s.openRecord(ctx, rec)
	}
}

// nextVersion builds the object an update stores, or nil when it equals the stored one.
func (s *Server) nextVersion(t target, cur *raftfsm.Record, in api.Object, held *reservations) ([]byte, error) {
	old := cur.Object
	var next api.Object
	if t.status {
		next = api.DeepCopy(old)
		copyStatus(next, in)
	} else {
		next = api.DeepCopy(in)
		om, nm := old.GetObjectMeta(), next.GetObjectMeta()
		nm.UID, nm.CreationTimestamp, nm.DeletionTimestamp = om.UID, om.CreationTimestamp, om.DeletionTimestamp
		nm.DeletionGracePeriodSeconds = om.DeletionGracePeriodSeconds
		keepNodePodCIDR(old, next)
		if err := s.admitServiceWrite(old, next, held); err != nil {
			return nil, err
		}
		if err := s.admitQuotaUpdate(t.res, cur, next, held); err != nil {
			return nil, err
		}
		if err := s.admitUpdate(old, next); err != nil {
			return nil, err
		}
		nm.GenerateName = om.GenerateName
		copyStatus(next, old)
		nm.Generation = om.Generation
		if specChanged(old, next) {
			nm.Generation++
		}
		if err := api.ValidateUpdate(old, next); err != nil {
			return nil, err
		}
	}
	tm := next.GetTypeMeta()
	tm.APIVersion, tm.Kind = t.res.APIVersion(), t.res.Kind
	next.GetObjectMeta().ResourceVersion = strconv.FormatUint(cur.RV, 10)
	b, err := encodeChecked(next)
	if err != nil {
		return nil, err
	}
	if string(b) == string(cur.Raw) {
		return nil, nil
	}
	return b, nil
}

func conflict(res *api.Resource, name string) *api.Error {
	return api.NewError(api.ReasonConflict,
		"Operation cannot be fulfilled on %s %q: the object has been modified; please apply your changes to the latest version and try again",
		res.Plural, name)
}

// deleteOptions is the body a DELETE may carry (Kubernetes' DeleteOptions).
type deleteOptions struct {
	Kind              string `json:"kind,omitempty"`
	APIVersion        string `json:"apiVersion,omitempty"`
	PropagationPolicy string `json:"propagationPolicy,omitempty"`
	Preconditions     *struct {
		UID             string `json:"uid,omitempty"`
		ResourceVersion string `json:"resourceVersion,omitempty"`
	} `json:"preconditions,omitempty"`
	GracePeriodSeconds *int64   `json:"gracePeriodSeconds,omitempty"`
	DryRun             []string `json:"dryRun,omitempty"`
	// OrphanDependents is the legacy form of propagationPolicy (true: Orphan).
	OrphanDependents *bool `json:"orphanDependents,omitempty"`
}

func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request, t target) {
	var opts deleteOptions
	if r.ContentLength != 0 {
		body, err := s.readBody(w, r)
		if err == nil {
			err = json.Unmarshal(body, &opts)
		}
		if err != nil {
			writeError(w, api.NewError(api.ReasonBadRequest, "invalid DeleteOptions: %v", err))
			return
		}
	}
	cmd := raftfsm.Command{Type: raftfsm.CmdDelete, Kind: t.res.Kind, Namespace: t.namespace, Name: t.name}
	if p := opts.Preconditions; p != nil {
		cmd.UID = p.UID
		if p.ResourceVersion != "" {
			v, err := strconv.ParseUint(p.ResourceVersion, 10, 64)
			if err != nil {
				writeError(w, api.NewError(api.ReasonBadRequest, "preconditions.resourceVersion: invalid value %q", p.ResourceVersion))
				return
			}
			cmd.ResourceVersion = v
		}
	}
	if t.res.Kind == "Namespace" && slices.Contains(builtinNamespaces, t.name) {
		writeError(w, api.NewError(api.ReasonForbidden, "namespaces %q is forbidden: this namespace may not be deleted", t.name))
		return
	}
	grace, err := gracePeriodOf(r, &opts)
	if err != nil {
		writeError(w, err)
		return
	}
	policy, err := propagationOf(r, &opts)
	if err != nil {
		writeError(w, err)
		return
	}
	rec, err := s.deleteWithPolicy(r.Context(), t, cmd, grace, policy)
	if err == nil {
		rec, err = s.openRecord(r.Context(), rec)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeRaw(w, http.StatusOK, rec.Raw)
}

// deleteObject deletes what t names: gracefully for a pod (deletePod), at once for
// anything else. cmd carries the preconditions. The HTTP API and the controllers'
// Writer both come through here.
func (s *Server) deleteObject(ctx context.Context, t target, cmd raftfsm.Command, grace *int64) (*raftfsm.Record, error) {
	if _, ok, err := s.getVerified(ctx, t.res, t.namespace, t.name, false); err != nil || !ok {
		return nil, cmp.Or(err, error(notFound(t.res, t.name)))
	}
	switch t.res.Kind {
	case "Pod":
		return s.deletePod(ctx, t, cmd, grace)
	case "Namespace":
		return s.deleteNamespace(ctx, t, cmd, grace)
	}
	return s.apply(ctx, cmd)
}
