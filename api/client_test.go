package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// recorded is one request as the test server saw it.
type recorded struct {
	Method, Path, Query, Body, ContentType string
}

// recorder is a test server that records requests and answers with a fixed reply.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

func (r *recorder) last(t *testing.T) recorded {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reqs) == 0 {
		t.Fatal("no request recorded")
	}
	return r.reqs[len(r.reqs)-1]
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reqs)
}

// mustServe starts a server whose handler gets the request number (from 0) after
// recording it.
func mustServe(t *testing.T, rec *recorder, h func(n int, w http.ResponseWriter, r *http.Request)) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		n := len(rec.reqs)
		rec.reqs = append(rec.reqs, recorded{r.Method, r.URL.Path, r.URL.RawQuery, string(body), r.Header.Get("Content-Type")})
		rec.mu.Unlock()
		h(n, w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func mustClient(t *testing.T, url string, opts ...ClientOption) *Client {
	t.Helper()
	c, err := NewClient(url, opts...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

func mustResource(t *testing.T, kind string) *Resource {
	t.Helper()
	res, ok := ResourceForKind(kind)
	if !ok {
		t.Fatalf("kind %s not registered", kind)
	}
	return res
}

func writeStatus(w http.ResponseWriter, code int, reason StatusReason, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(Status{TypeMeta: TypeMeta{APIVersion: "v1", Kind: "Status"},
		Status: "Failure", Message: msg, Reason: reason, Code: code})
}

// echoObject answers with the request body, stamped with resourceVersion 7.
func echoObject(_ int, w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"x","namespace":"ns","resourceVersion":"7"}}`)
}

func TestClientObjectCalls(t *testing.T) {
	cm := mustResource(t, "ConfigMap")
	pod := mustResource(t, "Pod")
	nsRes := mustResource(t, "Namespace")
	dep := mustResource(t, "Deployment")
	newCM := func() Object {
		o := cm.New()
		o.GetObjectMeta().Name, o.GetObjectMeta().Namespace = "x", "ns"
		return o
	}
	tests := []struct {
		name       string
		call       func(ctx context.Context, c *Client) error
		want       recorded
		wantInBody string
	}{
		{"create", func(ctx context.Context, c *Client) error { _, err := c.Create(ctx, newCM()); return err },
			recorded{Method: "POST", Path: "/api/v1/namespaces/ns/configmaps", ContentType: "application/json"}, `"name":"x"`},
		{"get consistent", func(ctx context.Context, c *Client) error {
			_, err := c.Get(ctx, cm, "ns", "x", GetOptions{Consistent: true})
			return err
		}, recorded{Method: "GET", Path: "/api/v1/namespaces/ns/configmaps/x", Query: "consistent=true"}, ""},
		{"get cluster-scoped", func(ctx context.Context, c *Client) error {
			_, err := c.Get(ctx, nsRes, "ignored", "prod", GetOptions{})
			return err
		}, recorded{Method: "GET", Path: "/api/v1/namespaces/prod"}, ""},
		{"update", func(ctx context.Context, c *Client) error { _, err := c.Update(ctx, newCM()); return err },
			recorded{Method: "PUT", Path: "/api/v1/namespaces/ns/configmaps/x", ContentType: "application/json"}, `"namespace":"ns"`},
		{"update status", func(ctx context.Context, c *Client) error {
			p := pod.New()
			p.GetObjectMeta().Name, p.GetObjectMeta().Namespace = "web", "ns"
			_, err := c.UpdateStatus(ctx, p)
			return err
		}, recorded{Method: "PUT", Path: "/api/v1/namespaces/ns/pods/web/status", ContentType: "application/json"}, `"name":"web"`},
		{"delete plain", func(ctx context.Context, c *Client) error {
			_, err := c.Delete(ctx, dep, "ns", "web", DeleteOptions{})
			return err
		}, recorded{Method: "DELETE", Path: "/apis/apps/v1/namespaces/ns/deployments/web"}, ""},
		{"delete with options", func(ctx context.Context, c *Client) error {
			_, err := c.Delete(ctx, cm, "ns", "x", DeleteOptions{
				Preconditions: &Preconditions{ResourceVersion: "5"}, PropagationPolicy: DeleteOrphan})
			return err
		}, recorded{Method: "DELETE", Path: "/api/v1/namespaces/ns/configmaps/x", ContentType: "application/json"},
			`"propagationPolicy":"Orphan"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			c := mustClient(t, mustServe(t, rec, echoObject))
			if err := tt.call(context.Background(), c); err != nil {
				t.Fatalf("call: %v", err)
			}
			got := rec.last(t)
			body := got.Body
			got.Body = ""
			if got != tt.want {
				t.Errorf("request = %+v, want %+v", got, tt.want)
			}
			if !strings.Contains(body, tt.wantInBody) {
				t.Errorf("body %s does not contain %s", body, tt.wantInBody)
			}
		})
	}
}

