package server

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// The operator endpoints of the Secret keyring (admin only: no built-in role grants
// them).
const (
	KeyringListPath   = "/v1/operator/keyring"
	KeyringRotatePath = "/v1/operator/keyring/rotate"
)

// resealWorkers bounds the re-encryption writes in flight; the proposer batches them.
const resealWorkers = 16

// KeyringStatus is the answer of the keyring endpoints: key ids and use, never keys.
type KeyringStatus struct {
	Active string          `json:"active"`
	Keys   []KeyringKeyUse `json:"keys"`
	// Unsealed counts Secrets stored in plaintext (written before encryption; the
	// leader seals them).
	Unsealed int `json:"unsealed,omitempty"`
	// Resealed is how many Secrets a rotation re-encrypted.
	Resealed int `json:"resealed,omitempty"`
}

// KeyringKeyUse is one key and how many Secrets it encrypts.
type KeyringKeyUse struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	Secrets int       `json:"secrets"`
}

// keyringStatus counts the Secrets of the local store per key.
func (s *Server) keyringStatus() KeyringStatus {
	st := KeyringStatus{Active: s.activeKeyID()}
	use := map[string]int{}
	recs, _ := s.fsm.List(mustResource("Secret"), "")
	for _, rec := range recs {
		env, sealed := sealedEnvelope(rec.Object.(*api.Secret))
		if !sealed {
			st.Unsealed++
			continue
		}
		id, _ := envelopeKeyID(env)
		use[id]++
	}
	for _, k := range s.keys.list() {
		st.Keys = append(st.Keys, KeyringKeyUse{ID: k.ID, Created: k.Created, Secrets: use[k.ID]})
		delete(use, k.ID)
	}
	for id, n := range use { // keys this server does not hold
		st.Keys = append(st.Keys, KeyringKeyUse{ID: id, Secrets: n})
	}
	return st
}

func (s *Server) handleKeyringList(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.keyringStatus())
}

// handleKeyringRotate makes a new key, makes it active and re-encrypts every Secret
// with it, on the leader. Old keys stay: old Raft log entries and snapshots still
// need them until they are compacted away.
func (s *Server) handleKeyringRotate(w http.ResponseWriter, r *http.Request) {
	if !s.onLeader(w, r) {
		return
	}
	ctx := r.Context()
	key, err := newKeyringKey(time.Now())
	if err == nil {
		_, err = s.keys.add(key)
	}
	if err != nil {
		writeError(w, api.NewError(api.ReasonInternalError, "making a key: %v", err))
		return
	}
	// Followers fetch the new key when they see it recorded (keyringFollowLoop), or
	// at the first read that needs it.
	if err := s.setActiveKey(ctx, key.ID); err != nil {
		writeError(w, err)
		return
	}
	s.log.Info("rotated the secret encryption key", "active", key.ID)
	n, err := s.resealStale(ctx)
	if err != nil {
		writeError(w, err)
		return
	}
	st := s.keyringStatus()
	st.Resealed = n
	writeJSON(w, http.StatusOK, st)
}

// resealStale rewrites every Secret not sealed with the active key through a
// resourceVersion-conditional update; one that changed meanwhile is read again (its
// writer sealed it with whatever key was active then).
func (s *Server) resealStale(ctx context.Context) (int, error) {
	var total int
	for pass := 0; pass < 5; pass++ {
		active := s.activeKeyID()
		var stale []*raftfsm.Record
		recs, _ := s.fsm.List(mustResource("Secret"), "")
		for _, rec := range recs {
			env, sealed := sealedEnvelope(rec.Object.(*api.Secret))
			if id, _ := envelopeKeyID(env); !sealed || id != active {
				stale = append(stale, rec)
			}
		}
		if len(stale) == 0 {
			return total, nil
		}
		n, conflicts, err := s.resealRecords(ctx, stale)
		total += n
		if err != nil {
			return total, err
		}
		if conflicts == 0 {
			return total, nil
		}
	}
	return total, errors.New("secrets kept changing while they were re-encrypted; the next leader or rotation finishes")
}

// resealRecords re-encrypts recs with a few writes in flight.
func (s *Server) resealRecords(ctx context.Context, recs []*raftfsm.Record) (done, conflicts int, err error) {
	var nDone, nConflicts atomic.Int64
	var firstErr error
	var mu sync.Mutex
	work := make(chan *raftfsm.Record)
	var wg sync.WaitGroup
	for range min(resealWorkers, len(recs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rec := range work {
				err := s.resealOne(ctx, rec)
				switch {
				case err == nil:
					nDone.Add(1)
				case errors.Is(err, raftfsm.ErrConflict), errors.Is(err, raftfsm.ErrNotFound):
					nConflicts.Add(1)
				default:
					mu.Lock()
					firstErr = errors.Join(firstErr, err)
					mu.Unlock()
				}
			}
		}()
	}
	for _, rec := range recs {
		if ctx.Err() != nil {
			break
		}
		work <- rec
	}
	close(work)
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return int(nDone.Load()), int(nConflicts.Load()), firstErr
}

// resealOne rewrites one Secret, conditional on its resourceVersion and uid.
func (s *Server) resealOne(ctx context.Context, rec *raftfsm.Record) error {
	open, err := s.openRecord(ctx, rec)
	if err != nil {
		return err
	}
	body, err := s.sealObject(open.Object, nil)
	if err != nil {
		return err
	}
	m := open.Object.GetObjectMeta()
	_, err = s.apply(ctx, raftfsm.Command{
		Type: raftfsm.CmdUpdate, Kind: rec.Resource.Kind, Namespace: m.Namespace, Name: m.Name,
		ResourceVersion: rec.RV, UID: m.UID, Object: body,
	})
	return err
}
