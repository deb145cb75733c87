package demo

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

// TestResolve: GET /resolve answers with the container's resolver, 400 without a
// name and 502 for a name that does not resolve.
func TestResolve(t *testing.T) {
	tests := []struct {
		name   string
		query  string
		status int
		addr   string
	}{
		{name: "localhost", query: "?name=localhost", status: http.StatusOK, addr: "127.0.0.1"},
		{name: "no name", query: "", status: http.StatusBadRequest},
		{name: "invalid name", query: "?name=no..such", status: http.StatusBadGateway},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			resolve(rec, httptest.NewRequest(http.MethodGet, "/resolve"+tt.query, nil))
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.addr == "" {
				return
			}
			var got resolveReply
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(got.Addrs, tt.addr) {
				t.Errorf("addrs %v, want %s among them", got.Addrs, tt.addr)
			}
		})
	}
}
