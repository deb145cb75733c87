package integration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// Lifecycle tests on the real Docker engine: restart policies and back-off, probes,
// limits, secrets and configMaps, graceful termination and bad input.

// demoPodYAML is a one-container pod of the demo image named "app"; spec is more pod
// spec (indented two spaces) and args follow "demo --port 8080".
func demoPodYAML(name, nodeName, spec string, args ...string) string {
	quoted := []string{`"demo"`, `"--port"`, `"8080"`}
	for _, a := range args {
		quoted = append(quoted, fmt.Sprintf("%q", a))
	}
	return fmt.Sprintf(`---
apiVersion: v1
kind: Pod
metadata: {name: %s}
spec:
  nodeName: %s
%s
  containers:
  - name: app
    image: %s
    imagePullPolicy: Never
    args: [%s]
`, name, nodeName, spec, demoImage, strings.Join(quoted, ", "))
}

// appStatus is the status of the container named "app", or an error until it exists.
func appStatus(p *api.Pod) (api.ContainerStatus, error) {
	for _, cs := range p.Status.ContainerStatuses {
		if cs.Name == "app" {
			return cs, nil
		}
	}
	return api.ContainerStatus{}, fmt.Errorf("no status of container app yet (phase %q)", p.Status.Phase)
}

// podCondition is the status of the pod condition typ ("" when absent).
func podCondition(p *api.Pod, typ string) string {
	for _, c := range p.Status.Conditions {
		if c.Type == typ {
			return string(c.Status)
		}
	}
	return ""
}

// TestRestartPolicyAndBackoff: every restart policy against exit codes 0 and non-zero,
// and the CrashLoopBackOff delay between the first and the second restart.
func TestRestartPolicyAndBackoff(t *testing.T) {
	buildDemoImage(t)
	c := newCluster(t, 1)
	a := c.startAgent(t, "node-x", "docker")
	ns := testNamespace(t, c)

	restarts := func(code int32) func(cs api.ContainerStatus, p *api.Pod) error {
		return func(cs api.ContainerStatus, p *api.Pod) error {
			if cs.RestartCount < 1 || cs.LastTerminationState.Terminated == nil {
				return fmt.Errorf("restarts %d, last state %+v", cs.RestartCount, cs.LastTerminationState)
			}
			if got := cs.LastTerminationState.Terminated.ExitCode; got != code {
				return fmt.Errorf("last exit code %d, want %d", got, code)
			}
			if p.Status.Phase != "Running" {
				return fmt.Errorf("phase %q of a restarting pod, want Running", p.Status.Phase)
			}
			return nil
		}
	}
	finished := func(phase string, code int32, reason string) func(cs api.ContainerStatus, p *api.Pod) error {
		return func(cs api.ContainerStatus, p *api.Pod) error {
			term := cs.State.Terminated
			switch {
			case p.Status.Phase != phase:
				return fmt.Errorf("phase %q, want %s; state %+v", p.Status.Phase, phase, cs.State)
			case term == nil || term.ExitCode != code || term.Reason != reason:
				return fmt.Errorf("terminated %+v, want exit code %d reason %s", term, code, reason)
			case cs.RestartCount != 0:
				return fmt.Errorf("restarted %d times", cs.RestartCount)
			}
			return nil
		}
	}
	cases := []struct {
		name, policy string
		code         int32
		want         func(api.ContainerStatus, *api.Pod) error
	}{
		{name: "always-0", policy: "Always", code: 0, want: restarts(0)},
		{name: "always-3", policy: "Always", code: 3, want: restarts(3)},
		{name: "onfailure-0", policy: "OnFailure", code: 0, want: finished("Succeeded", 0, "Completed")},
		{name: "onfailure-3", policy: "OnFailure", code: 3, want: restarts(3)},
		{name: "never-0", policy: "Never", code: 0, want: finished("Succeeded", 0, "Completed")},
		{name: "never-2", policy: "Never", code: 2, want: finished("Failed", 2, "Error")},
	}
	var manifest strings.Builder
	for _, tc := range cases {
		manifest.WriteString(demoPodYAML(tc.name, a.name, "  restartPolicy: "+tc.policy,
			"--exit-after", "1s", "--exit-code", fmt.Sprint(tc.code)))
	}
	applyYAML(t, c.nodes[0], ns, manifest.String())

	// The crash loop first, while it is young: restart 1 comes at once, restart 2
	// only after the initial back-off of 10 s, with CrashLoopBackOff in between.
	var first, second time.Time
	backedOff := false
	trace := newTranscript()
	waitPod(t, c, ns, "always-3", 40*time.Second, func(p *api.Pod) error {
		cs, err := appStatus(p)
		if err != nil {
			return err
		}
		trace.add(fmt.Sprintf("restarts %d %s", cs.RestartCount, stateWord(cs.State)))
		now := time.Now()
		if cs.RestartCount >= 1 && first.IsZero() {
			first = now
		}
		if cs.RestartCount == 1 && cs.State.Waiting != nil && cs.State.Waiting.Reason == "CrashLoopBackOff" {
			backedOff = true
		}
		if cs.RestartCount >= 2 && second.IsZero() {
			second = now
		}
		if second.IsZero() {
			return fmt.Errorf("no second restart; seen %s", trace)
		}
		return nil
	})
	gap := second.Sub(first)
	t.Logf("first restart → second restart: %v", gap.Round(10*time.Millisecond))
	if !backedOff {
		t.Error("never saw waiting reason CrashLoopBackOff between the first and the second restart")
	}
	if gap < 9500*time.Millisecond {
		t.Errorf("second restart %v after the first, want the initial back-off of ~10 s", gap)
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			waitPod(t, c, ns, tc.name, 30*time.Second, func(p *api.Pod) error {
				cs, err := appStatus(p)
				if err != nil {
					return err
				}
				return tc.want(cs, p)
			})
		})
	}
}

