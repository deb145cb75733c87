package fake

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	rt "github.com/berth-dev/berth/client/runtime"
)

// waitState polls a container until it is in state, failing after 5 s.
func waitState(t *testing.T, r *Runtime, id, state string) rt.ContainerStatus {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, err := r.ContainerStatus(testCtx(t), id)
		if err == nil && st.State == state {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s: state %q (err %v), want %q", id, st.State, err, state)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestScriptedExit(t *testing.T) {
	tests := []struct {
		name     string
		labels   map[string]string
		wantCode int
	}{
		{name: "code and time", labels: map[string]string{AnnotationExitCode: "3", AnnotationRunSeconds: "0.05"}, wantCode: 3},
		{name: "time alone exits 0", labels: map[string]string{AnnotationRunSeconds: "0.05"}, wantCode: 0},
		{name: "code alone exits at once", labels: map[string]string{AnnotationExitCode: "0"}, wantCode: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			var mu sync.Mutex
			var deaths []rt.ContainerEvent
			r := New(Config{Notify: func(ev rt.ContainerEvent) {
				if ev.Action == rt.EventDie {
					mu.Lock()
					deaths = append(deaths, ev)
					mu.Unlock()
				}
			}})
			r.AddImage("app:1", 1)
			_ = r.EnsureNetwork(ctx, testNet, testSubnet)
			sb, err := r.CreateSandbox(ctx, sandboxConfig("uid-1", 2))
			if err != nil {
				t.Fatal(err)
			}
			cfg := containerConfig("uid-1", "job")
			cfg.Labels = tc.labels
			id, err := r.CreateContainer(ctx, sb, cfg)
			if err != nil {
				t.Fatal(err)
			}
			forever, err := r.CreateContainer(ctx, sb, containerConfig("uid-1", "server"))
			if err != nil {
				t.Fatal(err)
			}
			_ = r.StartContainer(ctx, id)
			_ = r.StartContainer(ctx, forever)
			st := waitState(t, r, id, rt.StateExited)
			if st.ExitCode != tc.wantCode {
				t.Errorf("exit code %d, want %d", st.ExitCode, tc.wantCode)
			}
			if st, _ := r.ContainerStatus(ctx, forever); st.State != rt.StateRunning {
				t.Errorf("the unscripted container is %s, want running", st.State)
			}
			mu.Lock()
			if len(deaths) != 1 || deaths[0].ID != id || deaths[0].ExitCode != tc.wantCode || deaths[0].PodUID != "uid-1" {
				t.Errorf("Notify got deaths %+v, want one of %s", deaths, id)
			}
			mu.Unlock()
			// A restarted instance follows the script again.
			_ = r.StartContainer(ctx, id)
			if st := waitState(t, r, id, rt.StateExited); st.ExitCode != tc.wantCode {
				t.Errorf("restarted: exit code %d, want %d", st.ExitCode, tc.wantCode)
			}
		})
	}
}

func TestScriptedExitMalformed(t *testing.T) {
	tests := []struct {
		name, key, value string
	}{
		{name: "code not a number", key: AnnotationExitCode, value: "zero"},
		{name: "code too big", key: AnnotationExitCode, value: "256"},
		{name: "negative seconds", key: AnnotationRunSeconds, value: "-1"},
		{name: "seconds not a number", key: AnnotationRunSeconds, value: "soon"},
		{name: "seconds NaN", key: AnnotationRunSeconds, value: "NaN"},
		{name: "seconds overflow", key: AnnotationRunSeconds, value: "1e300"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, sandbox, _ := mustPod(t)
			cfg := containerConfig("uid-1", "bad")
			cfg.Labels = map[string]string{tc.key: tc.value}
			_, err := r.CreateContainer(testCtx(t), sandbox, cfg)
			if !errors.Is(err, rt.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.key) {
				t.Errorf("CreateContainer = %v, want ErrInvalidConfig naming %s", err, tc.key)
			}
		})
	}
}

// TestScriptedExitRemovedFirst: removing a container before its timer fires
// leaves nothing to fire.
func TestScriptedExitRemovedFirst(t *testing.T) {
	r, sandbox, _ := mustPod(t)
	ctx := testCtx(t)
	var mu sync.Mutex
	died := 0
	r.cfg.Notify = func(ev rt.ContainerEvent) {
		mu.Lock()
		defer mu.Unlock()
		if ev.Action == rt.EventDie {
			died++
		}
	}
	cfg := containerConfig("uid-1", "job")
	cfg.Labels = map[string]string{AnnotationRunSeconds: "0.05"}
	id, err := r.CreateContainer(ctx, sandbox, cfg)
	if err != nil {
		t.Fatal(err)
	}
	_ = r.StartContainer(ctx, id)
	if err := r.RemoveContainer(ctx, id); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // past the scripted exit: nothing may happen
	mu.Lock()
	defer mu.Unlock()
	if died != 1 {
		t.Errorf("%d die events, want 1 (the removal)", died)
	}
}

func TestBehaviorLabels(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]string
		want int
	}{
		{name: "none", in: map[string]string{"app": "x"}, want: 0},
		{name: "nil", in: nil, want: 0},
		{name: "scripted", in: map[string]string{AnnotationExitCode: "0", AnnotationRunSeconds: "1", "berth.io/other": "x"}, want: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := BehaviorLabels(tc.in)
			if len(got) != tc.want || (tc.want == 0 && got != nil) {
				t.Errorf("BehaviorLabels(%v) = %v, want %d keys", tc.in, got, tc.want)
			}
		})
	}
}
