package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/server/servertest"
)

func TestParseNodeLabels(t *testing.T) {
	tests := []struct {
		name    string
		flags   []string
		want    map[string]string
		wantErr bool
	}{
		{name: "none", flags: nil, want: nil},
		{name: "two", flags: []string{"zone=a", "disk=ssd"}, want: map[string]string{"zone": "a", "disk": "ssd"}},
		{name: "empty value", flags: []string{"gpu="}, want: map[string]string{"gpu": ""}},
		{name: "value with =", flags: []string{"k=a=b"}, want: map[string]string{"k": "a=b"}},
		{name: "no =", flags: []string{"zone"}, wantErr: true},
		{name: "no key", flags: []string{"=a"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseNodeLabels(tt.flags)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// syncBuffer is an output several goroutines of runDev write to.
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

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	servertest.WaitFor(t, timeout, what, cond)
}

// TestDevBindsPodsWithFakeRuntime runs `berth dev` in-process on the fake runtime:
// /readyz turns 200 once the node is Ready, the server's scheduler binds an unbound pod
// to the node, and cancelling stops everything cleanly.
func TestDevBindsPodsWithFakeRuntime(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncBuffer{}
	done := make(chan error, 1)
	opts := devOptions{dataDir: t.TempDir(), httpPort: 0, runtime: "fake", logLevel: "error"}
	go func() { done <- runDev(ctx, opts, out) }()

	addrLine := regexp.MustCompile(`export BERTH_ADDR=(\S+)`)
	var base string
	waitFor(t, 30*time.Second, "the API address", func() error {
		m := addrLine.FindStringSubmatch(out.String())
		if m == nil {
			return fmt.Errorf("output so far: %q", out.String())
		}
		base = m[1]
		return nil
	})
	waitFor(t, 30*time.Second, "/readyz", func() error {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("/readyz: %s", resp.Status)
		}
		return nil
	})
	waitFor(t, 10*time.Second, "the Ready announcement", func() error {
		if !strings.Contains(out.String(), "is Ready") {
			return fmt.Errorf("output does not announce the Ready node: %q", out.String())
		}
		return nil
	})

	c, err := api.NewClient(base)
	if err != nil {
		t.Fatal(err)
	}
	p := &api.Pod{}
	p.APIVersion, p.Kind = "v1", "Pod"
	p.Name, p.Namespace = "web", "default"
	p.Spec.Containers = []api.Container{{Name: "app", Image: "berth/demo:dev"}}
	if _, err := c.Create(ctx, p); err != nil {
		t.Fatalf("create pod: %v", err)
	}
	pods, _ := api.ResourceForKind("Pod")
	waitFor(t, 20*time.Second, "the pod to be bound", func() error {
		got, err := c.Get(ctx, pods, "default", "web", api.GetOptions{})
		if err != nil {
			return err
		}
		if got.(*api.Pod).Spec.NodeName == "" {
			return fmt.Errorf("not bound yet")
		}
		return nil
	})

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("runDev: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("runDev did not stop within 30s")
	}
}