// TestLivenessAndReadinessProbes: a failing readiness probe turns Ready false and
// back; a failing liveness probe restarts the container.
func TestLivenessAndReadinessProbes(t *testing.T) {
	buildDemoImage(t)
	c := newCluster(t, 1)
	a := c.startAgent(t, "node-x", "docker")
	ns := testNamespace(t, c)
	applyYAML(t, c.nodes[0], ns, demoPodYAML("probed", a.name, "  terminationGracePeriodSeconds: 5")+`
    ports: [{containerPort: 8080}]
    livenessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 1, failureThreshold: 2}
    readinessProbe: {httpGet: {path: /readyz, port: 8080}, periodSeconds: 1, failureThreshold: 1}
`)
	ready := func(want bool) func(*api.Pod) error {
		return func(p *api.Pod) error {
			if err := running(p); err != nil {
				return err
			}
			cs, err := appStatus(p)
			if err != nil {
				return err
			}
			cond := podCondition(p, "Ready")
			if cs.Ready != want || cond != map[bool]string{true: "True", false: "False"}[want] {
				return fmt.Errorf("container ready %v, pod Ready %q; want %v", cs.Ready, cond, want)
			}
			return nil
		}
	}
	pod := waitPod(t, c, ns, "probed", 60*time.Second, ready(true))
	base := "http://" + pod.Status.PodIP + ":8080"

	if code, body := podHTTP(t, "POST", base+"/fail/readiness", ""); code != 200 {
		t.Fatalf("POST /fail/readiness: %d %s", code, body)
	}
	waitPod(t, c, ns, "probed", 6*time.Second, ready(false))
	if code, body := podHTTP(t, "POST", base+"/recover", ""); code != 200 {
		t.Fatalf("POST /recover: %d %s", code, body)
	}
	waitPod(t, c, ns, "probed", 6*time.Second, ready(true))

	if code, body := podHTTP(t, "POST", base+"/fail/liveness", ""); code != 200 {
		t.Fatalf("POST /fail/liveness: %d %s", code, body)
	}
	pod = waitPod(t, c, ns, "probed", 20*time.Second, func(p *api.Pod) error {
		cs, err := appStatus(p)
		if err != nil {
			return err
		}
		if cs.RestartCount != 1 || cs.LastTerminationState.Terminated == nil {
			return fmt.Errorf("restarts %d, last state %+v", cs.RestartCount, cs.LastTerminationState)
		}
		return ready(true)(p)
	})
	cs, _ := appStatus(pod)
	t.Logf("restarted after the liveness failure; last state %+v", *cs.LastTerminationState.Terminated)
	// The new instance is healthy: it stays at one restart.
	if code, body := podHTTP(t, "GET", base+"/healthz", ""); code != 200 {
		t.Fatalf("GET /healthz of the new instance: %d %s", code, body)
	}
}

