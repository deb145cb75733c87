package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/pprof"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// routes builds the HTTP API: Kubernetes-style object paths plus Berth's own /v1
// endpoints for operators.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.handleObjects)
	mux.HandleFunc("/apis/", s.handleObjects)
	s.podStreamRoutes(mux)
	s.joinRoutes(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	mux.HandleFunc("GET /readyz", s.handleReadyz)
	mux.HandleFunc("GET /v1/status", s.handleStatus)
	mux.HandleFunc("GET /v1/members", s.handleMembers)
	mux.HandleFunc("GET /v1/operator/raft/peers", s.handlePeers)
	mux.HandleFunc("DELETE /v1/operator/raft/peers/{id}", s.handleRemovePeer)
	s.gossipKeyringRoutes(mux)
	mux.HandleFunc("GET /v1/snapshot", s.handleSnapshotSave)
	mux.HandleFunc("PUT /v1/snapshot", s.handleSnapshotRestore)
	mux.Handle("GET /metrics", s.metrics.handler())
	mux.HandleFunc("GET "+leaderAlivePath, s.handleLeaderAlive)
	mux.HandleFunc("POST "+api.SelfSubjectAccessReviewPath, s.handleSelfSubjectAccessReview)
	mux.HandleFunc("GET "+KeyringPath, s.handleKeyring)
	mux.HandleFunc("GET "+KeyringListPath, s.handleKeyringList)
	mux.HandleFunc("POST "+KeyringRotatePath, s.handleKeyringRotate)
	if s.cfg.EnableDebug {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return s.recoverer(s.withAuth(mux))
}

// recoverer turns a panic in a handler into a 500 instead of a dead connection; a panic
// is a bug, so it is logged with its stack.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic in handler", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				writeError(w, api.NewError(api.ReasonInternalError, "internal error: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the code a handler answered with, for metrics.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// writeJSON answers with a JSON body.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, api.NewError(api.ReasonInternalError, "encoding the answer: %v", err))
		return
	}
	writeRaw(w, code, b)
}

func writeRaw(w http.ResponseWriter, code int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(code)
	w.Write(b)
}

// writeError answers with a Kubernetes Status body and its code.
func writeError(w http.ResponseWriter, err error) {
	e := toAPIError(err)
	if e.Status.Code == http.StatusServiceUnavailable || e.Status.Code == http.StatusTooManyRequests {
		secs := 1
		if e.Status.Details != nil && e.Status.Details.RetryAfterSeconds > 0 {
			secs = e.Status.Details.RetryAfterSeconds
		}
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	writeJSON(w, e.Status.Code, e.Status)
}

// toAPIError translates the errors of the layers below into API errors, at the boundary.
func toAPIError(err error) *api.Error {
	var e *api.Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, raftfsm.ErrNotFound), errors.Is(err, raftfsm.ErrNamespaceNotFound):
		return api.NewError(api.ReasonNotFound, "%s", err.Error())
	case errors.Is(err, raftfsm.ErrAlreadyExists):
		return api.NewError(api.ReasonAlreadyExists, "%s", err.Error())
	case errors.Is(err, raftfsm.ErrConflict):
		return api.NewError(api.ReasonConflict, "%s", err.Error())
	case errors.Is(err, raftfsm.ErrGone):
		return api.NewError(api.ReasonGone, "%s", err.Error())
	case errors.Is(err, errNotApplied):
		e := api.NewError(api.ReasonServiceUnavailable, "no leader is available to accept the request, retry: %v", err)
		e.Status.Details = &api.StatusDetails{RetryAfterSeconds: 1}
		return e
	case errors.Is(err, errUnknownOutcome):
		return api.NewError(api.ReasonTimeout, "the request may or may not have been applied (leadership changed or it timed out): %v", err)
	default:
		return api.NewError(api.ReasonInternalError, "%v", err)
	}
}

// notFound is the Kubernetes wording for a missing object.
func notFound(res *api.Resource, name string) *api.Error {
	e := api.NewError(api.ReasonNotFound, "%s %q not found", res.Plural, name)
	e.Status.Details = &api.StatusDetails{Name: name, Kind: res.Plural}
	return e
}

// noLeader is the answer while no leader is known: retry shortly.
func noLeader() *api.Error {
	e := api.NewError(api.ReasonServiceUnavailable, "no leader is elected yet; retry shortly")
	e.Status.Details = &api.StatusDetails{RetryAfterSeconds: 1}
	return e
}

func durationParam(r *http.Request, name string) (time.Duration, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s must be a non-negative number of seconds, not %q", name, v)
	}
	return time.Duration(n) * time.Second, nil
}
