package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
)

// testServer is one in-process server on loopback with its own data dir.
type testServer struct {
	s      *Server
	client *api.Client
	base   string
}

// mustStartServer starts a single-node server (BootstrapExpect 1, every port picked by
// the kernel) and waits until it serves writes. mutate may change the config first.
func mustStartServer(t *testing.T, mutate func(*Config)) *testServer {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Name = "s1"
	cfg.DataDir = t.TempDir()
	cfg.BindAddr = "127.0.0.1"
	cfg.HTTPPort, cfg.RaftPort, cfg.GossipPort = 0, 0, 0
	cfg.DNSPort = 0 // a free port: tests run servers side by side
	cfg.BootstrapExpect = 1
	cfg.RaftLogLevel = "error"
	cfg.Logger = discardLogger()
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("server did not stop within 15s")
		}
	})
	base := "http://" + s.HTTPAddr()
	c, err := api.NewClient(base, api.WithRetry(0), api.WithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{s: s, client: c, base: base}
	ts.waitReady(t)
	return ts
}

// waitReady waits for /readyz and for the builtin default namespace, which the leader
// creates right after its election: only then does a namespaced create succeed.
func (ts *testServer) waitReady(t *testing.T) {
	t.Helper()
	nsRes := mustRes(t, "Namespace")
	waitFor(t, 15*time.Second, "the server to be ready", func() error {
		resp, err := http.Get(ts.base + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/readyz: %s", resp.Status)
		}
		_, err = ts.client.Get(context.Background(), nsRes, "", "default", api.GetOptions{})
		return err
	})
}

// waitFor polls cond until it returns nil or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s: %v", timeout, what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func mustRes(t testing.TB, kind string) *api.Resource {
	t.Helper()
	r, ok := api.ResourceForKind(kind)
	if !ok {
		t.Fatalf("no resource %s", kind)
	}
	return r
}

func newConfigMap(ns, name string, data map[string]string) *api.ConfigMap {
	cm := &api.ConfigMap{Data: data}
	cm.APIVersion, cm.Kind = "v1", "ConfigMap"
	cm.Name, cm.Namespace = name, ns
	return cm
}

func newPod(ns, name string) *api.Pod {
	p := &api.Pod{}
	p.APIVersion, p.Kind = "v1", "Pod"
	p.Name, p.Namespace = name, ns
	p.Spec.Containers = []api.Container{{Name: "app", Image: "busybox"}}
	return p
}

// wantReason fails unless err is an API error with the given reason.
func wantReason(t *testing.T, err error, reason api.StatusReason) {
	t.Helper()
	var e *api.Error
	if !errors.As(err, &e) || e.Status.Reason != reason {
		t.Fatalf("error = %v (%T), want reason %s", err, err, reason)
	}
}

func meta(o api.Object) *api.ObjectMeta { return o.GetObjectMeta() }

