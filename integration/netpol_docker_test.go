package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// TestNetworkPolicyOnDocker runs one server and two Docker clients sharing a
// pod network, with the service proxy and network policies on, and checks from
// inside pods: with no policy everyone reaches db; a default deny of ingress
// for app=db cuts everyone off; allowing app=api of the same namespace (on a
// named port) lets both api pods in, on db's node and on the other, and keeps
// the web pod and an app=api pod of another namespace out, by pod IP and by
// the Service's ClusterIP; deleting the policies reopens db; an egress policy
// on the web pod (everywhere but db) blocks it from db's Service and nothing
// else. Every change lands within a second.
func TestNetworkPolicyOnDocker(t *testing.T) {
	c, _, _ := startProxyCluster(t, 1, "bnp", []string{"n1", "n2"}, "--network-policy")
	ns, otherNS := testNamespace(t, c), testNamespace(t, c)
	s1 := c.nodes[0]
	applyYAML(t, s1, ns, netpolPod("db", "db", "n1")+netpolPod("api", "api", "n1")+netpolPod("api-2", "api", "n2")+
		netpolPod("web", "web", "n2")+"---\napiVersion: v1\nkind: Service\nmetadata: {name: db}\n"+
		"spec: {selector: {app: db}, ports: [{port: 80, targetPort: 8080}]}\n")
	applyYAML(t, s1, otherNS, netpolPod("api-x", "api", "n1"))
	ip := map[string]string{}
	for _, p := range append(waitReadyPods(t, c, ns, "app", 4, 120*time.Second), waitReadyPods(t, c, otherNS, "app", 1, 120*time.Second)...) {
		ip[p.Name] = p.Status.PodIP
	}
	waitEndpoints(t, c, ns, "db", 1)
	dbPod, dbSvc := "http://"+ip["db"]+":8080/", "http://"+serviceIP(t, c, ns, "db")+"/"
	waitFor(t, 10*time.Second, "the db service from a pod", func() error {
		if !reaches(ip["web"], dbSvc) {
			return fmt.Errorf("web does not reach %s", dbSvc)
		}
		return nil
	})
	// expect checks, in parallel, whether each pod reaches target.
	expect := func(step, target string, want map[string]bool) {
		t.Helper()
		got := map[string]bool{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for from := range want {
			wg.Go(func() {
				ok := reaches(ip[from], target)
				mu.Lock()
				got[from] = ok
				mu.Unlock()
			})
		}
		wg.Wait()
		for from, w := range want {
			if got[from] != w {
				t.Errorf("%s: %s reaches %s = %v, want %v", step, from, target, got[from], w)
			}
		}
	}
	everyone := func(v bool) map[string]bool { return map[string]bool{"api": v, "api-2": v, "web": v, "api-x": v} }
	client := c.anyClient(t)
	npRes := mustResource("NetworkPolicy")

	t.Run("no policy: everyone reaches db", func(t *testing.T) {
		// A pod that has just become Ready on the other node may take a moment to be
		// reachable across the bridge; the open state is the precondition here.
		waitFor(t, 15*time.Second, "every pod reaches db", func() error {
			for from := range everyone(true) {
				if !reaches(ip[from], dbPod) {
					return fmt.Errorf("%s does not reach %s yet", from, dbPod)
				}
			}
			return nil
		})
		expect("no policy", dbPod, everyone(true))
	})

	t.Run("default deny ingress for app=db", func(t *testing.T) {
		d := switchTime(t, ip["api"], dbPod, false, func() { createPolicy(t, client, ns, netpolDeny) })
		expect("default deny", dbPod, everyone(false))
		expect("default deny", dbSvc, map[string]bool{"api": false, "web": false})
		t.Logf("default deny in force %v after the create", d.Round(time.Millisecond))
	})

	t.Run("allow from app=api of the same namespace", func(t *testing.T) {
		d := switchTime(t, ip["api"], dbPod, true, func() { createPolicy(t, client, ns, netpolAllowAPI) })
		expect("allow app=api", dbPod, map[string]bool{"api": true, "api-2": true, "web": false, "api-x": false})
		expect("allow app=api", dbSvc, map[string]bool{"api": true, "api-2": true, "web": false, "api-x": false})
		t.Logf("allow in force %v after the create", d.Round(time.Millisecond))
		out := mustCLI(t, s1, "get", "netpol", "-n", ns)
		if !strings.Contains(out, "allow-api   app=db") {
			t.Errorf("berth get netpol:\n%s", out)
		}
	})

	t.Run("deleting the policies reopens db", func(t *testing.T) {
		d := switchTime(t, ip["web"], dbPod, true, func() {
			for _, name := range []string{"deny", "allow-api"} {
				if _, err := client.Delete(context.Background(), npRes, ns, name, api.DeleteOptions{}); err != nil {
					t.Fatal(err)
				}
			}
		})
		expect("no policy again", dbSvc, everyone(true))
		t.Logf("db open %v after the deletes", d.Round(time.Millisecond))
	})

	t.Run("an egress policy keeps web from db's service", func(t *testing.T) {
		d := switchTime(t, ip["web"], dbSvc, false, func() {
			createPolicy(t, client, ns, strings.ReplaceAll(netpolWebEgress, "DB_IP", ip["db"]))
		})
		expect("web egress", dbSvc, map[string]bool{"web": false, "api": true, "api-2": true})
		expect("web egress", "http://"+ip["api"]+":8080/", map[string]bool{"web": true})
		t.Logf("egress policy in force %v after the create", d.Round(time.Millisecond))
	})
}

// netpolPod is a demo pod labelled app=app on node, its port named "http".
func netpolPod(name, app, node string) string {
	return fmt.Sprintf(`---
apiVersion: v1
kind: Pod
metadata: {name: %s, labels: {app: %s}}
spec:
  nodeName: %s
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: %s
    imagePullPolicy: Never
    args: ["demo", "--port", "8080"]
    ports: [{name: http, containerPort: 8080}]
`, name, app, node, demoImage)
}

const (
	netpolDeny = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
`
	netpolAllowAPI = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-api}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}]
    ports: [{port: http}]
`
	netpolWebEgress = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-egress}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [DB_IP/32]}}]
