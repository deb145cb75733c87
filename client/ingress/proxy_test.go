package ingress

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// echoReply is what a test backend answers: who it is and what it was sent.
type echoReply struct {
	Name    string
	Host    string
	Path    string
	Body    string
	Headers http.Header
}

// newBackend is a pod stand-in: it echoes requests as JSON, and answers a
// websocket upgrade by echoing the raw bytes of the connection.
func newBackend(t *testing.T, name string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			echoUpgrade(w)
			return
		}
		body, _ := io.ReadAll(r.Body)
		_ = json.NewEncoder(w).Encode(echoReply{Name: name, Host: r.Host, Path: r.URL.Path, Body: string(body), Headers: r.Header})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// echoUpgrade switches protocols and echoes every byte until the client closes.
func echoUpgrade(w http.ResponseWriter) {
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
	_ = rw.Flush()
	_, _ = io.Copy(conn, rw)
}

// hostPort splits a test server's address.
func hostPort(t *testing.T, addr string) (string, int32) {
	t.Helper()
	h, p, err := net.SplitHostPort(strings.TrimPrefix(addr, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return h, int32(n)
}

// refusedAddr is a loopback address nothing listens on.
func refusedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// serviceFor is a Service "name" port 80 and Endpoints on the given addresses (all
// on the first one's port).
func serviceFor(t *testing.T, name string, addrs ...string) []api.Object {
	svc := service(name, api.ServicePort{Name: "http", Port: 80, TargetPort: api.FromString("http")})
	var ips []string
	var port int32
	for _, a := range addrs {
		ip, p := hostPort(t, a)
		ips, port = append(ips, ip), p
	}
	ep := endpoints(name, ips, api.EndpointPort{Name: "http", Port: port})
	if len(addrs) == 0 {
		ep.Subsets = nil
	}
	return []api.Object{svc, ep}
}

// newTestProxy serves a proxy over a table built from objs.
func newTestProxy(t *testing.T, objs ...api.Object) *httptest.Server {
	t.Helper()
	p := newProxy(time.Second, quiet)
	p.table.Store(buildTable(t, objs...))
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return srv
}

// get sends one request through the proxy with a Host header.
func get(t *testing.T, proxyURL, host, path string, hdr map[string]string) (int, echoReply, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, proxyURL+path, nil)
	req.Host = host
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s%s: %v", host, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e echoReply
	_ = json.Unmarshal(b, &e)
	return resp.StatusCode, e, string(b)
}

const twoRoutes = `
metadata: {name: web}
spec:
  rules:
  - host: a.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: app-a, port: {number: 80}}}}]}
  - host: b.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: app-b, port: {name: http}}}}
      - {path: /empty, pathType: Prefix, backend: {service: {name: empty, port: {number: 80}}}}
      - {path: /down, pathType: Prefix, backend: {service: {name: down, port: {number: 80}}}}
`

func TestProxyRoutesAndHeaders(t *testing.T) {
	a, b := newBackend(t, "a"), newBackend(t, "b")
	objs := []api.Object{mustIngress(t, 0, twoRoutes)}
	objs = append(objs, serviceFor(t, "app-a", a.URL)...)
	objs = append(objs, serviceFor(t, "app-b", b.URL)...)
	objs = append(objs, serviceFor(t, "empty")...)
	objs = append(objs, serviceFor(t, "down", refusedAddr(t))...)
	px := newTestProxy(t, objs...)

	tests := []struct {
		name, host, path string
		hdr              map[string]string
		code             int
		backend          string
		bodyHas          string
	}{
		{name: "host a", host: "a.example.com", path: "/x", code: 200, backend: "a"},
		{name: "host b", host: "b.example.com:80", path: "/y", code: 200, backend: "b"},
		{name: "no rule", host: "c.example.com", path: "/", code: 404, bodyHas: "no rule for host"},
		{name: "no endpoints", host: "b.example.com", path: "/empty", code: 503, bodyHas: "service default/empty:80 has no ready endpoints"},
		{name: "only endpoint refuses", host: "b.example.com", path: "/down", code: 502, bodyHas: "default/down:80"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, e, body := get(t, px.URL, tt.host, tt.path, tt.hdr)
			if code != tt.code || e.Name != tt.backend || !strings.Contains(body, tt.bodyHas) {
				t.Errorf("got %d from %q: %s", code, e.Name, body)
			}
		})
	}

	// The backend sees the client's Host, and X-Forwarded-* describing the client.
	_, e, _ := get(t, px.URL, "a.example.com", "/h", map[string]string{"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "gopher", "X-Forwarded-Host": "evil"})
	checks := map[string]string{
		"Host":              e.Host,
		"X-Forwarded-For":   e.Headers.Get("X-Forwarded-For"),
		"X-Forwarded-Proto": e.Headers.Get("X-Forwarded-Proto"),
		"X-Forwarded-Host":  e.Headers.Get("X-Forwarded-Host"),
	}
	want := map[string]string{"Host": "a.example.com", "X-Forwarded-For": "203.0.113.7, 127.0.0.1",
		"X-Forwarded-Proto": "http", "X-Forwarded-Host": "a.example.com"}
	for k, v := range want {
		if checks[k] != v {
			t.Errorf("%s = %q, want %q", k, checks[k], v)
		}
	}
}

// Requests rotate over the endpoints, and an endpoint that refuses connections is
// skipped: every request succeeds, a POST body included.
func TestProxyFailover(t *testing.T) {
	a, b := newBackend(t, "a"), newBackend(t, "b")
	// Endpoints share one port number, so the backends must be told apart by IP:
	// a refused port on 127.0.0.1 stands next to the two live ones.
	objs := []api.Object{mustIngress(t, 0, "metadata: {name: f}\nspec: {defaultBackend: {service: {name: svc, port: {number: 80}}}}\n")}
	svc := service("svc", api.ServicePort{Name: "http", Port: 80})
	ep := &api.Endpoints{ObjectMeta: api.ObjectMeta{Name: "svc", Namespace: "default"}}
	for _, addr := range []string{refusedAddr(t), a.URL, refusedAddr(t), b.URL} {
		ip, port := hostPort(t, addr)
		ep.Subsets = append(ep.Subsets, api.EndpointSubset{
			Addresses: []api.EndpointAddress{{IP: ip}}, Ports: []api.EndpointPort{{Name: "http", Port: port}}})
	}
	px := newTestProxy(t, append(objs, svc, ep)...)

	seen := map[string]int{}
	for i := range 8 {
		req, _ := http.NewRequest(http.MethodPost, px.URL+"/p", strings.NewReader(fmt.Sprintf("body-%d", i)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e echoReply
		_ = json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != 200 || e.Body != fmt.Sprintf("body-%d", i) {
			t.Fatalf("request %d: %d from %q, body %q", i, resp.StatusCode, e.Name, e.Body)
		}
		seen[e.Name]++
	}
	if seen["a"] == 0 || seen["b"] == 0 {
		t.Errorf("round robin reached %v, want both backends", seen)
	}
}

// A websocket upgrade passes through: the 101 comes back and bytes flow both ways.
func TestProxyWebsocket(t *testing.T) {
	a := newBackend(t, "a")
	objs := append([]api.Object{mustIngress(t, 0, twoRoutes)}, serviceFor(t, "app-a", a.URL)...)
	px := newTestProxy(t, objs...)
	conn, err := net.Dial("tcp", strings.TrimPrefix(px.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprint(conn, "GET /ws HTTP/1.1\r\nHost: a.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") {
		t.Fatalf("upgrade answered %s %v", resp.Status, resp.Header)
	}
	for _, msg := range []string{"hello", "websocket frames pass both ways"} {
		if _, err := conn.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, len(msg))
		if _, err := io.ReadFull(br, buf); err != nil {
			t.Fatal(err)
		}
		if string(buf) != msg {
			t.Errorf("echo = %q, want %q", buf, msg)
		}
	}
}
