package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// podHTTP sends a request to a pod's IP from the host and returns status and body.
func podHTTP(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestTwoContainerPodOnDocker: both containers of a pod run and talk over localhost,
// the pod IP answers from the host, a file one writes to an emptyDir the other reads,
// and it survives a crash and restart of the writer.
func TestTwoContainerPodOnDocker(t *testing.T) {
	buildDemoImage(t)
	c := newCluster(t, 1)
	a := c.startAgent(t, "node-a", "docker")
	ns := testNamespace(t, c)
	applyYAML(t, c.nodes[0], ns, fmt.Sprintf(`
apiVersion: v1
kind: Pod
metadata: {name: duo}
spec:
  nodeName: %s
  volumes: [{name: shared, emptyDir: {}}]
  containers:
  - name: writer
    image: %s
    imagePullPolicy: Never
    args: ["demo", "--port", "8080"]
    volumeMounts: [{name: shared, mountPath: /data}]
  - name: reader
    image: %s
    imagePullPolicy: Never
    args: ["demo", "--port", "8081"]
    volumeMounts: [{name: shared, mountPath: /data}]
`, a.name, demoImage, demoImage))
	pod := waitPod(t, c, ns, "duo", 60*time.Second, running)
	ip := pod.Status.PodIP
	nodeObj, err := c.anyClient(t).Get(context.Background(), mustResource("Node"), "", a.name, api.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cidr := netip.MustParsePrefix(nodeObj.(*api.Node).Spec.PodCIDR); ip == "" || !cidr.Contains(netip.MustParseAddr(ip)) {
		t.Fatalf("pod IP %q is not in the node's pod CIDR %s", ip, cidr)
	}
	writer, reader := "http://"+ip+":8080", "http://"+ip+":8081"

	// The pod IP answers from the host, with the pod's name as hostname.
	code, body := podHTTP(t, "GET", writer+"/", "")
	var echo struct{ Hostname, PodIP string }
	if code != 200 || json.Unmarshal([]byte(body), &echo) != nil || echo.PodIP != ip {
		t.Fatalf("GET / on the pod IP: %d %s", code, body)
	}
	// Localhost inside the pod reaches the other container (once it listens: Running
	// means started, and the pod has no readiness probe).
	waitFor(t, 10*time.Second, "writer → localhost:8081", func() error {
		code, body := podHTTP(t, "GET", writer+"/fetch?url=http://localhost:8081/healthz", "")
		if code != 200 || !strings.Contains(body, `"status": 200`) {
			return fmt.Errorf("%d %s", code, body)
		}
		return nil
	})
	// The emptyDir is shared.
	if code, body = podHTTP(t, "POST", writer+"/file?path=/data/note", "kept across restarts"); code != 200 {
		t.Fatalf("write: %d %s", code, body)
	}
	if code, body = podHTTP(t, "GET", reader+"/file?path=/data/note", ""); code != 200 || body != "kept across restarts" {
		t.Fatalf("read from the other container: %d %q", code, body)
	}
	// Crash the writer: it is restarted (restartPolicy Always) and the file is still there.
	podHTTP(t, "POST", writer+"/exit?code=3", "")
	waitPod(t, c, ns, "duo", 60*time.Second, func(p *api.Pod) error {
		for _, cs := range p.Status.ContainerStatuses {
			if cs.Name == "writer" && (cs.RestartCount < 1 || cs.State.Running == nil) {
				return fmt.Errorf("writer: restarts %d, state %+v", cs.RestartCount, cs.State)
			}
		}
		return running(p)
	})
	waitFor(t, 20*time.Second, "the restarted writer to serve", func() error {
		resp, err := (&http.Client{Timeout: time.Second}).Get(writer + "/file?path=/data/note")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if string(b) != "kept across restarts" {
			return fmt.Errorf("after restart: %d %q", resp.StatusCode, b)
		}
		return nil
	})
}