func TestClientDecodesAnswer(t *testing.T) {
	rec := &recorder{}
	c := mustClient(t, mustServe(t, rec, echoObject))
	obj, err := c.Get(context.Background(), mustResource(t, "ConfigMap"), "ns", "x", GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := obj.(*ConfigMap); !ok {
		t.Fatalf("got %T, want *ConfigMap", obj)
	}
	if rv := obj.GetObjectMeta().ResourceVersion; rv != "7" {
		t.Errorf("resourceVersion = %q, want 7", rv)
	}
}

func TestClientList(t *testing.T) {
	rec := &recorder{}
	url := mustServe(t, rec, func(_ int, w http.ResponseWriter, _ *http.Request) {
		// Items without kind, as Kubernetes sends them: Objects must fill it in.
		_, _ = io.WriteString(w, `{"apiVersion":"v1","kind":"ConfigMapList","metadata":{"resourceVersion":"42"},
			"items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"},"data":{"k":"v"}}]}`)
	})
	c := mustClient(t, url)
	l, err := c.List(context.Background(), mustResource(t, "ConfigMap"), "",
		ListOptions{LabelSelector: "app=web", FieldSelector: "metadata.name=a", Consistent: true})
	if err != nil {
		t.Fatal(err)
	}
	got := rec.last(t)
	if got.Path != "/api/v1/configmaps" || got.Query != "consistent=true&fieldSelector=metadata.name%3Da&labelSelector=app%3Dweb" {
		t.Errorf("request = %s?%s", got.Path, got.Query)
	}
	if l.ResourceVersion != "42" || l.Kind != "ConfigMapList" {
		t.Errorf("list meta = %+v %+v", l.TypeMeta, l.ListMeta)
	}
	objs, err := l.Objects()
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 || objs[1].(*ConfigMap).Data["k"] != "v" || objs[0].GetTypeMeta().Kind != "ConfigMap" {
		t.Errorf("objects = %+v", objs)
	}
}

func TestClientErrors(t *testing.T) {
	tests := []struct {
		name       string
		handler    func(int, http.ResponseWriter, *http.Request)
		wantCode   int
		wantReason StatusReason
		wantMsg    string
	}{
		{"status body", func(_ int, w http.ResponseWriter, _ *http.Request) {
			writeStatus(w, 404, ReasonNotFound, `configmaps "x" not found`)
		}, 404, ReasonNotFound, `configmaps "x" not found`},
		{"conflict", func(_ int, w http.ResponseWriter, _ *http.Request) {
			writeStatus(w, 409, ReasonAlreadyExists, `configmaps "x" already exists`)
		}, 409, ReasonAlreadyExists, "already exists"},
		{"html from a proxy", func(_ int, w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(502)
			_, _ = io.WriteString(w, "<html>\n<body>bad gateway</body></html>")
		}, 502, ReasonInternalError, "502 Bad Gateway: <html> <body>bad gateway</body></html>"},
		{"empty body", func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(422) },
			422, ReasonInvalid, "422 Unprocessable Entity"},
		{"timeout is not retried", func(_ int, w http.ResponseWriter, _ *http.Request) {
			writeStatus(w, 504, ReasonTimeout, "outcome unknown")
		}, 504, ReasonTimeout, "outcome unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			c := mustClient(t, mustServe(t, rec, tt.handler))
			_, err := c.Get(context.Background(), mustResource(t, "ConfigMap"), "ns", "x", GetOptions{})
			var apiErr *Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if apiErr.Code() != tt.wantCode || apiErr.Status.Reason != tt.wantReason ||
				!strings.Contains(apiErr.Error(), tt.wantMsg) {
				t.Errorf("err = %d %s %q, want %d %s containing %q", apiErr.Code(), apiErr.Status.Reason,
					apiErr.Error(), tt.wantCode, tt.wantReason, tt.wantMsg)
			}
			if rec.count() != 1 {
				t.Errorf("%d requests, want 1 (no retry)", rec.count())
			}
		})
	}
}

func TestClientRetries503(t *testing.T) {
	tests := []struct {
		name      string
		failures  int
		retry     time.Duration
		wantErr   bool
		wantCalls int
	}{
		{"recovers", 2, 5 * time.Second, false, 3},
		{"no retry configured", 1, 0, true, 1},
		{"gives up at the deadline", 1 << 30, 300 * time.Millisecond, true, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			url := mustServe(t, rec, func(n int, w http.ResponseWriter, r *http.Request) {
				if n < tt.failures {
					w.Header().Set("Retry-After", "0")
					writeStatus(w, 503, ReasonServiceUnavailable, "no leader")
					return
				}
				echoObject(n, w, r)
			})
			c := mustClient(t, url, WithRetry(tt.retry))
			obj := mustResource(t, "ConfigMap").New()
			obj.GetObjectMeta().Name, obj.GetObjectMeta().Namespace = "x", "ns"
			start := time.Now()
			_, err := c.Create(context.Background(), obj)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && ReasonOf(err) != ReasonServiceUnavailable {
				t.Errorf("err reason = %q, want ServiceUnavailable", ReasonOf(err))
			}
			if tt.wantCalls >= 0 && rec.count() != tt.wantCalls {
				t.Errorf("%d requests, want %d", rec.count(), tt.wantCalls)
			}
			if time.Since(start) > tt.retry+2*time.Second {
				t.Errorf("took %v, retry window %v", time.Since(start), tt.retry)
			}
			// Every attempt must carry the whole body again.
			if got := rec.last(t).Body; !strings.Contains(got, `"name":"x"`) {
				t.Errorf("last attempt body = %q", got)
			}
		})
	}
}