// TestLimitsSecretsAndConfigMaps: limits reach Docker; a Secret and a ConfigMap reach
// the container as env (valueFrom and envFrom) and as read-only files.
func TestLimitsSecretsAndConfigMaps(t *testing.T) {
	buildDemoImage(t)
	c := newCluster(t, 1)
	a := c.startAgent(t, "node-x", "docker")
	ns := testNamespace(t, c)
	applyYAML(t, c.nodes[0], ns, `
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: s3cret, token: tok-42}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {color: blue, mode: fast}
`+demoPodYAML("limited", a.name, `  volumes:
  - {name: secret-vol, secret: {secretName: creds}}
  - {name: config-vol, configMap: {name: settings}}`)+`
    resources: {limits: {cpu: 500m, memory: 64Mi}}
    env:
    - {name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: creds, key: password}}}
    - {name: UI_COLOR, valueFrom: {configMapKeyRef: {name: settings, key: color}}}
    envFrom:
    - {secretRef: {name: creds}, prefix: SEC_}
    - {configMapRef: {name: settings}, prefix: CFG_}
    volumeMounts:
    - {name: secret-vol, mountPath: /etc/secret}
    - {name: config-vol, mountPath: /etc/config}
`)
	pod := waitPod(t, c, ns, "limited", 60*time.Second, running)
	base := "http://" + pod.Status.PodIP + ":8080"

	// Limits: the running app container, found by Berth's labels.
	id := dockerOut(t, "ps", "-q", "--filter", "label=io.berth.pod.namespace="+ns,
		"--filter", "label=io.berth.pod.name=limited", "--filter", "label=io.berth.container.name=app")
	if id == "" || strings.Contains(id, "\n") {
		t.Fatalf("want one running app container, docker ps found %q", id)
	}
	if got := dockerOut(t, "inspect", "-f", "{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}}", id); got != "500000000 67108864" {
		t.Errorf("docker inspect NanoCpus Memory = %q, want 500000000 67108864", got)
	}

	// Env, waiting for the server to listen (Running means started).
	var env map[string]string
	waitFor(t, 10*time.Second, "GET /env", func() error {
		code, body := podHTTP(t, "GET", base+"/env", "")
		if code != 200 {
			return fmt.Errorf("%d %s", code, body)
		}
		return json.Unmarshal([]byte(body), &env)
	})
	for k, v := range map[string]string{
		"DB_PASSWORD": "s3cret", "UI_COLOR": "blue", "SEC_password": "s3cret", "SEC_token": "tok-42",
		"CFG_color": "blue", "CFG_mode": "fast",
	} {
		if env[k] != v {
			t.Errorf("env %s = %q, want %q", k, env[k], v)
		}
	}

	files := []struct{ name, path, want string }{
		{name: "secret password", path: "/etc/secret/password", want: "s3cret"},
		{name: "secret token", path: "/etc/secret/token", want: "tok-42"},
		{name: "configMap color", path: "/etc/config/color", want: "blue"},
		{name: "configMap mode", path: "/etc/config/mode", want: "fast"},
	}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			if code, body := podHTTP(t, "GET", base+"/file?path="+f.path, ""); code != 200 || body != f.want {
				t.Errorf("GET %s: %d %q, want %q", f.path, code, body, f.want)
			}
			// Read-only: neither overwriting a key nor adding a file works.
			for _, p := range []string{f.path, f.path + ".new"} {
				if code, body := podHTTP(t, "POST", base+"/file?path="+p, "changed"); code == 200 {
					t.Errorf("POST %s succeeded on a read-only volume: %s", p, body)
				}
			}
			if code, body := podHTTP(t, "GET", base+"/file?path="+f.path, ""); code != 200 || body != f.want {
				t.Errorf("after the write attempt GET %s: %d %q, want %q", f.path, code, body, f.want)
			}
		})
	}
}

