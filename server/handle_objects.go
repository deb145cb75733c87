package server

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

// handleObjects serves every Kubernetes-style object path.
func (s *Server) handleObjects(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w}
	t, perr := parsePath(r.URL.Path)
	q := r.URL.Query()
	verb := verbOf(r.Method, t, q.Get("watch") == "true")
	resource := "unknown"
	if perr == nil {
		resource = t.res.Plural
	}
	defer func() { s.metrics.observeRequest(verb, resource, rec.code, time.Since(start)) }()
	if perr != nil {
		writeError(rec, perr)
		return
	}
	if err := t.checkMethod(r.Method); err != nil {
		writeError(rec, err)
		return
	}
	if r.Method != http.MethodGet || q.Get("consistent") == "true" {
		if !s.onLeader(rec, r) {
			return
		}
	}
	switch r.Method {
	case http.MethodGet:
		s.handleRead(rec, r, t, verb)
	case http.MethodPost:
		if t.res.Kind == "Token" { // its secret is made here and shown once
			s.handleTokenCreate(rec, r, t)
			return
		}
		s.handleCreate(rec, r, t)
	case http.MethodPut:
		s.handleUpdate(rec, r, t)
	case http.MethodDelete:
		s.handleDelete(rec, r, t)
	}
}

// verbOf names a request as Kubernetes audit logs and metrics do.
func verbOf(method string, t target, watch bool) string {
	switch method {
	case http.MethodGet:
		switch {
		case watch:
			return "watch"
		case t.name == "":
			return "list"
		}
		return "get"
	case http.MethodPost:
		return "create"
	case http.MethodPut:
		return "update"
	case http.MethodDelete:
		return "delete"
	}
	return method
}

func (s *Server) handleRead(w http.ResponseWriter, r *http.Request, t target, verb string) {
	q := r.URL.Query()
	if q.Get("consistent") == "true" {
		if err := s.barrier.wait(r.Context()); err != nil {
			writeError(w, err)
			return
		}
	}
	if verb == "get" {
		rec, ok := s.fsm.Get(t.res, t.namespace, t.name)
		if !ok {
			writeError(w, notFound(t.res, t.name))
			return
		}
		raw, err := s.servedRaw(r.Context(), rec)
		if err != nil {
			s.answerOpenError(w, r, err)
			return
		}
		writeRaw(w, http.StatusOK, raw)
		return
	}
	f, err := newFilter(t.res, q.Get("labelSelector"), q.Get("fieldSelector"))
	if err != nil {
		writeError(w, err)
		return
	}
	if verb == "watch" {
		s.handleWatch(w, r, t, f)
		return
	}
	records, index := s.fsm.List(t.res, t.namespace)
	records, err = s.openRecords(r.Context(), t.res, f.apply(records))
	if err != nil {
		s.answerOpenError(w, r, err)
		return
	}
	writeRaw(w, http.StatusOK, encodeList(t.res, records, index))
}

// encodeList writes a Kubernetes List around the stored encodings, without decoding or
// re-encoding a single object.
func encodeList(res *api.Resource, records []*raftfsm.Record, index uint64) []byte {
	size := 128
	for _, rec := range records {
		size += len(rec.Raw) + 1
	}
	var b bytes.Buffer
	b.Grow(size)
	b.WriteString(`{"apiVersion":"` + res.APIVersion() + `","kind":"` + res.Kind + `List","metadata":{"resourceVersion":"`)
	b.WriteString(strconv.FormatUint(index, 10))
	b.WriteString(`"},"items":[`)
	for i, rec := range records {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(rec.Raw)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// filter applies label and field selectors to records.
type filter struct {
	labels api.Selector       // nil: no label selector
	fields *api.FieldSelector // nil: no field selector
}

func newFilter(res *api.Resource, labelSel, fieldSel string) (*filter, error) {
	f := &filter{}
	if labelSel != "" {
		sel, err := api.ParseSelector(labelSel)
		if err != nil {
			return nil, api.NewError(api.ReasonBadRequest, "invalid labelSelector %q: %v", labelSel, err)
		}
		f.labels = sel
	}
	if fieldSel != "" {
		fs, err := api.ParseFieldSelector(fieldSel)
		if err == nil {
			err = api.ValidateFieldSelector(res, fs)
		}
		if err != nil {
			return nil, api.NewError(api.ReasonBadRequest, "invalid fieldSelector %q: %v", fieldSel, err)
		}
		f.fields = &fs
	}
	return f, nil
}

func (f *filter) matches(rec *raftfsm.Record) bool {
	if f.labels != nil && !f.labels.Matches(rec.Object.GetObjectMeta().Labels) {
		return false
	}
	if f.fields != nil && !f.fields.Matches(rec.Object) {
		return false
	}
	return true
}

func (f *filter) apply(records []*raftfsm.Record) []*raftfsm.Record {
	if f.labels == nil && f.fields == nil {
		return records
	}
	out := records[:0:0]
	for _, rec := range records {
		if f.matches(rec) {
			out = append(out, rec)
		}
	}
	return out
}
