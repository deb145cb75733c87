package integration

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// The agent's restart safety, logs/exec through a follower and many pods, on this
// machine's Docker engine.

// agentPod is a one-container demo pod bound to node; extra is appended to the
// pod's spec (indented two spaces) and args are the demo's arguments.
func agentPod(name, node, args, extra string) string {
	return fmt.Sprintf(`---
apiVersion: v1
kind: Pod
metadata: {name: %s}
spec:
  nodeName: %s
  terminationGracePeriodSeconds: 2
%s  containers:
  - name: demo
    image: %s
    imagePullPolicy: Never
    args: %s
`, name, node, extra, demoImage, args)
}

// TestAgentRestartAdopts: kill -9 of the agent while pods run and a restart adopt
// them (no container restarted, statuses right); a pod deleted while the agent is
// down is cleaned up when it returns, one force-deleted too, and a container killed
// meanwhile is restarted per its policy.
func TestAgentRestartAdopts(t *testing.T) {
	buildDemoImage(t)
	// The agent stays down longer than the default 5 s eviction timeout: its bare
	// pods must survive that (adoption is under test, not node lifecycle).
	c := newCluster(t, 1, "--pod-eviction-timeout", "1m")
	a := c.startAgent(t, "node-r", "docker")
	ns := testNamespace(t, c)
	vol := "  volumes: [{name: scratch, emptyDir: {}}]\n"
	applyYAML(t, c.nodes[0], ns, fmt.Sprintf(`
apiVersion: v1
kind: Pod
metadata: {name: keep}
spec:
  nodeName: %s
  volumes: [{name: shared, emptyDir: {}}]
  containers:
  - {name: one, image: %s, imagePullPolicy: Never, args: [demo, --port, "8080"], volumeMounts: [{name: shared, mountPath: /data}]}
  - {name: two, image: %s, imagePullPolicy: Never, args: [demo, --port, "8081"]}
`, a.name, demoImage, demoImage)+
		agentPod("victim", a.name, "[demo]", vol)+
		agentPod("ghost", a.name, "[demo]", vol)+
		agentPod("crasher", a.name, "[demo]", ""))
	pods := []string{"keep", "victim", "ghost", "crasher"}
	for _, p := range pods {
		waitPod(t, c, ns, p, 60*time.Second, running)
	}
	before := engineState(t, ns)
	if len(before) != 9 { // 4 sandboxes, 5 app containers
		t.Fatalf("engine objects of the namespace: %v, want 4 sandboxes and 5 containers", before)
	}
	for key, o := range before {
		if !o.running {
			t.Fatalf("%s is not running: %+v", key, o)
		}
	}

	// kill -9 and start again: everything is adopted as it runs.
	restartAgent(t, c, a, nil)
	// A pod created after the restart running means the agent is past its start-up,
	// whose first syncs of the adopted pods would have restarted anything they meant to.
	applyYAML(t, c.nodes[0], ns, agentPod("later", a.name, "[demo]", ""))
	waitPod(t, c, ns, "later", 60*time.Second, running)
	after := engineState(t, ns)
	if len(after) != len(before)+2 { // and the sandbox and container of "later"
		t.Errorf("engine containers after the agent restart: %v, before %v", after, before)
	}
	for key, want := range before {
		if got := after[key]; got != want {
			t.Errorf("%s after the agent restart: %+v, before %+v", key, got, want)
		}
	}
	for _, p := range pods {
		waitPod(t, c, ns, p, 20*time.Second, statusMatches(before, 0))
	}

	// Down again: a graceful delete stays Terminating, a force delete removes the
	// object at once, and a container is killed behind the agent's back.
	victim, ghost := podNow(t, c, ns, "victim"), podNow(t, c, ns, "ghost")
	restartAgent(t, c, a, func() {
		if _, err := c.anyClient(t).Delete(context.Background(), mustResource("Pod"), ns, "victim", api.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		if p := podNow(t, c, ns, "victim"); p.DeletionTimestamp == nil {
			t.Fatalf("victim after a delete while its agent is down: %+v", p.ObjectMeta)
		}
		forceDelete(t, c, ns, "ghost")
		dockerCLI(t, "kill", before["crasher/demo/0"].id)
		waitFor(t, 10*time.Second, "the killed container to stop", func() error {
			if s := dockerCLI(t, "inspect", "-f", "{{.State.Running}}", before["crasher/demo/0"].id); s != "false" {
				return fmt.Errorf("running: %s", s)
			}
			return nil
		})
	})
	waitFor(t, 60*time.Second, "victim's object to go", func() error {
		_, err := c.anyClient(t).Get(context.Background(), mustResource("Pod"), ns, "victim", api.GetOptions{})
		if api.ReasonOf(err) == api.ReasonNotFound {
			return nil
		}
		return fmt.Errorf("still there: %v", err)
	})
	for _, p := range []*api.Pod{victim, ghost} {
		waitFor(t, 30*time.Second, p.Name+"'s engine objects to go", func() error {
			return noEngineObjects(t, "io.berth.pod.uid="+p.UID, "")
		})
	}
	back := time.Now()
	waitPod(t, c, ns, "crasher", 60*time.Second, func(p *api.Pod) error {
		if cs := p.Status.ContainerStatuses; len(cs) != 1 || cs[0].RestartCount != 1 {
			return fmt.Errorf("statuses %+v, want restartCount 1", cs)
		}
		return running(p)
	})
	t.Logf("the killed container ran again %v after the agent was back", time.Since(back))
	after = engineState(t, ns)
	waitPod(t, c, ns, "crasher", 10*time.Second, statusMatches(after, 1))
	if killed := after["crasher/demo/0"]; killed.id != before["crasher/demo/0"].id || killed.running {
		t.Errorf("the killed container: %+v, want %s kept, exited (for lastState)", killed, before["crasher/demo/0"].id)
	}
	for _, key := range []string{"keep//0", "keep/one/0", "keep/two/0", "crasher//0"} {
		if after[key] != before[key] {
			t.Errorf("%s after the second restart: %+v, before %+v", key, after[key], before[key])
		}
	}
}

// restartAgent kills the agent with SIGKILL, runs whileDown, starts it again and
// waits until it has written its Node (registration after a restart updates it).
func restartAgent(t *testing.T, c *cluster, a *agent, whileDown func()) {
	t.Helper()
	a.kill(t)
	obj, err := c.anyClient(t).Get(context.Background(), mustResource("Node"), "", a.name, api.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rv := obj.GetObjectMeta().ResourceVersion
	if whileDown != nil {
		whileDown()
	}
	a.start(t)
	waitFor(t, 30*time.Second, "the restarted agent's heartbeat", func() error {
		obj, err := c.anyClient(t).Get(context.Background(), mustResource("Node"), "", a.name, api.GetOptions{})
		if err != nil {
			return err
		}
		if obj.GetObjectMeta().ResourceVersion == rv {
			return fmt.Errorf("node %s not written since the restart", a.name)
		}
		return nil
	})
	c.waitNodeReady(t, a.name, 30*time.Second)
}

// forceDelete removes a pod at once (gracePeriodSeconds=0), as an agent's
// confirmation or `delete --force` does.
func forceDelete(t *testing.T, c *cluster, ns, name string) {
	t.Helper()
	body := `{"kind":"DeleteOptions","apiVersion":"v1","gracePeriodSeconds":0}`
	resp, err := c.anyClient(t).Raw(context.Background(), "DELETE", mustResource("Pod").ObjectPath(ns, name), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// engineObject is one container of a pod as the engine reports it.
type engineObject struct {
	id, startedAt string
	running       bool
}

// engineState maps "pod/container/attempt" ("pod//attempt" for the sandbox) to the
// engine's containers in namespace ns, from the docker CLI, so it does not trust Berth.
func engineState(t *testing.T, ns string) map[string]engineObject {
	t.Helper()
	out := map[string]engineObject{}
	ids := strings.Fields(dockerCLI(t, "ps", "-aq", "--no-trunc", "--filter", "label=io.berth.pod.namespace="+ns))
	if len(ids) == 0 {
		return out
	}
	format := `{{.ID}} {{index .Config.Labels "io.berth.pod.name"}}/{{index .Config.Labels "io.berth.container.name"}}/` +
		`{{index .Config.Labels "io.berth.container.attempt"}} {{.State.StartedAt}} {{.State.Running}}`
	for _, line := range strings.Split(dockerCLI(t, append([]string{"inspect", "-f", format}, ids...)...), "\n") {
		f := strings.Fields(line)
		if len(f) != 4 {
			t.Fatalf("docker inspect line %q", line)
		}
		if _, dup := out[f[1]]; dup {
			t.Fatalf("two engine containers for %s: %v", f[1], ids)
		}
		out[f[1]] = engineObject{id: f[0], startedAt: f[2], running: f[3] == "true"}
	}
	return out
}

// statusMatches is a waitPod condition: running, every container's status names the
// engine's container and has restarts restarts.
func statusMatches(engine map[string]engineObject, restarts int32) func(*api.Pod) error {
	return func(p *api.Pod) error {
		if err := running(p); err != nil {
			return err
		}
		for _, cs := range p.Status.ContainerStatuses {
			want := engine[fmt.Sprintf("%s/%s/%d", p.Name, cs.Name, restarts)]
			if cs.ContainerID != "docker://"+want.id || cs.RestartCount != restarts {
				return fmt.Errorf("%s: id %s restarts %d, want %s and %d", cs.Name, cs.ContainerID, cs.RestartCount, want.id, restarts)
			}
			if at := cs.State.Running.StartedAt; at == nil || !sameSecond(at.Time, want.startedAt) {
				return fmt.Errorf("%s: startedAt %v, engine %s", cs.Name, at, want.startedAt)
			}
		}
		return nil
	}
}

// sameSecond compares an API time (second precision) with the engine's.
func sameSecond(at time.Time, engine string) bool {
	e, err := time.Parse(time.RFC3339Nano, engine)
	return err == nil && at.Unix() == e.Unix()
}

// noEngineObjects reports containers or volumes left with the label, and endpoints
// left on network (if named).
func noEngineObjects(t *testing.T, label, network string) error {
	t.Helper()
	if ids := dockerCLI(t, "ps", "-aq", "--filter", "label="+label); ids != "" {
		return fmt.Errorf("containers left: %s", strings.Fields(ids))
	}
	if vols := dockerCLI(t, "volume", "ls", "-q", "--filter", "label="+label); vols != "" {
		return fmt.Errorf("volumes left: %s", strings.Fields(vols))
	}
	if network != "" {
		if eps := dockerCLI(t, "network", "inspect", "-f", "{{len .Containers}}", network); eps != "0" {
			return fmt.Errorf("network %s has %s endpoints", network, eps)
		}
	}
	return nil
}

// dockerCLI runs the docker CLI and returns its trimmed stdout.
func dockerCLI(t *testing.T, args ...string) string {
	t.Helper()
	var errb bytes.Buffer
	cmd := exec.Command("docker", args...)
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("docker %v: %v: %s", args, err, errb.String())
	}
	return strings.TrimSpace(string(out))
}

var demoLine = regexp.MustCompile(`demo: line (\d+)`)

// demoLineNumbers returns the numbers of the demo's "line N" lines in out.
func demoLineNumbers(out string) []int {
	var nums []int
	for _, m := range demoLine.FindAllStringSubmatch(out, -1) {
		n, _ := strconv.Atoi(m[1])
		nums = append(nums, n)
	}
	return nums
}

// TestLogsAndExecThroughFollower: `logs -f`, `logs --tail` and `exec` (exit codes,
// stdin) work through a server that is not the leader.
func TestLogsAndExecThroughFollower(t *testing.T) {
	buildDemoImage(t)
	c := newCluster(t, 3)
	a := c.startAgent(t, "node-l", "docker")
	ns := testNamespace(t, c)
	applyYAML(t, c.nodes[0], ns, agentPod("talker", a.name, "[demo, --log-every, 200ms]", ""))
	waitPod(t, c, ns, "talker", 60*time.Second, running)
	f := c.followers(c.waitLeader(15 * time.Second))[0]

	var last int
	waitFor(t, 10*time.Second, "numbered lines in the log", func() error {
		nums := demoLineNumbers(mustCLI(t, f, "-n", ns, "logs", "talker"))
		if len(nums) < 2 {
			return fmt.Errorf("lines %v", nums)
		}
		last = nums[len(nums)-1]
		return nil
	})
	followUntilLine(t, f, ns, "talker", last+3)

	out := mustCLI(t, f, "-n", ns, "logs", "--tail", "2", "talker")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if nums := demoLineNumbers(out); len(lines) != 2 || len(nums) != 2 || nums[1] != nums[0]+1 {
		t.Fatalf("logs --tail 2: %q", out)
	}

	tests := []struct {
		name     string
		stdin    string // non-empty: exec -i with this input
		command  []string
		code     int
		out, err string
	}{
		{name: "version", command: []string{"/berth", "version"}, out: "berth version "},
		{name: "exit code", command: []string{"/berth", "demo", "--port", "-1"}, code: 1, err: "invalid config: port -1"},
		{name: "unknown command", command: []string{"/berth", "no-such-command"}, code: 1, err: "no-such-command"},
		// `berth apply -f -` reads stdin to its end before it looks for a server: the
		// kind it names in the error proves the bytes (and the EOF) arrived.
		{name: "stdin", stdin: "apiVersion: v1\nkind: FromStdin\nmetadata: {name: x}\n",
			command: []string{"/berth", "apply", "-f", "-"}, code: 1, err: `"FromStdin"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"-n", ns, "exec", "talker"}
			if tt.stdin != "" {
				args = append(args, "-i")
			}
			args = append(append(args, "--"), tt.command...)
			out, errOut, code := cliStdin(t, f, tt.stdin, args...)
			if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errOut, tt.err) {
				t.Fatalf("berth %v: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q",
					args, code, out, errOut, tt.code, tt.out, tt.err)
			}
		})
	}
}

// followUntilLine runs `logs -f` through n and reads its stdout until a line numbered at
// least upTo arrives (new output, streamed), then kills it.
func followUntilLine(t *testing.T, n *node, ns, pod string, upTo int) {
	t.Helper()
	cmd := exec.Command(berthBin, "--addr", n.addr(), "-n", ns, "logs", "-f", pod)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer func() {
		close(stop) // before Wait: the reader must not block on a send nobody takes
		cmd.Process.Kill()
		cmd.Wait()
	}()
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-stop:
				return
			}
		}
	}()
	deadline := time.After(15 * time.Second)
	var seen []int
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("logs -f ended after lines %v: %s", seen, errb.String())
			}
			seen = append(seen, demoLineNumbers(line)...)
			if len(seen) > 0 && seen[len(seen)-1] >= upTo {
				return
			}
		case <-deadline:
			t.Fatalf("logs -f: no line %d within 15s; numbers seen %v; stderr %s", upTo, seen, errb.String())
		}
	}
}

// cliStdin is cli with stdin and a deadline, so a command waiting for an EOF that
// never comes fails instead of hanging.
func cliStdin(t *testing.T, n *node, stdin string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, berthBin, append([]string{"--addr", n.addr()}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("berth %v: no exit within 30s", args)
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), errb.String(), 0
	case errors.As(err, &ee):
		return out.String(), errb.String(), ee.ExitCode()
	}
	t.Fatalf("running berth %v: %v", args, err)
	return "", "", 0
}

// TestManyPods: 100 pods on a fake-runtime agent and 20 on a Docker agent, applied as
// one manifest, all run; after deletion nothing of theirs is left on the engine.
func TestManyPods(t *testing.T) {
	buildDemoImage(t)
	c := newCluster(t, 1)
	hollow := c.startAgent(t, "hollow", "fake")
	dock := c.startAgent(t, "dock", "docker")
	ns := testNamespace(t, c)
	var m strings.Builder
	for i := range 100 {
		// The fake runtime starts with no images: it "pulls" them, and Never would
		// be ErrImageNeverPull there.
		m.WriteString(strings.Replace(agentPod(fmt.Sprintf("h%03d", i), hollow.name, "[demo]", ""),
			"imagePullPolicy: Never", "imagePullPolicy: IfNotPresent", 1))
	}
	for i := range 20 {
		m.WriteString(agentPod(fmt.Sprintf("d%02d", i), dock.name, "[demo]",
			"  volumes: [{name: scratch, emptyDir: {}}]\n"))
	}
	applyYAML(t, c.nodes[0], ns, m.String())
	start := time.Now()
	waitFor(t, 60*time.Second, "120 pods Running", func() error {
		return podsInPhase(t, c, ns, 120, "Running")
	})
	t.Logf("120 pods Running %v after the apply", time.Since(start))
	if err := noEngineObjects(t, "io.berth.pod.namespace="+ns, ""); err == nil {
		t.Fatal("no engine objects for the Docker pods")
	}

	file := filepath.Join(t.TempDir(), "all.yaml")
	if err := os.WriteFile(file, []byte(m.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, c.nodes[0], "delete", "-n", ns, "-f", file)
	waitFor(t, 60*time.Second, "the pod list to be empty", func() error {
		return podsInPhase(t, c, ns, 0, "")
	})
	t.Logf("all gone %v after the apply", time.Since(start))
	// The agent removes containers, sandboxes and volumes before it confirms.
	if err := noEngineObjects(t, "io.berth.pod.namespace="+ns, dock.network); err != nil {
		t.Fatal(err)
	}
}

// podsInPhase wants exactly n pods in ns, all in phase (any phase if empty).
func podsInPhase(t *testing.T, c *cluster, ns string, n int, phase string) error {
	t.Helper()
	l, err := c.anyClient(t).List(context.Background(), mustResource("Pod"), ns, api.ListOptions{})
	if err != nil {
		return err
	}
	objs, err := l.Objects()
	if err != nil {
		return err
	}
	notYet := 0
	for _, o := range objs {
		if phase != "" && o.(*api.Pod).Status.Phase != phase {
			notYet++
		}
	}
	if len(objs) != n || notYet > 0 {
		return fmt.Errorf("%d pods, %d not %s", len(objs), notYet, phase)
	}
	return nil
}

// podNow reads a pod through any server.
func podNow(t *testing.T, c *cluster, ns, name string) *api.Pod {
	t.Helper()
	obj, err := c.anyClient(t).Get(context.Background(), mustResource("Pod"), ns, name, api.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return obj.(*api.Pod)
}