// dockerOut runs the docker CLI and returns its trimmed stdout.
func dockerOut(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", args...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("docker %v: %v: %s", args, err, ee.Stderr)
		}
		t.Fatalf("docker %v: %v", args, err)
	}
	return strings.TrimSpace(string(out))
}

// syncBuffer is a bytes.Buffer safe for one writer goroutine and a polling reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// followLogs runs `berth logs -f` for the pod until the test ends and returns its
// growing output, once the stream shows the demo listening.
func followLogs(t *testing.T, n *node, ns, pod string) *syncBuffer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	buf := &syncBuffer{}
	cmd := exec.CommandContext(ctx, berthBin, "--addr", n.addr(), "logs", "-f", "-n", ns, pod)
	cmd.Stdout, cmd.Stderr = buf, buf
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, 10*time.Second, "logs -f of "+pod+" to show the demo listening", func() error {
		if !strings.Contains(buf.String(), "listening on") {
			return fmt.Errorf("log so far: %q", buf.String())
		}
		return nil
	})
	return buf
}

// dieEvent is one Docker "die" event of an app container.
type dieEvent struct {
	pod      string
	exitCode string
	at       time.Time
}

// watchDies follows Docker's die events of the app containers in namespace ns until
// the test ends, from the moment of the call.
func watchDies(t *testing.T, ns string) <-chan dieEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	// --since replays what happened after now even if the subscription is late.
	since := time.Now()
	cmd := exec.CommandContext(ctx, "docker", "events", "--format", "{{json .}}",
		"--since", fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond()),
		"--filter", "type=container", "--filter", "event=die",
		"--filter", "label=io.berth.pod.namespace="+ns, "--filter", "label=io.berth.sandbox=false")
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	ch := make(chan dieEvent, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var ev struct {
				TimeNano int64
				Actor    struct{ Attributes map[string]string }
			}
			if json.Unmarshal(sc.Bytes(), &ev) != nil {
				continue
			}
			attrs := ev.Actor.Attributes
			select {
			case ch <- dieEvent{pod: attrs["io.berth.pod.name"], exitCode: attrs["exitCode"], at: time.Unix(0, ev.TimeNano)}:
			case <-ctx.Done():
			}
		}
		cmd.Wait()
	}()
	t.Cleanup(func() { cancel(); <-done })
	return ch
}

