package fake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	rt "github.com/berth-dev/berth/client/runtime"
)

const testNet = "berth0"

var testSubnet = netip.MustParsePrefix("10.244.1.0/24")

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// mustPod returns a runtime with a network, a sandbox and one running
// container of image "app:1".
func mustPod(t *testing.T) (r *Runtime, sandbox, ctr string) {
	t.Helper()
	ctx := testCtx(t)
	r = New(Config{})
	r.AddImage("app:1", 1<<20)
	if err := r.EnsureNetwork(ctx, testNet, testSubnet); err != nil {
		t.Fatal(err)
	}
	sandbox, err := r.CreateSandbox(ctx, sandboxConfig("uid-1", 2))
	if err != nil {
		t.Fatalf("CreateSandbox: %v", err)
	}
	ctr, err = r.CreateContainer(ctx, sandbox, containerConfig("uid-1", "app"))
	if err != nil {
		t.Fatalf("CreateContainer: %v", err)
	}
	if err := r.StartContainer(ctx, ctr); err != nil {
		t.Fatal(err)
	}
	return r, sandbox, ctr
}

func sandboxConfig(uid string, ip byte) rt.SandboxConfig {
	return rt.SandboxConfig{PodUID: uid, Namespace: "ns", Name: "pod-" + uid, Network: testNet,
		IP: netip.AddrFrom4([4]byte{10, 244, 1, ip})}
}

func containerConfig(uid, name string) rt.ContainerConfig {
	return rt.ContainerConfig{PodUID: uid, Namespace: "ns", PodName: "pod-" + uid, Name: name, Image: "app:1",
		Mounts: []rt.Mount{{Source: "vol-" + uid, Target: "/data", Type: rt.MountVolume}}}
}

