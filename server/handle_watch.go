package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// bookmarkInterval is how often an idle watch that asked for bookmarks is told the
// current resourceVersion, so a reconnect resumes from near now instead of far back.
const bookmarkInterval = 5 * time.Second

// handleWatch streams changes as newline-delimited JSON events. Without a
// resourceVersion (or with "0") it first sends every current object as ADDED, as
// Kubernetes does; with one, it sends exactly the changes after it, or 410 Gone when
// that version is older than the server's window.
func (s *Server) handleWatch(w http.ResponseWriter, r *http.Request, t target, f *filter) {
	q := r.URL.Query()
	timeout, err := durationParam(r, "timeoutSeconds")
	if err != nil {
		writeError(w, api.NewError(api.ReasonBadRequest, "%v", err))
		return
	}
	var initial []*raftfsm.Record
	var from uint64
	switch rv := q.Get("resourceVersion"); rv {
	case "", "0":
		initial, from = s.fsm.List(t.res, t.namespace)
		if initial, err = s.openRecords(r.Context(), t.res, f.apply(initial)); err != nil {
			s.answerOpenError(w, r, err)
			return
		}
	default:
		from, err = strconv.ParseUint(rv, 10, 64)
		if err != nil {
			writeError(w, api.NewError(api.ReasonBadRequest, "resourceVersion: invalid value %q: must be a number", rv))
			return
		}
	}
	watcher, err := s.fsm.Watch(t.res, t.namespace, from)
	if err != nil {
		if errors.Is(err, raftfsm.ErrGone) {
			writeError(w, api.NewError(api.ReasonGone, "too old resource version: %d (%v)", from, err))
			return
		}
		writeError(w, err)
		return
	}
	defer watcher.Close()

	ctx := r.Context()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	out := &eventWriter{w: bufio.NewWriterSize(w, 32<<10), flusher: w.(http.Flusher)}
	for _, rec := range initial {
		out.event(string(raftfsm.Added), rec.Raw)
	}
	if err := out.flush(); err != nil {
		return
	}
	s.metrics.watchers.Inc()
	defer s.metrics.watchers.Dec()
	s.streamWatch(ctx, out, watcher, t.res, f, q.Get("allowWatchBookmarks") == "true")
}

// streamWatch sends events until the client leaves, the timeout passes or the
// watcher falls out of the window (then an ERROR event with 410).
func (s *Server) streamWatch(ctx context.Context, out *eventWriter, watcher *raftfsm.Watcher, res *api.Resource, f *filter, bookmarks bool) {
	for {
		wctx, cancel := ctx, context.CancelFunc(func() {})
		if bookmarks {
			wctx, cancel = context.WithTimeout(ctx, bookmarkInterval)
		}
		events, err := watcher.Next(wctx)
		cancel()
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return
		case errors.Is(err, context.DeadlineExceeded):
			out.event("BOOKMARK", bookmarkObject(res, watcher.RV()))
			if out.flush() != nil {
				return
			}
			continue
		default:
			e := toAPIError(err)
			if errors.Is(err, raftfsm.ErrGone) {
				e = api.NewError(api.ReasonGone, "the watch fell behind the server's event window; re-list and watch again: %v", err)
			}
			b, _ := json.Marshal(e.Status)
			out.event("ERROR", b)
			out.flush()
			return
		}
		for _, ev := range events {
			if !f.matches(ev.Record) {
				continue
			}
			raw, err := s.servedRaw(ctx, ev.Record)
			if err != nil { // a key this server cannot get: the client re-lists
				b, _ := json.Marshal(toAPIError(err).Status)
				out.event("ERROR", b)
				out.flush()
				return
			}
			out.event(string(ev.Type), raw)
		}
		if out.flush() != nil {
			return
		}
	}
}

func bookmarkObject(res *api.Resource, rv uint64) []byte {
	return []byte(`{"kind":"` + res.Kind + `","apiVersion":"` + res.APIVersion() +
		`","metadata":{"resourceVersion":"` + strconv.FormatUint(rv, 10) + `"}}`)
}

// eventWriter frames watch events without re-encoding the stored objects.
type eventWriter struct {
	w       *bufio.Writer
	flusher http.Flusher
	err     error
}

func (e *eventWriter) event(typ string, object []byte) {
	if e.err != nil {
		return
	}
	e.w.WriteString(`{"type":"`)
	e.w.WriteString(typ)
	e.w.WriteString(`","object":`)
	e.w.Write(object)
	_, e.err = e.w.WriteString("}\n")
}

func (e *eventWriter) flush() error {
	if e.err == nil {
		e.err = e.w.Flush()
	}
	if e.err == nil {
		e.flusher.Flush()
	}
	return e.err
}