// TestGracefulTermination: a deleted pod's container gets SIGTERM and the pod object
// goes once it exited (its own 2 s, not the grace period of 10 s); a container that
// ignores SIGTERM is killed when its grace period of 3 s ends.
func TestGracefulTermination(t *testing.T) {
	buildDemoImage(t)
	c := newCluster(t, 1)
	a := c.startAgent(t, "node-x", "docker")
	ns := testNamespace(t, c)
	applyYAML(t, c.nodes[0], ns,
		demoPodYAML("polite", a.name, "  terminationGracePeriodSeconds: 10", "--term-delay", "2s")+
			demoPodYAML("stubborn", a.name, "  terminationGracePeriodSeconds: 3", "--ignore-sigterm"))
	waitPod(t, c, ns, "polite", 60*time.Second, running)
	waitPod(t, c, ns, "stubborn", 60*time.Second, running)
	dies := watchDies(t, ns)

	cases := []struct {
		name           string
		grace          int64
		minGone        time.Duration // the pod object stays at least this long
		maxGone        time.Duration // and is gone within this
		exitCode       string
		minDie, maxDie time.Duration // when the container dies after the delete
		logHas         []string
	}{
		{name: "polite", grace: 10, minGone: 1500 * time.Millisecond, maxGone: 7 * time.Second, exitCode: "0",
			minDie: 1500 * time.Millisecond, maxDie: 6 * time.Second, logHas: []string{"received SIGTERM", "exiting with code 0 after SIGTERM"}},
		{name: "stubborn", grace: 3, minGone: 2500 * time.Millisecond, maxGone: 8 * time.Second, exitCode: "137",
			minDie: 2500 * time.Millisecond, maxDie: 7 * time.Second, logHas: []string{"received SIGTERM", "ignoring SIGTERM"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			logs := followLogs(t, c.nodes[0], ns, tc.name)
			start := time.Now()
			mustCLI(t, c.nodes[0], "delete", "pod", tc.name, "-n", ns)
			obj, err := c.anyClient(t).Get(context.Background(), mustResource("Pod"), ns, tc.name, api.GetOptions{})
			if err != nil {
				t.Fatalf("the pod right after delete: %v", err)
			}
			p := obj.(*api.Pod)
			if p.DeletionTimestamp == nil || p.DeletionGracePeriodSeconds == nil || *p.DeletionGracePeriodSeconds != tc.grace {
				t.Fatalf("deletionTimestamp %v, deletionGracePeriodSeconds %v; want a timestamp and %d",
					p.DeletionTimestamp, p.DeletionGracePeriodSeconds, tc.grace)
			}
			waitFor(t, tc.maxGone, "the pod object to go", func() error {
				_, err := c.anyClient(t).Get(context.Background(), mustResource("Pod"), ns, tc.name, api.GetOptions{})
				if api.ReasonOf(err) == api.ReasonNotFound {
					return nil
				}
				return fmt.Errorf("still there (err %v)", err)
			})
			gone := time.Since(start)
			t.Logf("pod %s gone %v after the delete", tc.name, gone.Round(10*time.Millisecond))
			if gone < tc.minGone {
				t.Errorf("pod gone after %v, before its container could have exited (want ≥ %v)", gone, tc.minGone)
			}
			ev := nextDie(t, dies, tc.name, 5*time.Second)
			if after := ev.at.Sub(start); ev.exitCode != tc.exitCode || after < tc.minDie || after > tc.maxDie {
				t.Errorf("container died %v after the delete with exit code %s; want %s within [%v, %v]",
					after, ev.exitCode, tc.exitCode, tc.minDie, tc.maxDie)
			}
			waitFor(t, 5*time.Second, "the SIGTERM in the log", func() error {
				for _, s := range tc.logHas {
					if !strings.Contains(logs.String(), s) {
						return fmt.Errorf("no %q in the log %q", s, logs.String())
					}
				}
				return nil
			})
		})
	}
}

// nextDie returns the next die event of the pod's app container.
func nextDie(t *testing.T, dies <-chan dieEvent, pod string, timeout time.Duration) dieEvent {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case ev := <-dies:
			if ev.pod == pod {
				return ev
			}
		case <-deadline:
			t.Fatalf("no die event of pod %s's container within %v", pod, timeout)
		}
	}
}

