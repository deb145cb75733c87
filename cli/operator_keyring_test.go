package cli

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestOperatorKeyring(t *testing.T) {
	var calls []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls = append(calls, r.Method+" "+r.URL.Path)
		w.Header().Set("Content-Type", "application/json")
		switch r.Method + " " + r.URL.Path {
		case "GET " + keyringListPath:
			w.Write([]byte(`{"active":"kb","keys":[{"id":"ka","created":"2025-01-02T03:04:05Z","secrets":0},` +
				`{"id":"kb","created":"2025-02-02T03:04:05Z","secrets":7},{"id":"kc","created":"0001-01-01T00:00:00Z","secrets":1}],"unsealed":2}`))
		case "POST " + keyringRotatePath:
			w.Write([]byte(`{"active":"kc","keys":[{"id":"kc","created":"2025-03-02T03:04:05Z","secrets":3}],"resealed":3}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	f := &fakeServer{t: t, url: srv.URL}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"list", []string{"operator", "keyring", "list"}, []string{
			"KEY ACTIVE CREATED SECRETS", "ka false 2025-01-02T03:04:05Z 0", "kb true 2025-02-02T03:04:05Z 7",
			"<not held by this server>", "2 secrets are not encrypted yet"}},
		{"rotate", []string{"operator", "keyring", "rotate"}, []string{"Active key is now kc; re-encrypted 3 secrets"}},
		{"json", []string{"operator", "keyring", "list", "-o", "json"}, []string{`"active": "kb",`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := strings.Join(strings.Fields(mustRun(t, f, tc.args...)), " ")
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	if len(calls) != 3 || calls[1] != "POST "+keyringRotatePath {
		t.Fatalf("calls = %v", calls)
	}
}
