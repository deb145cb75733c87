package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/berth-dev/berth/api"
)

// activeKeyAnnotation on the berth-system Namespace names the key new Secret data is
// encrypted with. The store holds the id only, never key material: it is how every
// server learns which key the cluster uses, and that a key exists at all (a new
// leader that sees it never makes a keyring of its own; it fetches the keys).
const activeKeyAnnotation = "secrets.berth.io/active-key"

// KeyringPath is the internal endpoint servers fetch each other's keys from.
const KeyringPath = "/v1/internal/keyring"

// keyringPoll is how often a server checks that it holds the active key.
const keyringPoll = time.Second

// keyFetcher rate-limits fetches from peers: a burst of reads of Secrets under a key
// this server lacks makes one round of requests, not one per Secret.
type keyFetcher struct {
	mu   sync.Mutex
	last time.Time

	once   sync.Once
	client *http.Client
}

// activeKeyID reads the active key id from the local store ("" before the first
// leader recorded one).
func (s *Server) activeKeyID() string {
	rec, ok := s.fsm.Get(mustResource("Namespace"), "", "berth-system")
	if !ok {
		return ""
	}
	return rec.Object.GetObjectMeta().Annotations[activeKeyAnnotation]
}

// ensureKeyring makes sure the leader holds the active key, and that there is one:
// the first leader of a cluster makes the keyring (unless another server made one
// before it, which it adopts) and records the active id in the store.
func (s *Server) ensureKeyring(ctx context.Context) error {
	if active := s.activeKeyID(); active != "" {
		if !s.keys.has(active) {
			s.fetchKeyring(ctx)
		}
		if !s.keys.has(active) {
			return fmt.Errorf("active secret key %s: not held here and no other server gave it", active)
		}
		return nil
	}
	key, ok := s.keys.newest()
	if !ok {
		s.fetchKeyring(ctx) // an earlier leader may have made one and died before recording it
		key, ok = s.keys.newest()
	}
	if !ok {
		var err error
		if key, err = newKeyringKey(time.Now()); err != nil {
			return err
		}
		if _, err := s.keys.add(key); err != nil {
			return err
		}
		s.log.Info("made the secret encryption keyring", "key", key.ID)
	}
	return s.setActiveKey(ctx, key.ID)
}

// setActiveKey records id as the active key on berth-system.
func (s *Server) setActiveKey(ctx context.Context, id string) error {
	nsRes := mustResource("Namespace")
	rec, ok := s.fsm.Get(nsRes, "", "berth-system")
	if !ok {
		return errors.New("namespace berth-system is missing")
	}
	ns := api.DeepCopy(rec.Object)
	m := ns.GetObjectMeta()
	if m.Annotations[activeKeyAnnotation] == id {
		return nil
	}
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	m.Annotations[activeKeyAnnotation] = id
	m.ResourceVersion = ""
	_, err := s.updateObject(ctx, target{res: nsRes, name: "berth-system"}, ns)
	return err
}

// startKeyring runs when this server becomes leader, before it serves: one attempt
// at ensureKeyring (a new cluster's first leader makes its keyring here, so the first
// Secret write finds it), then keyringLeaderLoop in the background, in wg.
func (s *Server) startKeyring(ctx context.Context, wg *sync.WaitGroup) {
	if err := s.ensureKeyring(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("secret keyring not ready; Secret writes wait for it", "err", err)
	}
	wg.Go(func() { s.keyringLeaderLoop(ctx) })
}

// keyringLeaderLoop runs while this server leads: it retries ensureKeyring until it
// succeeds, then seals every Secret not sealed with the active key (left by a rotation
// a previous leader did not finish, or written before encryption existed).
func (s *Server) keyringLeaderLoop(ctx context.Context) {
	t := time.NewTicker(keyringPoll)
	defer t.Stop()
	for {
		err := s.ensureKeyring(ctx)
		if err == nil {
			break
		}
		s.log.Warn("secret keyring not ready", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
	if n, err := s.resealStale(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("re-encrypting secrets", "err", err, "done", n)
	} else if n > 0 {
		s.log.Info("re-encrypted secrets with the active key", "count", n)
	}
}

// keyringFollowLoop fetches the active key when this server does not hold it (a
// follower after a rotation, a server that joined later).
func (s *Server) keyringFollowLoop(ctx context.Context) {
	t := time.NewTicker(keyringPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if active := s.activeKeyID(); active != "" && !s.keys.has(active) {
			fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			s.fetchKeyring(fctx)
			cancel()
		}
	}
}

// fetchKeyring asks every other alive server for its keys and keeps them all.
func (s *Server) fetchKeyring(ctx context.Context) {
	s.keyFetch.mu.Lock()
	defer s.keyFetch.mu.Unlock()
	if time.Since(s.keyFetch.last) < 500*time.Millisecond {
		return
	}
	defer func() { s.keyFetch.last = time.Now() }()
	for _, m := range s.aliveServers() {
		if m.Meta.ID == s.cfg.Name || m.Meta.HTTPAddr == "" {
			continue
		}
		doc, err := s.fetchKeyringFrom(ctx, m.Meta.HTTPAddr)
		if err != nil {
			s.log.Debug("fetching the secret keyring", "from", m.Meta.ID, "err", err)
			continue
		}
		if n, err := s.keys.add(doc.Keys...); err != nil {
			s.log.Warn("keeping secret keys fetched from a peer", "from", m.Meta.ID, "err", err)
		} else if n > 0 {
			s.log.Info("fetched secret encryption keys", "from", m.Meta.ID, "new", n)
		}
	}
}

// fetchKeyringFrom gets one server's keyring, over the same scheme and with the same
// credentials (this server's certificate, group system:servers) as forwarding.
func (s *Server) fetchKeyringFrom(ctx context.Context, addr string) (*keyringDoc, error) {
	s.keyFetch.once.Do(func() {
		s.keyFetch.client = &http.Client{Timeout: 2 * time.Second,
			Transport: &http.Transport{TLSClientConfig: s.peerTLS(), IdleConnTimeout: 30 * time.Second}}
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.apiScheme()+"://"+addr+KeyringPath, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set(forwardedHeader, s.cfg.Name) // answered there, never passed on
	resp, err := s.keyFetch.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", addr, resp.Status)
	}
	var doc keyringDoc
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", addr, err)
	}
	return &doc, nil
}

// handleKeyring answers another server's fetch. With Auth on, only servers (group
// system:servers) may ask; with Auth off every caller is the administrator and gets
// the keys — insecure, like everything else in that mode.
func (s *Server) handleKeyring(w http.ResponseWriter, r *http.Request) {
	u := userFrom(r.Context())
	if s.cfg.Auth && !slices.Contains(u.Groups, groupServers) {
		writeError(w, api.NewError(api.ReasonForbidden, "%s is for servers only (group %s)", KeyringPath, groupServers))
		return
	}
	keys := s.keys.list()
	if len(keys) == 0 {
		writeError(w, api.NewError(api.ReasonNotFound, "this server holds no secret keys"))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, keyringDoc{Keys: keys})
}