// TestBadPodInput: a missing image gives ErrImagePull then ImagePullBackOff with the
// engine's message while another pod of the node runs; invalid env and volume
// references are refused at admission (422, naming the field) and nothing is created.
func TestBadPodInput(t *testing.T) {
	buildDemoImage(t)
	c := newCluster(t, 1)
	a := c.startAgent(t, "node-x", "docker")
	ns := testNamespace(t, c)
	const missing = "berth/does-not-exist:1"
	applyYAML(t, c.nodes[0], ns, fmt.Sprintf(`
apiVersion: v1
kind: Pod
metadata: {name: ghost}
spec:
  nodeName: %s
  containers:
  - {name: app, image: %s, imagePullPolicy: IfNotPresent}
`, a.name, missing)+demoPodYAML("good", a.name, ""))

	seen := map[string]string{}
	trace := newTranscript()
	waitPod(t, c, ns, "ghost", 40*time.Second, func(p *api.Pod) error {
		cs, err := appStatus(p)
		if err != nil {
			return err
		}
		trace.add(stateWord(cs.State))
		if w := cs.State.Waiting; w != nil {
			if _, ok := seen[w.Reason]; !ok {
				seen[w.Reason] = w.Message
			}
		}
		if _, ok := seen["ErrImagePull"]; !ok {
			return fmt.Errorf("no ErrImagePull yet; seen %s", trace)
		}
		if _, ok := seen["ImagePullBackOff"]; !ok {
			return fmt.Errorf("no ImagePullBackOff yet; seen %s", trace)
		}
		return nil
	})
	t.Logf("waiting messages: %q", seen)
	// What the engine says about the pull: its reason, after Docker's prefix.
	_, engineMsg, _ := strings.Cut(dockerPullError(t, missing), "Error response from daemon: ")
	if msg := seen["ErrImagePull"]; !strings.Contains(msg, strings.TrimSpace(engineMsg)) || !strings.Contains(msg, missing) {
		t.Errorf("ErrImagePull message %q lacks the image or the engine's message %q", msg, engineMsg)
	}
	if msg := seen["ImagePullBackOff"]; !strings.Contains(msg, missing) {
		t.Errorf("ImagePullBackOff message %q does not name the image", msg)
	}
	waitPod(t, c, ns, "good", 30*time.Second, running)

	cases := []struct {
		name, pod, field string
		container        string // YAML of the container, beyond name and image
	}{
		{name: "env valueFrom without a source", pod: "bad-env", field: "spec.containers[0].env[0].valueFrom",
			container: "env: [{name: X, valueFrom: {}}]"},
		{name: "mount of an undefined volume", pod: "bad-mount", field: "spec.containers[0].volumeMounts[0].name",
			container: "volumeMounts: [{name: nowhere, mountPath: /data}]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			manifest := fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %s, namespace: %s}
spec:
  nodeName: %s
  containers:
  - name: app
    image: %s
    imagePullPolicy: Never
    %s
`, tc.pod, ns, a.name, demoImage, tc.container)
			f := t.TempDir() + "/bad.yaml"
			if err := os.WriteFile(f, []byte(manifest), 0o600); err != nil {
				t.Fatal(err)
			}
			_, stderr, code := cli(t, c.nodes[0], "apply", "-n", ns, "-f", f)
			if code != 1 || !strings.Contains(stderr, "(Invalid)") || !strings.Contains(stderr, tc.field) {
				t.Errorf("berth apply: exit %d, stderr %q; want exit 1, Invalid naming %s", code, stderr, tc.field)
			}
			// The same through the API: 422 naming the field.
			objs, err := api.DecodeManifests([]byte(manifest))
			if err != nil || len(objs) != 1 {
				t.Fatalf("decoding the manifest: %v (%d objects)", err, len(objs))
			}
			_, err = c.anyClient(t).Create(context.Background(), objs[0])
			var apiErr *api.Error
			if !errors.As(err, &apiErr) || apiErr.Code() != 422 || !strings.Contains(apiErr.Error(), tc.field) {
				t.Errorf("create through the API: %v; want 422 naming %s", err, tc.field)
			}
			_, err = c.anyClient(t).Get(context.Background(), mustResource("Pod"), ns, tc.pod, api.GetOptions{})
			if api.ReasonOf(err) != api.ReasonNotFound {
				t.Errorf("the refused pod exists: get err %v", err)
			}
		})
	}
	// The good pod never noticed.
	pod := waitPod(t, c, ns, "good", 5*time.Second, running)
	if cs, _ := appStatus(pod); cs.RestartCount != 0 {
		t.Errorf("the good pod restarted %d times", cs.RestartCount)
	}
}

// dockerPullError is the docker CLI's error for pulling a missing image.
func dockerPullError(t *testing.T, image string) string {
	t.Helper()
	out, err := exec.Command("docker", "pull", image).CombinedOutput()
	if err == nil {
		t.Fatalf("docker pull %s succeeded; the test needs it to be missing", image)
	}
	return strings.TrimSpace(string(out))
}

// transcript records the states a polled object went through, with the time since
// the first, for failure messages about short-lived states.
type transcript struct {
	start time.Time
	steps []string
	last  string
}

func newTranscript() *transcript { return &transcript{start: time.Now()} }

// add records s if it differs from the previous state.
func (tr *transcript) add(s string) {
	if s == tr.last {
		return
	}
	tr.last = s
	tr.steps = append(tr.steps, fmt.Sprintf("+%.1fs %s", time.Since(tr.start).Seconds(), s))
}

func (tr *transcript) String() string { return "[" + strings.Join(tr.steps, "; ") + "]" }

// stateWord names a container state in a few words.
func stateWord(s api.ContainerState) string {
	switch {
	case s.Waiting != nil:
		return "waiting " + s.Waiting.Reason
	case s.Running != nil:
		return "running"
	case s.Terminated != nil:
		return fmt.Sprintf("terminated %d %s", s.Terminated.ExitCode, s.Terminated.Reason)
	}
	return "no state"
}
