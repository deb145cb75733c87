package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/runtime/fake"
)

func TestTwoContainerPodRuns(t *testing.T) {
	base, c := mustStartServer(t)
	ta := startAgent(t, base, "n1", nil, t.TempDir())
	cidr := nodeCIDR(t, c, "n1")
	mustCreate(t, c, newPod("web", "n1", "app", "sidecar"))
	pod := waitPod(t, c, "web", "running and ready", func(p *api.Pod) error {
		if err := phaseIs(api.PodRunning)(p); err != nil {
			return err
		}
		for _, cond := range p.Status.Conditions {
			if cond.Type == api.PodReady && cond.Status != api.ConditionTrue {
				return fmt.Errorf("Ready is %s", cond.Status)
			}
		}
		return nil
	})
	ip, err := netip.ParseAddr(pod.Status.PodIP)
	if err != nil || !cidr.Contains(ip) || ip == cidr.Addr().Next() {
		t.Errorf("podIP %q not a pod address of %s", pod.Status.PodIP, cidr)
	}
	if pod.Status.HostIP != "127.0.0.1" || pod.Status.StartTime == nil {
		t.Errorf("hostIP %q startTime %v", pod.Status.HostIP, pod.Status.StartTime)
	}
	if len(pod.Status.ContainerStatuses) != 2 {
		t.Fatalf("containerStatuses: %+v", pod.Status.ContainerStatuses)
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.State.Running == nil || !cs.Ready || cs.RestartCount != 0 || !strings.HasPrefix(cs.ContainerID, "docker://") {
			t.Errorf("container %s: %+v", cs.Name, cs)
		}
	}
	if n := len(containersOf(t, ta.rt, pod.UID)); n != 2 {
		t.Errorf("runtime has %d containers of the pod, want 2", n)
	}
	waitFor(t, 5*time.Second, "a Started event", func() error {
		l, err := c.List(context.Background(), eventRes, "default", api.ListOptions{})
		if err != nil {
			return err
		}
		objs, _ := l.Objects()
		for _, o := range objs {
			if ev := o.(*api.Event); ev.Reason == "Started" && ev.InvolvedObject.UID == pod.UID {
				return nil
			}
		}
		return fmt.Errorf("%d events, none Started", len(objs))
	})
	// Logs through the client endpoint (contract 5).
	resp, err := http.Get("http://" + ta.a.ClientAddr() + "/v1/pods/default/web/log?container=app")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "fake container output") {
		t.Errorf("logs: %s %q", resp.Status, body)
	}
	resp, err = http.Get("http://" + ta.a.ClientAddr() + "/v1/pods/default/nosuch/log")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("logs of an unknown pod: %s, want 404", resp.Status)
	}
}

