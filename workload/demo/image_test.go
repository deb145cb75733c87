package demo

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestImageServesRoot builds berth/demo:dev with scripts/images.sh, runs it the way
// the node agent will (labelled as Berth's, port published on loopback) and asks it
// who it is. It skips where there is no Docker engine.
func TestImageServesRoot(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an image; not in -short")
	}
	if _, err := os.Stat("/var/run/docker.sock"); err != nil {
		t.Skip("no Docker engine at /var/run/docker.sock")
	}
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("no docker CLI")
	}
	script, err := filepath.Abs("../../scripts/images.sh")
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(mustRun(t, script))
	if !strings.HasPrefix(id, "sha256:") {
		t.Fatalf("images.sh printed %q, want an image id", id)
	}
	cid := strings.TrimSpace(mustRun(t, "docker", "run", "-d",
		"--label", "io.berth.managed=true", "-p", "127.0.0.1::8080", "berth/demo:dev"))
	t.Cleanup(func() {
		if out, err := exec.Command("docker", "rm", "-f", cid).CombinedOutput(); err != nil {
			t.Errorf("docker rm %s: %v: %s", cid, err, out)
		}
	})
	hostPort := strings.TrimSpace(strings.Split(mustRun(t, "docker", "port", cid, "8080/tcp"), "\n")[0])

	var got echoReply
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := getJSON("http://"+hostPort+"/", &got)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			logs, _ := exec.Command("docker", "logs", cid).CombinedOutput()
			t.Fatalf("GET / on %s: %v; container logs:\n%s", hostPort, err, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.HasPrefix(cid, got.Hostname) || got.PodIP == "" || got.Path != "/" {
		t.Fatalf("reply %+v: want hostname a prefix of %s, a pod IP and path /", got, cid)
	}
}

func getJSON(url string, v any) error {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

// mustRun runs a command and returns its stdout, failing the test with its stderr.
func mustRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}
