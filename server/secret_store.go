package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// Secrets are encrypted at the store boundary (DESIGN.md "Secrets at rest"): the
// leader seals a Secret's data before it proposes the write, so the Raft log, the
// store, boltdb and snapshots hold only the envelope; every read path opens it again
// before answering. The FSM never sees a key.

// keyFetchWait bounds how long a read waits for a key this server does not hold yet.
const keyFetchWait = 2 * time.Second

// isSecret reports whether res is the Secret resource.
func isSecret(res *api.Resource) bool { return res != nil && res.Kind == "Secret" }

// sealedEnvelope returns a stored Secret's envelope, if it is in the sealed form.
func sealedEnvelope(sec *api.Secret) ([]byte, bool) {
	env, ok := sec.Data[sealedDataKey]
	return env, ok && len(sec.Data) == 1
}

// secretKeyUnavailable is the answer when a key is missing: retryable.
func secretKeyUnavailable(err error) *api.Error {
	e := api.NewError(api.ReasonServiceUnavailable, "secret data is not readable on this server yet (%v); retry shortly", err)
	e.Status.Details = &api.StatusDetails{RetryAfterSeconds: 1}
	return e
}

// sealObject returns the stored encoding of obj: plain itself for any kind but
// Secret; for a Secret, its encoding with data replaced by the envelope made with the
// cluster's active key. Only the leader calls it.
func (s *Server) sealObject(obj api.Object, plain []byte) ([]byte, error) {
	sec, ok := obj.(*api.Secret)
	if !ok {
		return plain, nil
	}
	id := s.activeKeyID()
	aead, held := s.keys.aead(id)
	if id == "" || !held {
		return nil, secretKeyUnavailable(errors.New("the leader has no active encryption key yet"))
	}
	env, err := sealWith(id, aead, sec.Namespace, sec.Name, sec.Data)
	if err != nil {
		return nil, api.NewError(api.ReasonInternalError, "encrypting secret data: %v", err)
	}
	stored := *sec
	stored.Data, stored.StringData = map[string][]byte{sealedDataKey: env}, nil
	b, err := api.Encode(&stored)
	if err != nil {
		return nil, api.NewError(api.ReasonInternalError, "encoding object: %v", err)
	}
	return b, nil
}

// sealEncoded seals an encoded object of resource res (an update's next version).
func (s *Server) sealEncoded(res *api.Resource, plain []byte) ([]byte, error) {
	if !isSecret(res) {
		return plain, nil
	}
	var sec api.Secret
	if err := json.Unmarshal(plain, &sec); err != nil {
		return nil, api.NewError(api.ReasonInternalError, "decoding secret: %v", err)
	}
	return s.sealObject(&sec, plain)
}

// openRecord returns rec as the API shows it: for a sealed Secret, a new record with
// the data decrypted (the stored record is shared and never changed); any other
// record as it is.
func (s *Server) openRecord(ctx context.Context, rec *raftfsm.Record) (*raftfsm.Record, error) {
	if rec == nil || !isSecret(rec.Resource) {
		return rec, nil
	}
	sec, ok := rec.Object.(*api.Secret)
	if !ok {
		return rec, nil
	}
	env, sealed := sealedEnvelope(sec)
	if !sealed {
		return rec, nil // written before encryption; the leader seals it soon
	}
	data, err := s.openEnvelope(ctx, sec.Namespace, sec.Name, env)
	if err != nil {
		return nil, err
	}
	open := *sec
	open.Data = data
	raw, err := api.Encode(&open)
	if err != nil {
		return nil, api.NewError(api.ReasonInternalError, "encoding object: %v", err)
	}
	return &raftfsm.Record{Resource: rec.Resource, Object: &open, Raw: raw, RV: rec.RV}, nil
}

// openRecords opens every record of a list (only Secrets pay anything).
func (s *Server) openRecords(ctx context.Context, res *api.Resource, recs []*raftfsm.Record) ([]*raftfsm.Record, error) {
	if !isSecret(res) {
		return recs, nil
	}
	out := make([]*raftfsm.Record, len(recs))
	for i, rec := range recs {
		open, err := s.openRecord(ctx, rec)
		if err != nil {
			return nil, err
		}
		out[i] = open
	}
	return out, nil
}

// servedRaw is the encoding a handler answers with for rec.
func (s *Server) servedRaw(ctx context.Context, rec *raftfsm.Record) ([]byte, error) {
	open, err := s.openRecord(ctx, rec)
	if err != nil {
		return nil, err
	}
	return open.Raw, nil
}

// openSecretInput decrypts, in place, a Secret that arrives in the sealed form: the
// server's own writers (the controllers, orphaning) update objects they read from the
// store. The envelope is bound to its Secret, so one copied from another fails.
func (s *Server) openSecretInput(ctx context.Context, obj api.Object) error {
	sec, ok := obj.(*api.Secret)
	if !ok {
		return nil
	}
	env, sealed := sealedEnvelope(sec)
	if !sealed {
		return nil
	}
	data, err := s.openEnvelope(ctx, sec.Namespace, sec.Name, env)
	if err != nil {
		return err
	}
	sec.Data = data
	return nil
}

// openEnvelope decrypts an envelope, fetching its key from the other servers first
// when this one does not hold it (a follower that missed a rotation).
func (s *Server) openEnvelope(ctx context.Context, namespace, name string, env []byte) (map[string][]byte, error) {
	id, ok := envelopeKeyID(env)
	if !ok {
		return nil, api.NewError(api.ReasonInternalError, "secrets %q: %v", name, errSealBroken)
	}
	aead, held := s.keys.aead(id)
	if !held {
		fctx, cancel := context.WithTimeout(ctx, keyFetchWait)
		s.fetchKeyring(fctx)
		cancel()
		if aead, held = s.keys.aead(id); !held {
			return nil, secretKeyUnavailable(errors.Join(errNoKey, errors.New("key "+id)))
		}
	}
	data, err := openWith(aead, env, namespace, name)
	if err != nil {
		// Never the data or the envelope in the message: only where it is.
		return nil, api.NewError(api.ReasonInternalError, "secrets %q in namespace %q: %v", name, namespace, err)
	}
	return data, nil
}

// answerOpenError answers a read whose Secret could not be opened here. A follower
// that lacks a key (it could not fetch it: no peer answered, or servers have no
// credentials yet) passes the request to the leader, which holds the active key.
func (s *Server) answerOpenError(w http.ResponseWriter, r *http.Request, err error) {
	if api.ReasonOf(err) == api.ReasonServiceUnavailable && s.passDenied(w, r) {
		return
	}
	writeError(w, err)
}
