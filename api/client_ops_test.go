package api

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestClientOperatorCalls(t *testing.T) {
	rec := &recorder{}
	url := mustServe(t, rec, func(_ int, w http.ResponseWriter, r *http.Request) {
		switch r.Method + " " + r.URL.Path {
		case "GET /v1/members":
			_, _ = io.WriteString(w, `[{"name":"s1","addr":"10.0.0.1:6442","state":"alive","role":"server","version":"v1"}]`)
		case "GET /v1/operator/raft/peers":
			_, _ = io.WriteString(w, `[{"id":"s1","address":"10.0.0.1:6441","leader":true,"voter":true}]`)
		case "DELETE /v1/operator/raft/peers/s2":
			w.WriteHeader(http.StatusOK)
		case "GET /v1/status":
			_, _ = io.WriteString(w, `{"id":"s1","leader":true,"leaderAddr":"10.0.0.1:6441","leaderId":"s1","state":"Leader","appliedIndex":9,"commitIndex":9}`)
		case "GET /v1/snapshot":
			_, _ = io.WriteString(w, "SNAPSHOT-BYTES")
		default:
			writeStatus(w, 404, ReasonNotFound, "no route")
		}
	})
	c := mustClient(t, url)
	ctx := context.Background()
	members, err := c.Members(ctx)
	if err != nil || len(members) != 1 || members[0].Role != "server" {
		t.Errorf("Members = %+v, %v", members, err)
	}
	peers, err := c.RaftPeers(ctx)
	if err != nil || len(peers) != 1 || !peers[0].Leader {
		t.Errorf("RaftPeers = %+v, %v", peers, err)
	}
	if err := c.RemoveRaftPeer(ctx, "s2"); err != nil {
		t.Errorf("RemoveRaftPeer: %v", err)
	}
	st, err := c.ServerStatus(ctx)
	if err != nil || st.LeaderID != "s1" || st.AppliedIndex != 9 {
		t.Errorf("ServerStatus = %+v, %v", st, err)
	}
	var buf bytes.Buffer
	n, err := c.SnapshotSave(ctx, &buf)
	if err != nil || buf.String() != "SNAPSHOT-BYTES" || n != int64(buf.Len()) {
		t.Errorf("SnapshotSave = %d %q, %v", n, buf.String(), err)
	}
	if err := c.RemoveRaftPeer(ctx, "nope"); ReasonOf(err) != ReasonNotFound {
		t.Errorf("RemoveRaftPeer(nope) err = %v, want NotFound", err)
	}
}

func TestClientSnapshotRestoreReplaysBody(t *testing.T) {
	rec := &recorder{}
	url := mustServe(t, rec, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 0 {
			w.Header().Set("Retry-After", "0")
			writeStatus(w, 503, ReasonServiceUnavailable, "no leader")
		}
	})
	c := mustClient(t, url)
	if err := c.SnapshotRestore(context.Background(), bytes.NewReader([]byte("SNAP"))); err != nil {
		t.Fatal(err)
	}
	got := rec.last(t)
	if rec.count() != 2 || got.Body != "SNAP" || got.Method != "PUT" || got.ContentType != "application/octet-stream" {
		t.Errorf("%d requests, last %+v", rec.count(), got)
	}
	// A plain stream cannot be replayed: one attempt only.
	rec2 := &recorder{}
	url2 := mustServe(t, rec2, func(_ int, w http.ResponseWriter, _ *http.Request) {
		writeStatus(w, 503, ReasonServiceUnavailable, "no leader")
	})
	c2 := mustClient(t, url2)
	err := c2.SnapshotRestore(context.Background(), io.MultiReader(strings.NewReader("SNAP")))
	if ReasonOf(err) != ReasonServiceUnavailable || rec2.count() != 1 {
		t.Errorf("err = %v after %d requests, want one 503", err, rec2.count())
	}
}
