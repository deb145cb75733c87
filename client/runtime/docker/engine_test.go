package docker

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/berth-dev/berth/client/runtime"
)

// TestListContainersAfterRestart: a second runtime (a restarted agent) sees
// the pod's containers with every label it needs to adopt them.
func TestListContainersAfterRestart(t *testing.T) {
	r := mustNewRuntime(t)
	ctx := testCtx(t)
	uid, sb := newPod(t, r, "adopt")
	cfg := appConfig(uid, "adopt", "app", "/berth", "pause")
	cfg.Attempt = 2
	cfg.Labels = map[string]string{"team": "a", runtime.LabelPodUID: "forged"}
	app := mustRunContainer(t, r, sb, cfg)
	if _, err := r.CreateContainer(ctx, sb, cfg); !errors.Is(err, runtime.ErrAlreadyExists) {
		t.Errorf("second create of the same attempt = %v, want ErrAlreadyExists", err)
	}

	again, err := New(Config{InfraImage: testImage})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	all, err := again.ListContainers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]runtime.ContainerStatus{}
	for _, st := range all {
		if st.PodUID == uid {
			got[st.ID] = st
		}
	}
	want := map[string]runtime.Meta{
		sb:  {PodUID: uid, Namespace: "ns", PodName: "adopt", Sandbox: true},
		app: {PodUID: uid, Namespace: "ns", PodName: "adopt", ContainerName: "app", Attempt: 2},
	}
	if len(got) != len(want) {
		t.Fatalf("ListContainers found %d containers of the pod, want %d", len(got), len(want))
	}
	for id, meta := range want {
		st := got[id]
		if st.Meta != meta || st.State != runtime.StateRunning || st.StartedAt.IsZero() || st.Image != testImage {
			t.Errorf("container %s = %+v, want running with %+v", id[:12], st, meta)
		}
	}
	if got[app].Labels["team"] != "a" {
		t.Errorf("user label lost: %v", got[app].Labels)
	}
}

