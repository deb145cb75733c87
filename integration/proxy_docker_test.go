package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// TestServiceProxyOnDocker runs three servers and three Docker clients that share
// one pod network, with the service proxy on, and checks Services from inside pods
// and from the host: a ClusterIP and a NodePort reach every ready backend evenly,
// ClientIP affinity sticks, a backend reaches its own service (hairpin), a Service
// without endpoints refuses, an unready backend leaves the rotation within 2 s, and
// `berth client --cleanup` removes the rules.
func TestServiceProxyOnDocker(t *testing.T) {
	c, cidr, agents := startProxyCluster(t, 3, "bpx", []string{"n1", "n2", "n3"})
	ns := testNamespace(t, c)
	s1 := c.nodes[0]
	nodePort := 30000 + rand.IntN(2700)
	applyYAML(t, s1, ns, proxyManifest(nodePort))
	backends := waitReadyPods(t, c, ns, "app=web", 3, 120*time.Second)
	if m, _ := perNode(backends); len(m) != 3 {
		t.Fatalf("backends on %v, want one per node", m)
	}
	probe := waitPod(t, c, ns, "probe", 60*time.Second, func(p *api.Pod) error {
		if !isReady(p) {
			return fmt.Errorf("not ready: %s", describePods([]*api.Pod{p}))
		}
		return nil
	})
	names := map[string]bool{}
	for _, p := range backends {
		names[p.Name] = true
	}
	webIP := serviceIP(t, c, ns, "web")
	waitEndpoints(t, c, ns, "web", 3)
	probeIP := probe.Status.PodIP
	// Every client rewrites the shared rules on its own watch events: measure once
	// they all hold the three endpoints.
	waitFor(t, 20*time.Second, "every backend behind the cluster IP", func() error {
		counts, err := trySpread(t, probeIP, "http://"+webIP+"/", 30)
		if err == nil && len(counts) != 3 {
			err = fmt.Errorf("answers %v", counts)
		}
		return err
	})

	t.Run("cluster IP reaches every backend evenly from a pod", func(t *testing.T) {
		counts := spread(t, probeIP, "http://"+webIP+"/", 300)
		checkEven(t, counts, names, 300)
	})

	t.Run("node port reaches every backend from a pod", func(t *testing.T) {
		// The bridge's gateway is an address of the host, so of every node on it.
		gw := gateway(t, cidr)
		counts := spread(t, probeIP, fmt.Sprintf("http://%s:%d/", gw, nodePort), 300)
		checkEven(t, counts, names, 300)
	})

	t.Run("node port on each node's InternalIP from the host", func(t *testing.T) {
		for _, a := range agents {
			host, err := getHostname(fmt.Sprintf("http://%s:%d/", a.ip, nodePort))
			if err != nil || !names[host] {
				t.Errorf("node port on %s (%s): %q, %v", a.name, a.ip, host, err)
			}
		}
	})

	t.Run("ClientIP affinity sticks to one backend", func(t *testing.T) {
		counts := spread(t, probeIP, "http://"+serviceIP(t, c, ns, "sticky")+"/", 30)
		if len(counts) != 1 {
			t.Errorf("sticky service answered from %v, want one backend", counts)
		}
	})

	t.Run("hairpin: a backend reaches its own service", func(t *testing.T) {
		self := backends[0]
		counts := spread(t, self.Status.PodIP, "http://"+webIP+"/", 60)
		if counts[self.Name] == 0 {
			t.Errorf("%s never reached itself through the service: %v", self.Name, counts)
		}
	})

	t.Run("a service without endpoints refuses", func(t *testing.T) {
		status, body := fetch(t, probeIP, "http://"+serviceIP(t, c, ns, "nobody")+"/")
		if status != http.StatusBadGateway || !strings.Contains(body, "connection refused") {
			t.Errorf("fetch = %d %q, want 502 connection refused (REJECT)", status, body)
			t.Logf("the host's REJECT and FORWARD rules:\n%s\n%s", grepLines(iptablesSave(t), "REJECT"), grepLines(iptablesSave(t), "FORWARD"))
		}
	})

	t.Run("an unready backend leaves the rotation within 2s", func(t *testing.T) {
		victim := backends[1]
		post(t, victim.Status.PodIP, "/fail/readiness")
		start := time.Now()
		lastSeen, clean := start, 0
		for clean < 60 {
			if time.Since(start) > 10*time.Second {
				t.Fatalf("%s still answers 10s after failing readiness", victim.Name)
			}
			if host := fetchHostname(t, probeIP, "http://"+webIP+"/"); host == victim.Name {
				lastSeen, clean = time.Now(), 0
			} else {
				clean++
			}
		}
		if d := lastSeen.Sub(start); d > 2*time.Second {
			t.Errorf("%s answered %v after failing readiness, want under 2s", victim.Name, d)
		}
		t.Logf("%s last answered %v after failing readiness", victim.Name, lastSeen.Sub(start).Round(time.Millisecond))
		post(t, victim.Status.PodIP, "/recover")
		waitFor(t, 15*time.Second, victim.Name+" back in rotation", func() error {
			counts, err := trySpread(t, probeIP, "http://"+webIP+"/", 30)
			if err == nil && counts[victim.Name] == 0 {
				err = fmt.Errorf("answers %v", counts)
			}
			return err
		})
	})

	t.Run("berth client --cleanup removes the rules", func(t *testing.T) {
		for _, a := range agents {
			a.kill(t) // or a sync could write them again
		}
		marker := `"berth cluster ` + cidr + `"`
		if !strings.Contains(iptablesSave(t), marker) {
			t.Fatalf("no rule of this cluster before --cleanup")
		}
		if out, err := exec.Command(berthBin, "client", "--cleanup").CombinedOutput(); err != nil {
			t.Fatalf("berth client --cleanup: %v\n%s", err, out)
		}
		if save := iptablesSave(t); strings.Contains(save, marker) || strings.Contains(save, ":BERTH-") {
			t.Errorf("berth chains left after --cleanup:\n%s", grepLines(save, "BERTH-"))
		}
	})
}

