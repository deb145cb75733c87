package demo

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mustNewHandler serves a fresh state with cfg on an httptest server.
func mustNewHandler(t *testing.T, cfg Config) (*state, *httptest.Server) {
	t.Helper()
	st := newState(cfg, "demo-host", &logger{w: io.Discard})
	srv := httptest.NewServer(st.handler())
	t.Cleanup(srv.Close)
	return st, srv
}

// do sends one request and returns the status and body.
func do(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

type step struct {
	method, path string
	want         int
}

func TestProbeToggles(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		steps []step
	}{
		{name: "healthy by default", steps: []step{
			{"GET", "/healthz", 200}, {"GET", "/readyz", 200},
		}},
		{name: "fail and recover liveness", steps: []step{
			{"POST", "/fail/liveness", 200}, {"GET", "/healthz", 503}, {"GET", "/readyz", 200},
			{"POST", "/recover", 200}, {"GET", "/healthz", 200},
		}},
		{name: "fail and recover readiness", steps: []step{
			{"POST", "/fail/readiness", 200}, {"GET", "/readyz", 503}, {"GET", "/healthz", 200},
			{"POST", "/recover", 200}, {"GET", "/readyz", 200},
		}},
		{name: "failing from the start", cfg: Config{FailLiveness: true, FailReadiness: true}, steps: []step{
			{"GET", "/healthz", 503}, {"GET", "/readyz", 503},
			{"POST", "/recover", 200}, {"GET", "/healthz", 200}, {"GET", "/readyz", 200},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := mustNewHandler(t, tt.cfg)
			for i, s := range tt.steps {
				if got, body := do(t, s.method, srv.URL+s.path, ""); got != s.want {
					t.Fatalf("step %d %s %s: status %d (%q), want %d", i, s.method, s.path, got, body, s.want)
				}
			}
		})
	}
}

func TestEchoFields(t *testing.T) {
	t.Setenv("POD_IP", "10.244.0.7")
	_, srv := mustNewHandler(t, Config{})
	req, _ := http.NewRequest("PUT", srv.URL+"/some/path?x=1", nil)
	req.Header.Set("X-Demo", "yes")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content type %q", ct)
	}
	var got echoReply
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"hostname", got.Hostname, "demo-host"},
		{"podIP", got.PodIP, "10.244.0.7"},
		{"method", got.Method, "PUT"},
		{"path", got.Path, "/some/path"},
		{"query", got.Query, "x=1"},
		{"header", got.Headers.Get("X-Demo"), "yes"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if !strings.HasPrefix(got.RemoteAddr, "127.0.0.1:") || got.Time == "" {
		t.Errorf("remoteAddr %q, time %q", got.RemoteAddr, got.Time)
	}
}

func TestPodIPFromInterfaces(t *testing.T) {
	t.Setenv("POD_IP", "")
	ip := podIP()
	if ip == "" {
		t.Skip("no non-loopback IPv4 address on this machine")
	}
	if strings.HasPrefix(ip, "127.") || strings.Contains(ip, ":") {
		t.Fatalf("podIP %q is loopback or not IPv4", ip)
	}
}

func TestEnv(t *testing.T) {
	t.Setenv("DEMO_TEST_VAR", "a=b")
	_, srv := mustNewHandler(t, Config{})
	code, body := do(t, "GET", srv.URL+"/env", "")
	var env map[string]string
	if err := json.Unmarshal([]byte(body), &env); err != nil || code != 200 {
		t.Fatalf("status %d, body %q: %v", code, body, err)
	}
	if env["DEMO_TEST_VAR"] != "a=b" {
		t.Fatalf("DEMO_TEST_VAR = %q, want %q", env["DEMO_TEST_VAR"], "a=b")
	}
}

func TestFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "data.txt")
	_, srv := mustNewHandler(t, Config{})
	tests := []struct {
		name, method, query, body string
		want                      int
		wantBody                  string
	}{
		{name: "missing file", method: "GET", query: "?path=" + path, want: 404},
		{name: "write", method: "POST", query: "?path=" + path, body: "hello volume", want: 200},
		{name: "read back", method: "GET", query: "?path=" + path, want: 200, wantBody: "hello volume"},
		{name: "read without path", method: "GET", want: 400},
		{name: "write without path", method: "POST", body: "x", want: 400},
		{name: "write into missing dir", method: "POST", query: "?path=" + dir + "/no/such", want: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := do(t, tt.method, srv.URL+"/file"+tt.query, tt.body)
			if code != tt.want || (tt.wantBody != "" && body != tt.wantBody) {
				t.Fatalf("status %d body %q, want %d %q", code, body, tt.want, tt.wantBody)
			}
		})
	}
}

func TestExitRequest(t *testing.T) {
	tests := []struct {
		name     string
		query    string
		want     int
		wantCode int // sent to the event loop when want is 200
	}{
		{name: "default code", want: 200, wantCode: 0},
		{name: "code 3", query: "?code=3", want: 200, wantCode: 3},
		{name: "not a number", query: "?code=x", want: 400},
		{name: "out of range", query: "?code=256", want: 400},
		{name: "negative", query: "?code=-1", want: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, srv := mustNewHandler(t, Config{})
			if code, body := do(t, "POST", srv.URL+"/exit"+tt.query, ""); code != tt.want {
				t.Fatalf("status %d (%q), want %d", code, body, tt.want)
			}
			select {
			case got := <-st.exit:
				if tt.want != 200 || got != tt.wantCode {
					t.Fatalf("exit code %d sent, want status %d code %d", got, tt.want, tt.wantCode)
				}
			default:
				if tt.want == 200 {
					t.Fatal("no exit code sent")
				}
			}
		})
	}
}

func TestReadyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ready")
	st, srv := mustNewHandler(t, Config{ReadyFile: path})
	st.syncReadyFile()
	steps := []struct {
		name   string
		path   string // POSTed first, if set
		exists bool
	}{
		{name: "created when ready", exists: true},
		{name: "removed on failing readiness", path: "/fail/readiness", exists: false},
		{name: "back on recover", path: "/recover", exists: true},
	}
	for _, s := range steps {
		if s.path != "" {
			do(t, "POST", srv.URL+s.path, "")
		}
		_, err := os.Stat(path)
		if (err == nil) != s.exists {
			t.Fatalf("%s: stat error %v, want exists=%v", s.name, err, s.exists)
		}
	}
}

func TestFetch(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("hello from target"))
	}))
	defer target.Close()
	_, srv := mustNewHandler(t, DefaultConfig())
	for _, tc := range []struct {
		name string
		url  string
		code int
		has  string
	}{
		{"reachable", target.URL, 200, "hello from target"},
		{"not absolute", "/x", 400, "absolute"},
		{"refused", "http://127.0.0.1:1/", 502, "refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := do(t, "GET", srv.URL+"/fetch?url="+url.QueryEscape(tc.url), "")
			if code != tc.code || !strings.Contains(body, tc.has) {
				t.Fatalf("GET /fetch %s: %d %q", tc.url, code, body)
			}
		})
	}
}
