package server

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/gossip"
)

// The gossip keyring on a server: the keys are kept in DataDir (gossip.KeyFileName,
// and gossip.KeyringFileName once rotated), and `berth operator gossip keyring`
// changes them on every member through gossip.ChangeKeyring.

// setGossipKeys gives gc the keyring kept in DataDir and has every later change
// saved there. The first server of a secure cluster makes the key, which the join
// then hands to every other member; --insecure-dev gossips in the clear unless a key
// is already kept.
func (s *Server) setGossipKeys(gc *gossip.Config) error {
	keys, err := gossip.LoadKeys(s.cfg.DataDir)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if keys == nil && s.tls != nil {
		key, err := gossip.NewKey()
		if err != nil {
			return err
		}
		keys = [][]byte{key}
		if err := gossip.SaveKeys(s.cfg.DataDir, keys); err != nil {
			return fmt.Errorf("server: %w", err)
		}
		s.log.Info("made the gossip encryption key", "file", gossip.KeyFileName)
	}
	if keys == nil {
		return nil
	}
	gc.SecretKey, gc.Keys = keys[0], keys[1:]
	gc.OnKeyringChange = func(keys [][]byte) {
		if err := gossip.SaveKeys(s.cfg.DataDir, keys); err != nil {
			s.log.Error("saving the gossip keyring; a restart would use the old one", "err", err)
		}
	}
	return nil
}

// gossipKeyringRoutes registers the keyring endpoints. Both are non-resource paths,
// so RBAC leaves them to cluster admins (and the servers' own identity).
func (s *Server) gossipKeyringRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+api.GossipKeyringPath, s.handleGossipKeyring)
	mux.HandleFunc("POST "+api.GossipKeyringPath, s.handleGossipKeyringChange)
}

func (s *Server) handleGossipKeyring(w http.ResponseWriter, _ *http.Request) {
	out := api.GossipKeyring{Keys: []string{}}
	for _, k := range s.gossip.Keys() {
		out.Keys = append(out.Keys, base64.StdEncoding.EncodeToString(k))
	}
	writeJSON(w, http.StatusOK, out)
}

// handleGossipKeyringChange makes the change here and sends it to every other member.
func (s *Server) handleGossipKeyringChange(w http.ResponseWriter, r *http.Request) {
	var req api.GossipKeyringChange
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil {
		writeError(w, api.NewError(api.ReasonBadRequest, "keyring change: %v", err))
		return
	}
	key, err := base64.StdEncoding.DecodeString(req.Key)
	if err != nil {
		writeError(w, api.NewError(api.ReasonBadRequest, "keyring change: the key is not base64: %v", err))
		return
	}
	op := gossip.KeyOp(req.Op)
	switch op {
	case gossip.KeyInstall, gossip.KeyUse, gossip.KeyRemove:
	default:
		writeError(w, api.NewError(api.ReasonBadRequest, "keyring change: op must be install, use or remove, not %q", req.Op))
		return
	}
	report, err := s.gossip.ChangeKeyring(op, key)
	switch {
	case errors.Is(err, gossip.ErrNoEncryption):
		writeError(w, api.NewError(api.ReasonBadRequest, "gossip is not encrypted on this cluster (--insecure-dev): there is no keyring to change"))
		return
	case errors.Is(err, gossip.ErrBadKeyOp):
		writeError(w, api.NewError(api.ReasonBadRequest, "%s", err.Error()))
		return
	case err != nil:
		writeError(w, api.NewError(api.ReasonServiceUnavailable, "%s", err.Error()))
		return
	}
	s.log.Info("gossip keyring change sent", "op", op, "members", report.Members, "failed", len(report.Failed))
	writeJSON(w, http.StatusOK, api.GossipKeyringResult{Members: report.Members, Failed: report.Failed})
}