func TestRestartPolicy(t *testing.T) {
	base, c := mustStartServer(t)
	ta := startAgent(t, base, "n1", nil, t.TempDir())
	tests := []struct {
		name     string
		policy   string
		exitCode int
		check    func(*api.Pod) error
	}{
		{"onfailure-exit-1-restarts", api.RestartPolicyOnFailure, 1, func(p *api.Pod) error {
			cs := statusOf(p, "main")
			if cs.RestartCount != 1 || cs.State.Running == nil || cs.LastTerminationState.Terminated == nil {
				return fmt.Errorf("status %+v", cs)
			}
			if cs.LastTerminationState.Terminated.ExitCode != 1 {
				return fmt.Errorf("lastState %+v", cs.LastTerminationState.Terminated)
			}
			return phaseIs(api.PodRunning)(p)
		}},
		{"never-exit-1-fails", api.RestartPolicyNever, 1, func(p *api.Pod) error {
			cs := statusOf(p, "main")
			if cs.State.Terminated == nil || cs.State.Terminated.ExitCode != 1 || cs.RestartCount != 0 {
				return fmt.Errorf("status %+v", cs)
			}
			return phaseIs(api.PodFailed)(p)
		}},
		{"onfailure-exit-0-succeeds", api.RestartPolicyOnFailure, 0, phaseIs(api.PodSucceeded)},
		{"always-exit-0-restarts", api.RestartPolicyAlways, 0, func(p *api.Pod) error {
			if cs := statusOf(p, "main"); cs.RestartCount != 1 || cs.State.Running == nil {
				return fmt.Errorf("status %+v", cs)
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := newPod(tt.name, "n1", "main")
			pod.Spec.RestartPolicy = tt.policy
			created := mustCreate(t, c, pod).(*api.Pod)
			waitPod(t, c, tt.name, "running", phaseIs(api.PodRunning))
			id := runningID(t, ta.rt, created.UID, "main")
			if err := ta.rt.Exit(id, tt.exitCode); err != nil {
				t.Fatal(err)
			}
			waitPod(t, c, tt.name, "after the exit", tt.check)
		})
	}
}

func TestReadinessProbeFlips(t *testing.T) {
	base, c := mustStartServer(t)
	ta := startAgent(t, base, "n1", nil, t.TempDir())
	pod := newPod("ready", "n1", "main")
	pod.Spec.Containers[0].ReadinessProbe = &api.Probe{
		ProbeHandler:  api.ProbeHandler{Exec: &api.ExecAction{Command: []string{"true"}}},
		PeriodSeconds: 1, FailureThreshold: 1, SuccessThreshold: 1,
	}
	created := mustCreate(t, c, pod).(*api.Pod)
	ready := func(want bool) func(*api.Pod) error {
		return func(p *api.Pod) error {
			if got := statusOf(p, "main").Ready; got != want {
				return fmt.Errorf("ready %v", got)
			}
			for _, cond := range p.Status.Conditions {
				if cond.Type == api.PodReady && (cond.Status == api.ConditionTrue) != want {
					return fmt.Errorf("Ready condition %s", cond.Status)
				}
			}
			return nil
		}
	}
	waitPod(t, c, "ready", "ready", ready(true))
	id := runningID(t, ta.rt, created.UID, "main")
	if err := ta.rt.SetExec(id, fake.ExecResult{Code: 1}); err != nil {
		t.Fatal(err)
	}
	waitPod(t, c, "ready", "not ready", ready(false))
	if err := ta.rt.SetExec(id, fake.ExecResult{Code: 0}); err != nil {
		t.Fatal(err)
	}
	waitPod(t, c, "ready", "ready again", ready(true))
	if cs := statusOf(mustGetPod(t, c, "ready"), "main"); cs.RestartCount != 0 {
		t.Errorf("readiness must not restart: %+v", cs)
	}
}

func mustGetPod(t *testing.T, c *api.Client, name string) *api.Pod {
	t.Helper()
	p, err := getPod(c, name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLivenessFailureRestarts(t *testing.T) {
	base, c := mustStartServer(t)
	ta := startAgent(t, base, "n1", nil, t.TempDir())
	pod := newPod("live", "n1", "main")
	pod.Spec.Containers[0].LivenessProbe = &api.Probe{
		ProbeHandler:  api.ProbeHandler{Exec: &api.ExecAction{Command: []string{"true"}}},
		PeriodSeconds: 1, FailureThreshold: 1,
	}
	created := mustCreate(t, c, pod).(*api.Pod)
	waitPod(t, c, "live", "running", phaseIs(api.PodRunning))
	id := runningID(t, ta.rt, created.UID, "main")
	if err := ta.rt.SetExec(id, fake.ExecResult{Code: 1}); err != nil {
		t.Fatal(err)
	}
	waitPod(t, c, "live", "restarted by liveness", func(p *api.Pod) error {
		if cs := statusOf(p, "main"); cs.RestartCount < 1 || cs.State.Running == nil {
			return fmt.Errorf("status %+v", cs)
		}
		return nil
	})
}

func TestConfigValidate(t *testing.T) {
	ok := DefaultConfig()
	ok.Name, ok.Servers = "n1", []string{"http://127.0.0.1:6440"}
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{"default-with-name-and-servers", func(*Config) {}, ""},
		{"no-name", func(c *Config) { c.Name = "" }, "--name"},
		{"bad-name", func(c *Config) { c.Name = "Node_1" }, "--name"},
		{"no-servers", func(c *Config) { c.Servers = nil }, "--servers"},
		{"bad-server", func(c *Config) { c.Servers = []string{"127.0.0.1:6440"} }, "--servers"},
		{"unspecified-bind-needs-advertise", func(c *Config) { c.BindAddr = "0.0.0.0" }, "--advertise"},
		{"bad-runtime", func(c *Config) { c.Runtime = "podman" }, "--runtime"},
		{"bad-port", func(c *Config) { c.ClientPort = 70000 }, "--client-port"},
		{"bad-label", func(c *Config) { c.NodeLabels = map[string]string{"a b": "c"} }, "--node-label"},
		{"no-interval", func(c *Config) { c.StatusInterval = 0 }, "StatusInterval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.mutate(&cfg)
			err := cfg.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want one naming %s", err, tt.wantErr)
			}
		})
	}
}
