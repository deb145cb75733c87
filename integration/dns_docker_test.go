package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestPodDNSOnDocker: a pod on a client with --dns resolves services by their short,
// namespaced and full names through its own resolv.conf (the node-local DNS on the
// pod network's gateway, the search list, ndots:5), a StatefulSet-style
// hostname.subdomain, and a name outside the cluster through the upstream.
func TestPodDNSOnDocker(t *testing.T) {
	buildDemoImage(t)
	up := startFakeResolver(t)
	c := newCluster(t, 1)
	a := c.startAgentWith(t, "node-dns", "docker", agentOptions{
		extra: []string{"--dns", "--dns-port", "-1", "--dns-upstream", up.addr},
	})
	ns := testNamespace(t, c)
	applyYAML(t, c.nodes[0], ns, fmt.Sprintf(`
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  clusterIP: 10.96.53.20
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  ports: [{name: pg, port: 5432}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: db}
subsets:
- addresses: [{ip: 10.53.2.7, hostname: db-0}]
  ports: [{name: pg, port: 5432}]
---
apiVersion: v1
kind: Pod
metadata: {name: asker}
spec:
  nodeName: %s
  containers:
  - name: demo
    image: %s
    imagePullPolicy: Never
    args: ["demo", "--port", "8080"]
`, a.name, demoImage))
	pod := waitPod(t, c, ns, "asker", 60*time.Second, running)
	base := "http://" + pod.Status.PodIP + ":8080"

	// Running means started; the demo server listens a moment later.
	var body string
	waitFor(t, 10*time.Second, "the pod's resolv.conf", func() error {
		code, b, err := tryGet(base + "/file?path=/etc/resolv.conf")
		if err == nil && code != 200 {
			err = fmt.Errorf("%d %s", code, b)
		}
		body = b
		return err
	})
	for _, want := range []string{"search " + ns + ".svc.cluster.local svc.cluster.local cluster.local", "ndots:5"} {
		if !strings.Contains(body, want) {
			t.Errorf("the pod's resolv.conf lacks %q:\n%s", want, body)
		}
	}

	tests := []struct {
		name string
		want string
	}{
		{name: "web", want: "10.96.53.20"},
		{name: "web." + ns, want: "10.96.53.20"},
		{name: "web." + ns + ".svc", want: "10.96.53.20"},
		{name: "web." + ns + ".svc.cluster.local", want: "10.96.53.20"},
		{name: "db-0.db", want: "10.53.2.7"},
		{name: "www.example.org", want: "93.184.216.34"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The node-local copy may not have the services the moment the pod runs.
			waitFor(t, 20*time.Second, "the pod to resolve "+tt.name, func() error {
				code, body, err := tryGet(base + "/resolve?name=" + url.QueryEscape(tt.name))
				if err != nil {
					return err
				}
				var r struct {
					Addrs []string
					Error string
				}
				if err := json.Unmarshal([]byte(body), &r); err != nil {
					return fmt.Errorf("%d %s", code, body)
				}
				if !slices.Contains(r.Addrs, tt.want) {
					return fmt.Errorf("addrs %v, error %q", r.Addrs, r.Error)
				}
				return nil
			})
		})
	}
	code, body := podHTTP(t, "GET", base+"/resolve?name=nope."+ns, "")
	if code != 502 || !strings.Contains(body, "no such host") {
		t.Errorf("an unknown service resolved: %d %s", code, body)
	}
}

// tryGet is one GET with a short timeout; unlike podHTTP it returns the error.
func tryGet(url string) (int, string, error) {
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}