// refusingTransport refuses the first n connections, then passes requests on.
type refusingTransport struct {
	n     atomic.Int32
	inner http.RoundTripper
}

func (rt *refusingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if rt.n.Add(-1) >= 0 {
		return nil, fmt.Errorf("dial: %w", syscall.ECONNREFUSED)
	}
	return rt.inner.RoundTrip(r)
}

func TestClientRetriesRefusedConnections(t *testing.T) {
	rec := &recorder{}
	url := mustServe(t, rec, echoObject)
	rt := &refusingTransport{inner: http.DefaultTransport}
	rt.n.Store(3)
	c := mustClient(t, url, WithHTTPClient(&http.Client{Transport: rt}))
	if _, err := c.Get(context.Background(), mustResource(t, "ConfigMap"), "ns", "x", GetOptions{}); err != nil {
		t.Fatalf("Get: %v", err)
	}
	if rec.count() != 1 {
		t.Errorf("server saw %d requests, want 1", rec.count())
	}
	rt.n.Store(1000)
	c = mustClient(t, url, WithHTTPClient(&http.Client{Transport: rt}), WithRetry(150*time.Millisecond))
	_, err := c.Get(context.Background(), mustResource(t, "ConfigMap"), "ns", "x", GetOptions{})
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("err = %v, want connection refused", err)
	}
}

func TestClientContextCancelStopsRetry(t *testing.T) {
	rec := &recorder{}
	url := mustServe(t, rec, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "1")
		writeStatus(w, 503, ReasonServiceUnavailable, "no leader")
	})
	c := mustClient(t, url, WithRetry(time.Minute))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Get(ctx, mustResource(t, "ConfigMap"), "ns", "x", GetOptions{})
	if err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("err = %v after %v; want a prompt failure", err, time.Since(start))
	}
}

func TestClientTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	rec := &recorder{}
	url := mustServe(t, rec, func(_ int, w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	c := mustClient(t, url, WithTimeout(100*time.Millisecond))
	_, err := c.Get(context.Background(), mustResource(t, "ConfigMap"), "ns", "x", GetOptions{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want deadline exceeded", err)
	}
}

func TestParseWarnings(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"one", `299 - "spec.foo is ignored"`, []string{"spec.foo is ignored"}},
		{"escaped quote", `299 - "field \"x\" ignored"`, []string{`field "x" ignored`}},
		{"two in one header", `299 - "a", 299 - "b, c"`, []string{"a", "b, c"}},
		{"with date", `299 berth "a" "Sat, 01 Jan 2000 00:00:00 GMT"`, []string{"a"}},
		{"not the format", `something odd`, []string{"something odd"}},
		{"unterminated", `299 - "oops`, []string{`299 - "oops`}},
		{"empty", ``, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseWarnings(tt.in)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("parseWarnings(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestClientWarningHandler(t *testing.T) {
	rec := &recorder{}
	url := mustServe(t, rec, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Warning", `299 - "spec.a is ignored"`)
		w.Header().Add("Warning", `299 - "spec.b is ignored"`)
		echoObject(n, w, r)
	})
	var mu sync.Mutex
	var got []string
	c := mustClient(t, url, WithWarningHandler(func(s string) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, s)
	}))
	if _, err := c.Get(context.Background(), mustResource(t, "ConfigMap"), "ns", "x", GetOptions{}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(got, "|") != "spec.a is ignored|spec.b is ignored" {
		t.Errorf("warnings = %q", got)
	}
}

func TestNewClientRejectsBadURL(t *testing.T) {
	for _, u := range []string{"", "127.0.0.1:6440", "ftp://x", "http://", "http://a b"} {
		t.Run(u, func(t *testing.T) {
			if _, err := NewClient(u); !errors.Is(err, ErrClientBaseURL) {
				t.Errorf("NewClient(%q) err = %v, want ErrClientBaseURL", u, err)
			}
		})
	}
}

func TestClientRejectsBadObjects(t *testing.T) {
	c := mustClient(t, "http://127.0.0.1:1")
	ctx := context.Background()
	if _, err := c.Create(ctx, nil); !errors.Is(err, ErrClientUnknownKind) {
		t.Errorf("Create(nil) err = %v", err)
	}
	if _, err := c.Update(ctx, mustResource(t, "ConfigMap").New()); !errors.Is(err, ErrClientNoName) {
		t.Errorf("Update(no name) err = %v", err)
	}
	if _, err := c.Get(ctx, mustResource(t, "ConfigMap"), "ns", "", GetOptions{}); !errors.Is(err, ErrClientNoName) {
		t.Errorf("Get(no name) err = %v", err)
	}
}