// TestServerConfigMapLifecycle drives create/get/list/update/delete of a ConfigMap
// through the Go client against a real single-node server.
func TestServerConfigMapLifecycle(t *testing.T) {
	ts := mustStartServer(t, nil)
	ctx := context.Background()
	c := ts.client
	cmRes := mustRes(t, "ConfigMap")

	created, err := c.Create(ctx, newConfigMap("default", "app", map[string]string{"k": "v1"}))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	m := meta(created)
	if m.UID == "" || m.ResourceVersion == "" || m.Generation != 1 || m.CreationTimestamp == nil {
		t.Fatalf("create did not stamp the object: %+v", m)
	}
	_, err = c.Create(ctx, newConfigMap("default", "app", nil))
	wantReason(t, err, api.ReasonAlreadyExists)

	got, err := c.Get(ctx, cmRes, "default", "app", api.GetOptions{Consistent: true})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if meta(got).ResourceVersion != m.ResourceVersion || got.(*api.ConfigMap).Data["k"] != "v1" {
		t.Fatalf("get = %+v, want the created object", got)
	}

	list, err := c.List(ctx, cmRes, "default", api.ListOptions{})
	if err != nil || len(list.Items) != 1 || list.Kind != "ConfigMapList" || list.ResourceVersion == "" {
		t.Fatalf("list = %+v, %v; want one item", list, err)
	}

	// A no-op update is answered with the stored object: no new resourceVersion.
	same := got.(*api.ConfigMap)
	unchanged, err := c.Update(ctx, same)
	if err != nil {
		t.Fatalf("no-op update: %v", err)
	}
	if meta(unchanged).ResourceVersion != m.ResourceVersion {
		t.Fatalf("no-op update moved resourceVersion %s -> %s", m.ResourceVersion, meta(unchanged).ResourceVersion)
	}

	// A label change is metadata: a new resourceVersion, the same generation.
	labelled := api.DeepCopy(unchanged).(*api.ConfigMap)
	labelled.Labels = map[string]string{"tier": "web"}
	afterLabel, err := c.Update(ctx, labelled)
	if err != nil {
		t.Fatalf("label update: %v", err)
	}
	if meta(afterLabel).ResourceVersion == m.ResourceVersion || meta(afterLabel).Generation != 1 {
		t.Fatalf("label update: rv %s generation %d; want a new rv and generation 1",
			meta(afterLabel).ResourceVersion, meta(afterLabel).Generation)
	}

	// A data change bumps generation.
	changed := api.DeepCopy(afterLabel).(*api.ConfigMap)
	changed.Data = map[string]string{"k": "v2"}
	afterData, err := c.Update(ctx, changed)
	if err != nil {
		t.Fatalf("data update: %v", err)
	}
	if meta(afterData).Generation != 2 || meta(afterData).UID != m.UID {
		t.Fatalf("data update: generation %d uid %s; want 2 and the original uid", meta(afterData).Generation, meta(afterData).UID)
	}

	// The old resourceVersion is now stale.
	stale := api.DeepCopy(afterLabel).(*api.ConfigMap)
	stale.Data = map[string]string{"k": "stale"}
	_, err = c.Update(ctx, stale)
	wantReason(t, err, api.ReasonConflict)

	if _, err := c.Delete(ctx, cmRes, "default", "app", api.DeleteOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err = c.Get(ctx, cmRes, "default", "app", api.GetOptions{Consistent: true})
	wantReason(t, err, api.ReasonNotFound)
	_, err = c.Delete(ctx, cmRes, "default", "app", api.DeleteOptions{})
	wantReason(t, err, api.ReasonNotFound)
}

// TestServerStatusSubresource: a write to /status changes only the status, a write to
// the object keeps the stored status, and neither changes the other half.
func TestServerStatusSubresource(t *testing.T) {
	ts := mustStartServer(t, nil)
	ctx := context.Background()
	c := ts.client

	bound := newPod("default", "web")
	bound.Spec.NodeName = "n1" // its agent's to report on; the scheduler writes no status
	created, err := c.Create(ctx, bound)
	if err != nil {
		t.Fatalf("create pod: %v", err)
	}
	withStatus := api.DeepCopy(created).(*api.Pod)
	withStatus.Status.Phase = "Running"
	withStatus.Spec.Containers[0].Image = "ignored-by-status-write"
	afterStatus, err := c.UpdateStatus(ctx, withStatus)
	if err != nil {
		t.Fatalf("update status: %v", err)
	}
	p := afterStatus.(*api.Pod)
	if p.Status.Phase != "Running" {
		t.Fatalf("status write lost the phase: %+v", p.Status)
	}
	if p.Spec.Containers[0].Image != "busybox" || p.Generation != 1 {
		t.Fatalf("status write changed spec or generation: image %q generation %d", p.Spec.Containers[0].Image, p.Generation)
	}

	// A main-resource write that carries no status keeps the stored one.
	relabel := api.DeepCopy(afterStatus).(*api.Pod)
	relabel.Status = api.PodStatus{}
	relabel.Labels = map[string]string{"a": "b"}
	afterMain, err := c.Update(ctx, relabel)
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if afterMain.(*api.Pod).Status.Phase != "Running" {
		t.Fatalf("main write dropped the status: %+v", afterMain.(*api.Pod).Status)
	}
}

// TestServerMetrics: /metrics exposes the request counter and the Raft apply latency
// once a write has gone through.
func TestServerMetrics(t *testing.T) {
	ts := mustStartServer(t, nil)
	if _, err := ts.client.Create(context.Background(), newConfigMap("default", "m", nil)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(ts.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`berth_api_requests_total{code="201",resource="configmaps",verb="create"} 1`,
		"berth_raft_apply_duration_seconds_count",
	} {
		if !containsLine(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func containsLine(body, prefix string) bool {
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, prefix) {
			return true
		}
	}
	return false
}

// TestServerReadyAfterConsistentRead: a consistent read commits a Raft barrier, an
// entry the FSM never sees; /readyz must still report ready afterwards.
func TestServerReadyAfterConsistentRead(t *testing.T) {
	ts := mustStartServer(t, nil)
	if _, err := ts.client.List(context.Background(), mustRes(t, "ConfigMap"), "", api.ListOptions{Consistent: true}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(ts.base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz after a consistent read: %s %s", resp.Status, body)
	}
}
