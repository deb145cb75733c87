package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWithToken(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","spec":{},"status":{"allowed":true}}`))
	}))
	defer srv.Close()
	shared := &http.Client{}
	tests := []struct {
		name string
		opts []ClientOption
		want string
	}{
		{"token", []ClientOption{WithToken("berth-a.b")}, "Bearer berth-a.b"},
		{"token before an HTTP client", []ClientOption{WithToken("berth-a.b"), WithHTTPClient(shared)}, "Bearer berth-a.b"},
		{"token after an HTTP client", []ClientOption{WithHTTPClient(shared), WithToken("berth-c.d")}, "Bearer berth-c.d"},
		{"no token", []ClientOption{WithToken("")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(srv.URL, append(tt.opts, WithRetry(0))...)
			if err != nil {
				t.Fatal(err)
			}
			review, err := c.SelfSubjectAccessReview(context.Background(), SelfSubjectAccessReviewSpec{})
			if err != nil || !review.Status.Allowed {
				t.Fatalf("review %+v, %v", review, err)
			}
			if got != tt.want {
				t.Errorf("Authorization = %q, want %q", got, tt.want)
			}
		})
	}
	if shared.Transport != nil {
		t.Error("WithToken changed the caller's HTTP client")
	}
}