// TestEvents: the start and the death of a container arrive as events with
// the exit code and the pod's identity.
func TestEvents(t *testing.T) {
	r := mustNewRuntime(t)
	ctx := testCtx(t)
	uid, sb := newPod(t, r, "events")
	evs, errs := r.Events(ctx)
	id := mustRunContainer(t, r, sb, appConfig(uid, "events", "crash", "/berth", "exit", "7"))

	var seen []string
	deadline := time.After(15 * time.Second)
	for !slices.Contains(seen, runtime.EventDie) {
		select {
		case ev := <-evs:
			if ev.ID != id {
				continue
			}
			seen = append(seen, ev.Action)
			if ev.PodUID != uid || ev.ContainerName != "crash" || ev.Time.IsZero() {
				t.Errorf("event %+v lacks the pod's identity", ev)
			}
			if ev.Action == runtime.EventDie && ev.ExitCode != 7 {
				t.Errorf("die event exit code %d, want 7", ev.ExitCode)
			}
		case err := <-errs:
			t.Logf("event stream error (it reconnects): %v", err)
		case <-deadline:
			t.Fatalf("no die event; saw %v", seen)
		}
	}
	if !slices.Equal(seen, []string{runtime.EventStart, runtime.EventDie}) {
		t.Errorf("events %v, want start then die", seen)
	}
	st, err := r.ContainerStatus(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != runtime.StateExited || st.ExitCode != 7 || st.Reason != runtime.ReasonError || st.FinishedAt.IsZero() {
		t.Errorf("status after crash = %+v", st)
	}
}

// TestStartContainerFailure: a missing executable is ErrStartFailed and the
// status says the container could not run.
func TestStartContainerFailure(t *testing.T) {
	r := mustNewRuntime(t)
	ctx := testCtx(t)
	uid, sb := newPod(t, r, "fail")
	id, err := r.CreateContainer(ctx, sb, appConfig(uid, "fail", "bad", "/no/such/binary"))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.StartContainer(ctx, id); !errors.Is(err, runtime.ErrStartFailed) {
		t.Fatalf("StartContainer = %v, want ErrStartFailed", err)
	}
	st, err := r.ContainerStatus(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if st.Reason != runtime.ReasonContainerCannotRun || st.Message == "" {
		t.Errorf("status = state %s reason %q message %q, want ContainerCannotRun with a message", st.State, st.Reason, st.Message)
	}
}

// TestEnsureImage: policies against an engine with no registry.
func TestEnsureImage(t *testing.T) {
	r := mustNewRuntime(t)
	const absent = "berth-registry.invalid/absent:1"
	tests := []struct {
		name    string
		image   string
		policy  string
		wantErr error
	}{
		{name: "present, IfNotPresent", image: testImage, policy: runtime.PullIfNotPresent},
		{name: "present, Never", image: testImage, policy: runtime.PullNever},
		{name: "present, default policy", image: testImage, policy: ""},
		{name: "absent, IfNotPresent", image: absent, policy: runtime.PullIfNotPresent, wantErr: runtime.ErrImagePull},
		{name: "absent, Always", image: absent, policy: runtime.PullAlways, wantErr: runtime.ErrImagePull},
		{name: "absent, Never", image: absent, policy: runtime.PullNever, wantErr: runtime.ErrImageNeverPull},
		{name: "bad policy", image: testImage, policy: "Sometimes", wantErr: runtime.ErrInvalidConfig},
		{name: "bad reference", image: "no spaces/allowed:x", policy: runtime.PullAlways, wantErr: runtime.ErrInvalidConfig},
		{name: "refused by the engine", image: "UPPER/case:x", policy: runtime.PullAlways, wantErr: runtime.ErrImagePull},
		{name: "empty reference", image: "", policy: runtime.PullIfNotPresent, wantErr: runtime.ErrInvalidConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var lines []string
			err := r.EnsureImage(testCtx(t), tc.image, tc.policy, func(s string) { lines = append(lines, s) })
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("EnsureImage = %v, want %v", err, tc.wantErr)
			}
			// The engine's reason must reach the user, not just our sentinel.
			t.Logf("EnsureImage(%s, %q) = %v; progress %q", tc.image, tc.policy, err, lines)
			if tc.wantErr == runtime.ErrImagePull && len(err.Error()) <= len(runtime.ErrImagePull.Error())+len(tc.image)+4 {
				t.Errorf("pull error %q carries no engine message", err)
			}
		})
	}
}

// TestEnsureInfraImage builds a fresh image from the test binary and checks
// its entrypoint; a second call finds it present.
func TestEnsureInfraImage(t *testing.T) {
	if skipReason != "" {
		t.Skip(skipReason)
	}
	ref := "berth/pause:test-" + randHex(8)
	r, err := New(Config{InfraImage: ref, InfraBinary: testBinary})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeImage(ref); _ = r.Close() })
	ctx := testCtx(t)
	for i := range 2 {
		got, err := r.EnsureInfraImage(ctx)
		if err != nil || got != ref {
			t.Fatalf("EnsureInfraImage #%d = %q, %v", i+1, got, err)
		}
	}
	img, err := r.cli.ImageInspect(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if ep := img.Config.Entrypoint; !slices.Equal(ep, []string{"/berth", "pause"}) || img.Config.Labels[runtime.LabelManaged] != "true" {
		t.Errorf("entrypoint %v labels %v", ep, img.Config.Labels)
	}
	bad, _ := New(Config{InfraImage: "berth/pause:test-" + randHex(8), InfraBinary: "/no/such/file"})
	if _, err := bad.EnsureInfraImage(ctx); err == nil {
		t.Error("EnsureInfraImage with a missing binary succeeded")
	}
}