// proxyManifest is three demo backends (one per node), a probe pod to send requests
// from, and the Services under test.
func proxyManifest(nodePort int) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector: {matchLabels: {app: web}}
            topologyKey: kubernetes.io/hostname
      containers:
      - name: app
        image: %[1]s
        imagePullPolicy: Never
        args: ["demo", "--port", "8080"]
        readinessProbe:
          httpGet: {path: /readyz, port: 8080}
          periodSeconds: 1
          failureThreshold: 1
---
apiVersion: v1
kind: Pod
metadata: {name: probe, labels: {app: probe}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: app, image: %[1]s, imagePullPolicy: Never, args: ["demo", "--port", "8080"]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-np}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080, nodePort: %[2]d}]
---
apiVersion: v1
kind: Service
metadata: {name: sticky}
spec:
  selector: {app: web}
  sessionAffinity: ClientIP
  sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: nobody}
spec:
  selector: {app: nobody}
  ports: [{port: 80, targetPort: 8080}]
`, demoImage, nodePort)
}

// serviceIP waits for the Service's cluster IP.
func serviceIP(t *testing.T, c *cluster, ns, name string) string {
	t.Helper()
	var ip string
	waitFor(t, 10*time.Second, "cluster IP of "+name, func() error {
		obj, err := c.anyClient(t).Get(context.Background(), mustResource("Service"), ns, name, api.GetOptions{})
		if err != nil {
			return err
		}
		ip = obj.(*api.Service).Spec.ClusterIP
		if net.ParseIP(ip) == nil {
			return fmt.Errorf("clusterIP %q", ip)
		}
		return nil
	})
	return ip
}

// waitEndpoints waits until the Endpoints of name list n ready addresses.
func waitEndpoints(t *testing.T, c *cluster, ns, name string, n int) {
	t.Helper()
	waitFor(t, 20*time.Second, fmt.Sprintf("%d endpoints of %s", n, name), func() error {
		obj, err := c.anyClient(t).Get(context.Background(), mustResource("Endpoints"), ns, name, api.GetOptions{})
		if err != nil {
			return err
		}
		got := 0
		for _, s := range obj.(*api.Endpoints).Subsets {
			got += len(s.Addresses)
		}
		if got != n {
			return fmt.Errorf("%d ready addresses", got)
		}
		return nil
	})
}

// demoHTTP talks to the demo pods from the host.
var demoHTTP = &http.Client{Timeout: 10 * time.Second}

// fetch asks the demo in the pod at podIP to GET target from inside the pod
// network, and returns the status and body the pod saw (502 and the error when
// the request failed).
func fetch(t *testing.T, podIP, target string) (int, string) {
	t.Helper()
	resp, err := demoHTTP.Get("http://" + podIP + ":8080/fetch?url=" + url.QueryEscape(target))
	if err != nil {
		t.Fatalf("fetch through %s: %v", podIP, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, string(b)
	}
	var out struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("fetch through %s: %v in %q", podIP, err, b)
	}
	return out.Status, out.Body
}

// fetchHostname is the hostname of the demo that answered target, fetched from
// the pod at podIP.
func fetchHostname(t *testing.T, podIP, target string) string {
	t.Helper()
	status, body := fetch(t, podIP, target)
	if status != http.StatusOK {
		t.Fatalf("fetch %s from %s: %d %s", target, podIP, status, body)
	}
	return hostnameOf(t, body)
}

func hostnameOf(t *testing.T, body string) string {
	t.Helper()
	var echo struct {
		Hostname string `json:"hostname"`
	}
	if err := json.Unmarshal([]byte(body), &echo); err != nil || echo.Hostname == "" {
		t.Fatalf("not a demo answer: %q (%v)", body, err)
	}
	return echo.Hostname
}

// spread fetches target n times from the pod at podIP and counts the answering
// hostnames.
func spread(t *testing.T, podIP, target string, n int) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for range n {
		counts[fetchHostname(t, podIP, target)]++
	}
	return counts
}

// trySpread is spread for a wait loop: an answer other than a demo's is an error
// to retry, not a failure. The clients of startProxyCluster share one host's
// rules, and one that has not seen the endpoints yet writes the Service's
// REJECT over the others' chains until its watch catches up.
func trySpread(t *testing.T, podIP, target string, n int) (map[string]int, error) {
	t.Helper()
	counts := map[string]int{}
	for range n {
		status, body := fetch(t, podIP, target)
		if status != http.StatusOK {
			return counts, fmt.Errorf("fetch %s from %s: %d %s", target, podIP, status, body)
		}
		counts[hostnameOf(t, body)]++
	}
	return counts, nil
}

// checkEven wants every backend in counts, each with at least half its fair share
// (the chance of less, with n=300 and 3 backends, is below one in a million).
func checkEven(t *testing.T, counts map[string]int, backends map[string]bool, n int) {
	t.Helper()
	for name := range counts {
		if !backends[name] {
			t.Errorf("answered by %s, not a backend: %v", name, counts)
		}
	}
	for name := range backends {
		if counts[name] < n/len(backends)/2 {
			t.Errorf("%s answered %d of %d: %v", name, counts[name], n, counts)
		}
	}
	t.Logf("answers: %v", counts)
}

// getHostname GETs target from the host on a new connection.
func getHostname(target string) (string, error) {
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(target)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var echo struct {
		Hostname string `json:"hostname"`
	}
	err = json.NewDecoder(resp.Body).Decode(&echo)
	return echo.Hostname, err
}

// post sends a POST to a demo pod.
func post(t *testing.T, podIP, path string) {
	t.Helper()
	resp, err := demoHTTP.Post("http://"+podIP+":8080"+path, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s to %s: %s", path, podIP, resp.Status)
	}
}

// gateway is the first address of the cluster CIDR, the shared bridge's own.
func gateway(t *testing.T, cidr string) string {
	t.Helper()
	ip, _, err := net.ParseCIDR(cidr)
	if err != nil || ip.To4() == nil {
		t.Fatalf("cluster CIDR %q", cidr)
	}
	v := ip.To4()
	return net.IPv4(v[0], v[1], v[2], v[3]+1).String()
}

func iptablesSave(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("iptables-save").Output()
	if err != nil {
		t.Fatalf("iptables-save: %v", err)
	}
	return string(out)
}

func grepLines(s, sub string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// startProxyCluster skips unless Docker is there and the test runs as root, builds
// the demo image, and runs servers servers and a Docker client per name, all on
// one pod network (--shared-pod-network) with the service proxy on and the extra
// flags. The network is named prefix and the process id: at most 15 characters, as
// the bridge is named after it. It returns the cluster CIDR and the clients; their
// iptables rules are removed after they are killed.
func startProxyCluster(t *testing.T, servers int, prefix string, names []string, extra ...string) (*cluster, string, []*agent) {
	t.Helper()
	needDocker(t)
	if os.Geteuid() != 0 {
		t.Skip("the service proxy programs iptables: run as root")
	}
	buildDemoImage(t)
	c := newCluster(t, servers)
	st, err := status(context.Background(), c.nodes[0])
	if err != nil || st.ClusterCIDR == "" {
		t.Fatalf("GET /v1/status: %+v, %v (want the cluster CIDR)", st, err)
	}
	cidr := st.ClusterCIDR
	// Registered before the agents, so it runs after they are killed: nothing
	// re-adds the rules it removes.
	t.Cleanup(func() { removeProxyRules(t, cidr) })
	network := fmt.Sprintf("%s%d", prefix, os.Getpid()%100000)
	var agents []*agent
	for _, name := range names {
		agents = append(agents, c.startAgentWith(t, name, "docker", agentOptions{
			network: network, extra: append([]string{"--proxy", "--shared-pod-network"}, extra...),
		}))
	}
	return c, cidr, agents
}

// removeProxyRules deletes the iptables chains of the cluster whose pods use cidr,
// and every jump into them: the harness kills clients, and their rules would
// outlive the test. The chains are BERTH-TAG-…, TAG read off the jumps that carry
// the cluster's comment.
func removeProxyRules(t testing.TB, cidr string) {
	save := iptablesSave(t)
	marker := `"berth cluster ` + cidr + `"`
	prefix := ""
	for _, l := range strings.Split(save, "\n") {
		if f := strings.Fields(l); strings.Contains(l, marker) && len(f) > 1 {
			if parts := strings.SplitN(f[len(f)-1], "-", 3); len(parts) == 3 {
				prefix = parts[0] + "-" + parts[1] + "-"
			}
		}
	}
	if prefix == "" {
		return
	}
	var b strings.Builder
	for _, table := range strings.Split(save, "\n*")[1:] {
		name, body, _ := strings.Cut(table, "\n")
		var chains, dels []string
		for _, l := range strings.Split(body, "\n") {
			switch {
			case strings.HasPrefix(l, ":"+prefix):
				chains = append(chains, strings.Fields(l[1:])[0])
			case strings.HasPrefix(l, "-A ") && strings.Contains(l, "-j "+prefix) && !strings.HasPrefix(l, "-A "+prefix):
				dels = append(dels, "-D"+l[2:])
			}
		}
		if len(chains)+len(dels) == 0 {
			continue
		}
		b.WriteString("*" + strings.TrimPrefix(name, "*") + "\n")
		for _, c := range chains {
			b.WriteString(":" + c + " - [0:0]\n")
		}
		for _, d := range dels {
			b.WriteString(d + "\n")
		}
		for _, c := range chains {
			b.WriteString("-X " + c + "\n")
		}
		b.WriteString("COMMIT\n")
	}
	cmd := exec.Command("iptables-restore", "-w", "5", "--noflush")
	cmd.Stdin = strings.NewReader(b.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("removing the proxy rules of %s: %v\n%s", cidr, err, out)
	}
}
