package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/raftfsm"
)

func objectError(sentinel error, msg string) error {
	return &raftfsm.ObjectError{Err: sentinel, Plural: "configmaps", Namespace: "default", Name: "x", Message: msg}
}

func TestToAPIError(t *testing.T) {
	own := api.NewError(api.ReasonInvalid, "metadata.name: Invalid value")
	tests := []struct {
		name       string
		err        error
		reason     api.StatusReason
		code       int
		msgHas     string
		retryAfter int // Details.RetryAfterSeconds
	}{
		{name: "api error passes through", err: own, reason: api.ReasonInvalid, code: 422, msgHas: "metadata.name"},
		{name: "wrapped api error", err: fmt.Errorf("admission: %w", own), reason: api.ReasonInvalid, code: 422, msgHas: "metadata.name"},
		{name: "not found", err: objectError(raftfsm.ErrNotFound, `configmaps "x" not found`), reason: api.ReasonNotFound, code: 404, msgHas: `configmaps "x" not found`},
		{name: "namespace not found", err: objectError(raftfsm.ErrNamespaceNotFound, `namespaces "x" not found`), reason: api.ReasonNotFound, code: 404, msgHas: `namespaces "x"`},
		{name: "already exists", err: objectError(raftfsm.ErrAlreadyExists, `configmaps "x" already exists`), reason: api.ReasonAlreadyExists, code: 409, msgHas: "already exists"},
		{name: "conflict", err: objectError(raftfsm.ErrConflict, `configmaps "x" modified`), reason: api.ReasonConflict, code: 409, msgHas: "modified"},
		{name: "bare sentinel", err: raftfsm.ErrConflict, reason: api.ReasonConflict, code: 409, msgHas: "conflict"},
		{name: "gone", err: fmt.Errorf("watch: %w", raftfsm.ErrGone), reason: api.ReasonGone, code: 410, msgHas: "too old"},
		{name: "not applied", err: errNotApplied, reason: api.ReasonServiceUnavailable, code: 503, msgHas: "retry", retryAfter: 1},
		{name: "not leader", err: classifyRaftError(raft.ErrNotLeader), reason: api.ReasonServiceUnavailable, code: 503, msgHas: "node is not the leader", retryAfter: 1},
		{name: "enqueue timeout", err: classifyRaftError(raft.ErrEnqueueTimeout), reason: api.ReasonServiceUnavailable, code: 503, retryAfter: 1},
		{name: "unknown outcome", err: errUnknownOutcome, reason: api.ReasonTimeout, code: 504, msgHas: "may or may not"},
		{name: "leadership lost", err: classifyRaftError(raft.ErrLeadershipLost), reason: api.ReasonTimeout, code: 504, msgHas: "leadership lost"},
		{name: "raft shutdown", err: classifyRaftError(raft.ErrRaftShutdown), reason: api.ReasonTimeout, code: 504},
		{name: "invalid command is a bug", err: objectError(raftfsm.ErrInvalidCommand, "bad"), reason: api.ReasonInternalError, code: 500, msgHas: "bad"},
		{name: "anything else", err: errors.New("disk on fire"), reason: api.ReasonInternalError, code: 500, msgHas: "disk on fire"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := toAPIError(tt.err)
			if e.Status.Reason != tt.reason || e.Status.Code != tt.code {
				t.Fatalf("toAPIError(%v) = %d %s, want %d %s", tt.err, e.Status.Code, e.Status.Reason, tt.code, tt.reason)
			}
			if !strings.Contains(e.Status.Message, tt.msgHas) {
				t.Fatalf("message %q does not say %q", e.Status.Message, tt.msgHas)
			}
			got := 0
			if e.Status.Details != nil {
				got = e.Status.Details.RetryAfterSeconds
			}
			if got != tt.retryAfter {
				t.Fatalf("retryAfterSeconds = %d, want %d", got, tt.retryAfter)
			}
			if e.Status.Kind != "Status" || e.Status.Status != "Failure" {
				t.Fatalf("not a Failure Status: %+v", e.Status)
			}
		})
	}
}

func TestWriteError(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		code       int
		retryAfter string
	}{
		{name: "503 asks to retry", err: errNotApplied, code: 503, retryAfter: "1"},
		{name: "no leader", err: noLeader(), code: 503, retryAfter: "1"},
		{name: "429 asks to retry", err: api.NewError(api.ReasonTooManyRequests, "slow down"), code: 429, retryAfter: "1"},
		{name: "504 is not retried", err: errUnknownOutcome, code: 504},
		{name: "404", err: notFound(mustRes(t, "Pod"), "web"), code: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			writeError(rec, tt.err)
			if rec.Code != tt.code {
				t.Fatalf("code %d, want %d", rec.Code, tt.code)
			}
			if got := rec.Header().Get("Retry-After"); got != tt.retryAfter {
				t.Fatalf("Retry-After %q, want %q", got, tt.retryAfter)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type %q", ct)
			}
			var st api.Status
			if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			if st.Code != tt.code || st.Kind != "Status" || st.Message == "" {
				t.Fatalf("body %+v", st)
			}
		})
	}
}

func TestEncodeList(t *testing.T) {
	cmRes, depRes := mustRes(t, "ConfigMap"), mustRes(t, "Deployment")
	rec := func(name string) *raftfsm.Record {
		return &raftfsm.Record{Resource: cmRes, Raw: []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"` + name + `"}}`)}
	}
	tests := []struct {
		name    string
		res     *api.Resource
		records []*raftfsm.Record
		index   uint64
		kind    string
		version string
		names   []string
	}{
		{name: "empty", res: cmRes, index: 7, kind: "ConfigMapList", version: "v1"},
		{name: "one", res: cmRes, records: []*raftfsm.Record{rec("a")}, index: 8, kind: "ConfigMapList", version: "v1", names: []string{"a"}},
		{name: "several in order", res: cmRes, records: []*raftfsm.Record{rec("a"), rec("b"), rec("c")}, index: 1 << 40, kind: "ConfigMapList", version: "v1", names: []string{"a", "b", "c"}},
		{name: "group kind", res: depRes, index: 1, kind: "DeploymentList", version: "apps/v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := encodeList(tt.res, tt.records, tt.index)
			if !json.Valid(b) {
				t.Fatalf("not JSON: %s", b)
			}
			var l struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
				Metadata   struct {
					ResourceVersion string `json:"resourceVersion"`
				} `json:"metadata"`
				Items []struct {
					Metadata struct{ Name string } `json:"metadata"`
				} `json:"items"`
			}
			if err := json.Unmarshal(b, &l); err != nil {
				t.Fatal(err)
			}
			if l.Kind != tt.kind || l.APIVersion != tt.version || l.Metadata.ResourceVersion != fmt.Sprint(tt.index) {
				t.Fatalf("list header %+v", l)
			}
			if l.Items == nil {
				t.Fatalf("items is null, want [] (%s)", b)
			}
			var names []string
			for _, it := range l.Items {
				names = append(names, it.Metadata.Name)
			}
			if fmt.Sprint(names) != fmt.Sprint(tt.names) && !(len(names) == 0 && len(tt.names) == 0) {
				t.Fatalf("items %v, want %v", names, tt.names)
			}
		})
	}
}

func TestRecovererTurnsPanicInto500(t *testing.T) {
	s := &Server{log: discardLogger()}
	h := s.recoverer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), "boom") {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
}