`
)

func createPolicy(t *testing.T, c *api.Client, ns, manifest string) {
	t.Helper()
	obj, _, err := api.DecodeObject([]byte(manifest))
	if err != nil {
		t.Fatal(err)
	}
	obj.GetObjectMeta().Namespace = ns
	if _, err := c.Create(context.Background(), obj); err != nil {
		t.Fatalf("create %s: %v", obj.GetObjectMeta().Name, err)
	}
}

// blockedAfter is how long a fetch may take before it counts as timed out: a
// dropped SYN is first sent again after 1 s.
const blockedAfter = 1500 * time.Millisecond

// reaches asks the demo in the pod at podIP to GET target, and reports whether
// it got an answer before blockedAfter.
func reaches(podIP, target string) bool {
	ok, _ := tryFetch(podIP, target)
	return ok
}

func tryFetch(podIP, target string) (bool, time.Duration) {
	start := time.Now()
	hc := &http.Client{Timeout: blockedAfter, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.Get("http://" + podIP + ":8080/fetch?url=" + url.QueryEscape(target))
	if err != nil {
		return false, time.Since(start)
	}
	defer resp.Body.Close()
	var out struct {
		Status int `json:"status"`
	}
	b, _ := io.ReadAll(resp.Body)
	ok := resp.StatusCode == http.StatusOK && json.Unmarshal(b, &out) == nil && out.Status == http.StatusOK
	return ok, time.Since(start)
}

// switchTime fetches target from the pod at podIP every 50 ms, each on a new
// connection; once two answers are not want it runs change, then waits until
// the last six answers are all want. It returns how long after change began
// the answer switched: for a block, when the last fetch that still passed
// began; for an opening, when the first that passed at once (its first SYN
// let through) began. More than a second is an error.
func switchTime(t *testing.T, podIP, target string, want bool, change func()) time.Duration {
	t.Helper()
	type attempt struct {
		start time.Time
		ok    bool
		took  time.Duration
	}
	var mu sync.Mutex
	var attempts []attempt
	var wg sync.WaitGroup
	stop := make(chan struct{})
	defer wg.Wait()
	defer close(stop)
	wg.Go(func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				wg.Go(func() {
					start := time.Now()
					ok, took := tryFetch(podIP, target)
					mu.Lock()
					attempts = append(attempts, attempt{start, ok, took})
					mu.Unlock()
				})
			}
		}
	})
	var done []attempt
	// Two answers first, to see the change make a difference.
	waitFor(t, 10*time.Second, fmt.Sprintf("%s from %s reachable=%v before the change", target, podIP, !want), func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(attempts) < 2 {
			return fmt.Errorf("%d fetches done", len(attempts))
		}
		for _, a := range attempts {
			if a.ok == want {
				return fmt.Errorf("reachable=%v already", want)
			}
		}
		return nil
	})
	t0 := time.Now()
	change()
	waitFor(t, 10*time.Second, fmt.Sprintf("%s from %s reachable=%v", target, podIP, want), func() error {
		mu.Lock()
		done = append(done[:0], attempts...)
		mu.Unlock()
		slices.SortFunc(done, func(a, b attempt) int { return a.start.Compare(b.start) })
		if len(done) < 6 {
			return fmt.Errorf("%d fetches done", len(done))
		}
		for _, a := range done[len(done)-6:] {
			if a.ok != want {
				return fmt.Errorf("a fetch %v after the change gave %v", a.start.Sub(t0).Round(time.Millisecond), a.ok)
			}
		}
		return nil
	})
	switched := time.Duration(-1)
	for _, a := range done {
		d := a.start.Sub(t0)
		switch {
		case !want && a.ok && d > switched:
			switched = d
		case want && a.ok && a.took < 500*time.Millisecond && (switched < 0 || d < switched):
			switched = d
		}
	}
	if switched < 0 {
		switched = 0 // blocked from the first fetch
	}
	if switched > time.Second {
		t.Errorf("%s from %s switched to reachable=%v after %v, want within 1s", target, podIP, want, switched)
	}
	return switched
}