func TestInfo(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want rt.NodeInfo
	}{
		{name: "defaults", cfg: Config{}, want: rt.NodeInfo{Hostname: "fake-node", CPUs: 4, MemoryBytes: 16 << 30, MaxPods: 110}},
		{name: "configured", cfg: Config{Hostname: "n7", CPUs: 64, MemoryBytes: 1 << 40, MaxPods: 250,
			Images: []rt.Image{{Names: []string{"a:1"}, SizeBytes: 5}}},
			want: rt.NodeInfo{Hostname: "n7", CPUs: 64, MemoryBytes: 1 << 40, MaxPods: 250, Images: []rt.Image{{Names: []string{"a:1"}, SizeBytes: 5}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := New(tc.cfg).Info(testCtx(t))
			if err != nil {
				t.Fatal(err)
			}
			if got.Hostname != tc.want.Hostname || got.CPUs != tc.want.CPUs || got.MemoryBytes != tc.want.MemoryBytes ||
				got.MaxPods != tc.want.MaxPods || fmt.Sprint(got.Images) != fmt.Sprint(tc.want.Images) || got.OS != "linux" {
				t.Errorf("Info = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestEnsureImage(t *testing.T) {
	tests := []struct {
		name     string
		image    string
		policy   string
		failPull string
		wantErr  error
		wantMsg  string
	}{
		{name: "present", image: "app:1", policy: rt.PullIfNotPresent},
		{name: "present, Never", image: "app:1", policy: rt.PullNever},
		{name: "present, Always pulls", image: "app:1", policy: rt.PullAlways},
		{name: "absent pulls", image: "new:1", policy: ""},
		{name: "absent, Never", image: "new:1", policy: rt.PullNever, wantErr: rt.ErrImageNeverPull},
		{name: "failing pull", image: "new:1", policy: rt.PullIfNotPresent, failPull: "manifest unknown", wantErr: rt.ErrImagePull, wantMsg: "manifest unknown"},
		{name: "failing pull of a present image", image: "app:1", policy: rt.PullIfNotPresent, failPull: "denied", wantErr: rt.ErrImagePull},
		{name: "bad policy", image: "app:1", policy: "Maybe", wantErr: rt.ErrInvalidConfig},
		{name: "bad reference", image: "a b", policy: rt.PullAlways, wantErr: rt.ErrInvalidConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := New(Config{Images: []rt.Image{{Names: []string{"app:1"}}}})
			if tc.failPull != "" {
				r.FailImagePull(tc.image, tc.failPull)
			}
			err := r.EnsureImage(testCtx(t), tc.image, tc.policy, nil)
			if !errors.Is(err, tc.wantErr) || (err != nil && !strings.Contains(err.Error(), tc.wantMsg)) {
				t.Fatalf("EnsureImage = %v, want %v with %q", err, tc.wantErr, tc.wantMsg)
			}
			if tc.wantErr == nil {
				if err := r.EnsureImage(testCtx(t), tc.image, rt.PullNever, nil); err != nil {
					t.Errorf("image not present after EnsureImage: %v", err)
				}
			}
		})
	}
}

func TestEnsureNetwork(t *testing.T) {
	tests := []struct {
		name    string
		subnet  string
		wantErr error
	}{
		{name: "same", subnet: "10.244.1.0/24"},
		{name: "inside", subnet: "10.244.1.128/25"},
		{name: "unmasked", subnet: "10.244.1.7/24"},
		{name: "disjoint", subnet: "10.244.2.0/24", wantErr: rt.ErrNetworkConflict},
		{name: "wider", subnet: "10.244.0.0/16", wantErr: rt.ErrNetworkConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := New(Config{})
			if err := r.EnsureNetwork(testCtx(t), testNet, testSubnet); err != nil {
				t.Fatal(err)
			}
			if err := r.EnsureNetwork(testCtx(t), testNet, netip.MustParsePrefix(tc.subnet)); !errors.Is(err, tc.wantErr) {
				t.Errorf("EnsureNetwork(%s) = %v, want %v", tc.subnet, err, tc.wantErr)
			}
		})
	}
}

// TestContainerEnds: every way a container ends gives its status and events.
func TestContainerEnds(t *testing.T) {
	tests := []struct {
		name       string
		end        func(r *Runtime, id string) error
		wantCode   int
		wantReason string
		wantEvents []string
	}{
		{name: "exits 0", end: func(r *Runtime, id string) error { return r.Exit(id, 0) },
			wantReason: rt.ReasonCompleted, wantEvents: []string{rt.EventDie}},
		{name: "crashes", end: func(r *Runtime, id string) error { return r.Exit(id, 3) },
			wantCode: 3, wantReason: rt.ReasonError, wantEvents: []string{rt.EventDie}},
		{name: "OOM killed", end: func(r *Runtime, id string) error { return r.OOMKill(id) },
			wantCode: 137, wantReason: rt.ReasonOOMKilled, wantEvents: []string{rt.EventOOM, rt.EventDie}},
		{name: "stopped", end: func(r *Runtime, id string) error { return r.StopContainer(context.Background(), id, time.Second) },
			wantReason: rt.ReasonCompleted, wantEvents: []string{rt.EventDie}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _, id := mustPod(t)
			ctx := testCtx(t)
			evs, _ := r.Events(ctx)
			if err := tc.end(r, id); err != nil {
				t.Fatal(err)
			}
			for _, want := range tc.wantEvents {
				ev := <-evs
				if ev.Action != want || ev.ID != id || ev.PodUID != "uid-1" || ev.ContainerName != "app" {
					t.Errorf("event %+v, want %s of %s", ev, want, id[:12])
				}
				if want == rt.EventDie && ev.ExitCode != tc.wantCode {
					t.Errorf("die exit code %d, want %d", ev.ExitCode, tc.wantCode)
				}
			}
			st, err := r.ContainerStatus(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if st.State != rt.StateExited || st.ExitCode != tc.wantCode || st.Reason != tc.wantReason || st.FinishedAt.IsZero() {
				t.Errorf("status %+v, want exited %d %s", st, tc.wantCode, tc.wantReason)
			}
			if err := r.Exit(id, 1); !errors.Is(err, rt.ErrNotRunning) {
				t.Errorf("Exit of an exited container = %v, want ErrNotRunning", err)
			}
		})
	}
}

func TestCreateErrors(t *testing.T) {
	r, sandbox, _ := mustPod(t)
	ctx := testCtx(t)
	noImage := containerConfig("uid-1", "other")
	noImage.Image = "absent:1"
	noNet := sandboxConfig("uid-2", 3)
	noNet.Network = "elsewhere"
	tests := []struct {
		name    string
		create  func() error
		wantErr error
	}{
		{name: "same attempt twice", create: func() error { _, err := r.CreateContainer(ctx, sandbox, containerConfig("uid-1", "app")); return err }, wantErr: rt.ErrAlreadyExists},
		{name: "sandbox twice", create: func() error { _, err := r.CreateSandbox(ctx, sandboxConfig("uid-1", 9)); return err }, wantErr: rt.ErrAlreadyExists},
		{name: "IP in use", create: func() error { _, err := r.CreateSandbox(ctx, sandboxConfig("uid-2", 2)); return err }, wantErr: rt.ErrConflict},
		{name: "missing network", create: func() error { _, err := r.CreateSandbox(ctx, noNet); return err }, wantErr: rt.ErrNotFound},
		{name: "missing sandbox", create: func() error { _, err := r.CreateContainer(ctx, "nope", containerConfig("uid-1", "x")); return err }, wantErr: rt.ErrNotFound},
		{name: "missing image", create: func() error { _, err := r.CreateContainer(ctx, sandbox, noImage); return err }, wantErr: rt.ErrNotFound},
		{name: "no name", create: func() error {
			_, err := r.CreateContainer(ctx, sandbox, rt.ContainerConfig{Image: "app:1"})
			return err
		}, wantErr: rt.ErrInvalidConfig},
		{name: "no network", create: func() error {
			_, err := r.CreateSandbox(ctx, rt.SandboxConfig{PodUID: "u", Namespace: "n", Name: "p"})
			return err
		}, wantErr: rt.ErrInvalidConfig},
		{name: "next attempt", create: func() error {
			c := containerConfig("uid-1", "app")
			c.Attempt = 1
			_, err := r.CreateContainer(ctx, sandbox, c)
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.create(); !errors.Is(err, tc.wantErr) {
				t.Errorf("got %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestExec(t *testing.T) {
	tests := []struct {
		name      string
		set       *ExecResult
		stop      bool
		wantCode  int
		wantOut   string
		wantErr   error
		probeErr  error
		probeCode int
	}{
		{name: "default", wantCode: 0, probeCode: 0},
		{name: "failing probe", set: &ExecResult{Code: 1, Output: "unhealthy"}, wantCode: 1, wantOut: "unhealthy", probeCode: 1},
		{name: "hung probe", set: &ExecResult{Hang: true}, wantCode: -1, wantErr: context.DeadlineExceeded, probeCode: -1, probeErr: rt.ErrTimeout},
		{name: "not running", stop: true, wantCode: -1, wantErr: rt.ErrNotRunning, probeCode: -1, probeErr: rt.ErrNotRunning},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _, id := mustPod(t)
			if tc.set != nil {
				if err := r.SetExec(id, *tc.set); err != nil {
					t.Fatal(err)
				}
			}
			if tc.stop {
				_ = r.StopContainer(testCtx(t), id, 0)
			}
			ctx, cancel := context.WithTimeout(testCtx(t), 50*time.Millisecond)
			defer cancel()
			var out bytes.Buffer
			code, err := r.Exec(ctx, id, []string{"check"}, rt.ExecOptions{Stdout: &out})
			if code != tc.wantCode || !errors.Is(err, tc.wantErr) || out.String() != tc.wantOut {
				t.Errorf("Exec = %d %v %q, want %d %v %q", code, err, out.String(), tc.wantCode, tc.wantErr, tc.wantOut)
			}
			code, _, err = r.ExecProbe(testCtx(t), id, []string{"check"}, 20*time.Millisecond)
			if code != tc.probeCode || !errors.Is(err, tc.probeErr) {
				t.Errorf("ExecProbe = %d %v, want %d %v", code, err, tc.probeCode, tc.probeErr)
			}
		})
	}
}

func TestLogs(t *testing.T) {
	tests := []struct {
		name string
		opts rt.LogOptions
		want string
	}{
		{name: "all", opts: rt.LogOptions{Tail: -1}, want: "a\nb\nc\n"},
		{name: "tail 2", opts: rt.LogOptions{Tail: 2}, want: "b\nc\n"},
		{name: "tail 0", opts: rt.LogOptions{Tail: 0}, want: ""},
		{name: "tail past the start", opts: rt.LogOptions{Tail: 10}, want: "a\nb\nc\n"},
	}
	r, _, id := mustPod(t)
	if err := r.SetLogs(id, "a\nb\nc\n"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := r.Logs(testCtx(t), id, tc.opts, &out, nil); err != nil || out.String() != tc.want {
				t.Errorf("Logs = %q, %v; want %q", out.String(), err, tc.want)
			}
		})
	}
	t.Run("follow ends with the container", func(t *testing.T) {
		done := make(chan error, 1)
		go func() { done <- r.Logs(testCtx(t), id, rt.LogOptions{Follow: true, Tail: -1}, nil, nil) }()
		if err := r.Exit(id, 0); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Errorf("follow = %v", err)
		}
	})
}

func TestVolumesAndRemoval(t *testing.T) {
	r, sandbox, id := mustPod(t)
	ctx := testCtx(t)
	if err := r.EnsureVolume(ctx, "vol-uid-1", map[string]string{rt.LabelPodUID: "uid-1"}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		do      func() error
		wantErr error
	}{
		{name: "volume in use", do: func() error { return r.RemoveVolume(ctx, "vol-uid-1") }, wantErr: rt.ErrConflict},
		{name: "network in use", do: func() error { return r.RemoveNetwork(ctx, testNet) }, wantErr: rt.ErrConflict},
		{name: "remove container", do: func() error { return r.RemoveContainer(ctx, id) }},
		{name: "remove it again", do: func() error { return r.RemoveContainer(ctx, id) }},
		{name: "remove sandbox", do: func() error { return r.RemoveSandbox(ctx, sandbox) }},
		{name: "remove volume", do: func() error { return r.RemoveVolume(ctx, "vol-uid-1") }},
		{name: "remove network", do: func() error { return r.RemoveNetwork(ctx, testNet) }},
		{name: "status of removed", do: func() error { _, err := r.ContainerStatus(ctx, id); return err }, wantErr: rt.ErrNotFound},
	}
	for _, s := range steps {
		if err := s.do(); !errors.Is(err, s.wantErr) {
			t.Fatalf("%s: %v, want %v", s.name, err, s.wantErr)
		}
	}
	vols, _ := r.ListVolumes(ctx)
	ctrs, _ := r.ListContainers(ctx)
	if len(vols) != 0 || len(ctrs) != 0 {
		t.Errorf("left over: volumes %v containers %v", vols, ctrs)
	}
}