// TestEnsureNetwork: an existing network is reused when its subnet holds
// the node's pod CIDR, refused otherwise.
func TestEnsureNetwork(t *testing.T) {
	r := mustNewRuntime(t)
	ctx := testCtx(t)
	name, subnet := newNetwork(t, r)
	res, err := r.cli.NetworkInspect(ctx, name, client.NetworkInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Network.Options["com.docker.network.bridge.name"] != name || !runtime.IsManaged(res.Network.Labels) {
		t.Errorf("network options %v labels %v", res.Network.Options, res.Network.Labels)
	}
	inside := netip.PrefixFrom(subnet.Addr(), 25)
	other := netip.PrefixFrom(podIP(subnet, 0).Next(), 24).Masked()
	other = netip.PrefixFrom(netip.AddrFrom4([4]byte{other.Addr().As4()[0], other.Addr().As4()[1] ^ 1, other.Addr().As4()[2], 0}), 24)
	tests := []struct {
		name    string
		net     string
		subnet  netip.Prefix
		wantErr error
	}{
		{name: "same subnet", net: name, subnet: subnet},
		{name: "pod CIDR inside", net: name, subnet: inside},
		{name: "disjoint", net: name, subnet: other, wantErr: runtime.ErrNetworkConflict},
		{name: "wider than the network", net: name, subnet: netip.PrefixFrom(subnet.Addr(), 16).Masked(), wantErr: runtime.ErrNetworkConflict},
		{name: "not a bridge", net: "host", subnet: subnet, wantErr: runtime.ErrNetworkConflict},
		{name: "invalid subnet", net: name, wantErr: runtime.ErrInvalidConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := r.EnsureNetwork(ctx, tc.net, tc.subnet); !errors.Is(err, tc.wantErr) {
				t.Errorf("EnsureNetwork(%s, %v) = %v, want %v", tc.net, tc.subnet, err, tc.wantErr)
			}
		})
	}
	if err := r.RemoveNetwork(ctx, "host"); err != nil {
		t.Errorf("RemoveNetwork of an unmanaged network = %v, want a no-op", err)
	}
	if err := r.RemoveNetwork(ctx, name); err != nil {
		t.Errorf("RemoveNetwork = %v", err)
	}
	if err := r.RemoveNetwork(ctx, name); err != nil {
		t.Errorf("second RemoveNetwork = %v", err)
	}
}

// TestInfo: capacity and the image list come from the engine.
func TestInfo(t *testing.T) {
	r := mustNewRuntime(t)
	info, err := r.Info(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if info.CPUs < 1 || info.MemoryBytes < 1 || info.MaxPods != 110 || info.OS != "linux" ||
		!strings.HasPrefix(info.EngineVersion, "docker://") || info.KernelVersion == "" || info.Hostname == "" {
		t.Errorf("Info = %+v", info)
	}
	found := false
	for _, im := range info.Images {
		found = found || (slices.Contains(im.Names, testImage) && im.SizeBytes > 0)
	}
	if !found {
		t.Errorf("Info.Images lacks %s", testImage)
	}
}

// TestMissingObjects: lookups fail with ErrNotFound, removals are no-ops.
func TestMissingObjects(t *testing.T) {
	r := mustNewRuntime(t)
	ctx := testCtx(t)
	const id = "berth-no-such-container"
	if _, err := r.ContainerStatus(ctx, id); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("ContainerStatus = %v, want ErrNotFound", err)
	}
	if err := r.StartContainer(ctx, id); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("StartContainer = %v, want ErrNotFound", err)
	}
	for name, fn := range map[string]func() error{
		"StopContainer":   func() error { return r.StopContainer(ctx, id, time.Second) },
		"RemoveContainer": func() error { return r.RemoveContainer(ctx, id) },
		"RemoveSandbox":   func() error { return r.RemoveSandbox(ctx, id) },
		"RemoveVolume":    func() error { return r.RemoveVolume(ctx, "berth-no-such-volume") },
		"RemoveNetwork":   func() error { return r.RemoveNetwork(ctx, "berth-no-such-network") },
	} {
		if err := fn(); err != nil {
			t.Errorf("%s of a missing object = %v, want nil", name, err)
		}
	}
	if _, err := r.CreateContainer(ctx, id, appConfig("u", "p", "c", "/berth")); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("CreateContainer in a missing sandbox = %v, want ErrNotFound", err)
	}
}
