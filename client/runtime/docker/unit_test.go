package docker

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/jsonstream"

	"github.com/berth-dev/berth/client/runtime"
)

// Tests of the pure translation code; they run without an engine.

func TestTranslate(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want error
	}{
		{name: "not found", err: cerrdefs.ErrNotFound.WithMessage("No such container: x"), want: runtime.ErrNotFound},
		{name: "conflict", err: cerrdefs.ErrConflict.WithMessage("in use"), want: runtime.ErrConflict},
		{name: "invalid", err: cerrdefs.ErrInvalidArgument.WithMessage("bad"), want: runtime.ErrInvalidConfig},
		{name: "unavailable", err: cerrdefs.ErrUnavailable.WithMessage("down"), want: runtime.ErrUnavailable},
		{name: "other", err: errors.New("boom"), want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := translate(tc.err, "op")
			if tc.want != nil && !errors.Is(got, tc.want) {
				t.Errorf("translate = %v, want %v", got, tc.want)
			}
			if !errors.Is(got, tc.err) || !strings.Contains(got.Error(), tc.err.Error()) {
				t.Errorf("translate lost the engine error: %v", got)
			}
		})
	}
	if translate(nil, "op") != nil {
		t.Error("translate(nil) != nil")
	}
}

func TestStatusOf(t *testing.T) {
	labels := runtime.Meta{PodUID: "u", Namespace: "n", PodName: "p", ContainerName: "c", Attempt: 1}.Labels(nil)
	tests := []struct {
		name       string
		state      *container.State
		wantState  string
		wantReason string
	}{
		{name: "no state", state: nil, wantState: runtime.StateUnknown},
		{name: "running", state: &container.State{Status: container.StateRunning, StartedAt: "2024-01-02T03:04:05.5Z"}, wantState: runtime.StateRunning},
		{name: "completed", state: &container.State{Status: container.StateExited, StartedAt: "2024-01-02T03:04:05Z"}, wantState: runtime.StateExited, wantReason: runtime.ReasonCompleted},
		{name: "error", state: &container.State{Status: container.StateExited, ExitCode: 2, StartedAt: "2024-01-02T03:04:05Z"}, wantState: runtime.StateExited, wantReason: runtime.ReasonError},
		{name: "oom", state: &container.State{Status: container.StateExited, ExitCode: 137, OOMKilled: true}, wantState: runtime.StateExited, wantReason: runtime.ReasonOOMKilled},
		{name: "start failed", state: &container.State{Status: container.StateCreated, ExitCode: 127, Error: "exec: no such file"}, wantState: runtime.StateCreated, wantReason: runtime.ReasonContainerCannotRun},
		{name: "paused", state: &container.State{Status: container.StatePaused}, wantState: runtime.StateUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := statusOf(container.InspectResponse{ID: "id", State: tc.state, Config: &container.Config{Labels: labels, Image: "img"}})
			if st.State != tc.wantState || st.Reason != tc.wantReason || st.ContainerName != "c" || st.Attempt != 1 || st.Image != "img" {
				t.Errorf("statusOf = %+v, want %s/%s", st, tc.wantState, tc.wantReason)
			}
		})
	}
}

func TestPortBindings(t *testing.T) {
	tests := []struct {
		name    string
		pms     []runtime.PortMapping
		want    string
		wantErr bool
	}{
		{name: "none", want: "map[]"},
		{name: "tcp default", pms: []runtime.PortMapping{{HostPort: 8080, ContainerPort: 80}}, want: "map[80/tcp:[{invalid IP 8080}]]"},
		{name: "udp, expose only", pms: []runtime.PortMapping{{ContainerPort: 53, Protocol: "UDP"}}, want: "map[]"},
		{name: "bad protocol", pms: []runtime.PortMapping{{ContainerPort: 1, Protocol: "icmp"}}, wantErr: true},
		{name: "port zero", pms: []runtime.PortMapping{{HostPort: 1}}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := portBindings(tc.pms)
			if (err != nil) != tc.wantErr || (!tc.wantErr && fmt.Sprint(got) != tc.want) {
				t.Errorf("portBindings = %v, %v; want %s (error %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestDockerMounts(t *testing.T) {
	tests := []struct {
		name    string
		m       runtime.Mount
		wantErr bool
	}{
		{name: "volume", m: runtime.Mount{Source: "v", Target: "/data", Type: runtime.MountVolume}},
		{name: "bind", m: runtime.Mount{Source: "/srv", Target: "/srv", ReadOnly: true}},
		{name: "relative bind", m: runtime.Mount{Source: "srv", Target: "/srv"}, wantErr: true},
		{name: "relative target", m: runtime.Mount{Source: "v", Target: "data", Type: runtime.MountVolume}, wantErr: true},
		{name: "tmpfs", m: runtime.Mount{Source: "x", Target: "/x", Type: "tmpfs"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := dockerMounts([]runtime.Mount{tc.m}); (err != nil) != tc.wantErr || (err != nil && !errors.Is(err, runtime.ErrInvalidConfig)) {
				t.Errorf("dockerMounts = %v, want error %v", err, tc.wantErr)
			}
		})
	}
}

func TestEventHelpers(t *testing.T) {
	last := events.Message{TimeNano: 100, Action: events.ActionDie, Actor: events.Actor{ID: "a"}}
	tests := []struct {
		name string
		m    events.Message
		want bool
	}{
		{name: "older", m: events.Message{TimeNano: 99}, want: true},
		{name: "the same", m: last, want: true},
		{name: "same time, other container", m: events.Message{TimeNano: 100, Action: events.ActionDie, Actor: events.Actor{ID: "b"}}},
		{name: "newer", m: events.Message{TimeNano: 101}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := seen(tc.m, last); got != tc.want {
				t.Errorf("seen = %v, want %v", got, tc.want)
			}
		})
	}
	if got := formatSince(1_700_000_000_000_000_042); got != "1700000000.000000042" {
		t.Errorf("formatSince = %q", got)
	}
	ev := toEvent(events.Message{Action: events.ActionDie, TimeNano: 5, Actor: events.Actor{ID: "x",
		Attributes: map[string]string{"exitCode": "3", runtime.LabelPodUID: "u", runtime.LabelSandbox: "true"}}})
	if ev.ExitCode != 3 || ev.PodUID != "u" || !ev.Sandbox || ev.Time.UnixNano() != 5 {
		t.Errorf("toEvent = %+v", ev)
	}
}

func TestSmallHelpers(t *testing.T) {
	b := &limitedBuffer{max: 4}
	_, _ = b.Write([]byte("abc"))
	if n, _ := b.Write([]byte("def")); n != 3 || b.String() != "abcd" {
		t.Errorf("limitedBuffer = %q", b.String())
	}
	p := &jsonstream.Progress{Current: 1, Total: 2}
	if got := progressLine(jsonstream.Message{ID: "l1", Status: "Downloading", Progress: p}); got != "l1: Downloading 1/2" {
		t.Errorf("progressLine = %q", got)
	}
	if got := truncateHostname(strings.Repeat("a", 62) + "-b-"); len(got) > 63 || strings.HasSuffix(got, "-") {
		t.Errorf("truncateHostname = %q", got)
	}
	if _, _, err := sandboxHostConfig(runtime.SandboxConfig{DNS: []string{"not-an-ip"}}); !errors.Is(err, runtime.ErrInvalidConfig) {
		t.Errorf("bad DNS = %v", err)
	}
	if err := validateSandbox(runtime.SandboxConfig{PodUID: "u", Namespace: "n", Name: "p", Network: "x", IP: netip.MustParseAddr("::1")}); !errors.Is(err, runtime.ErrInvalidConfig) {
		t.Errorf("IPv6 sandbox IP = %v", err)
	}
}

func TestIsHashTag(t *testing.T) {
	for _, tc := range []struct {
		tag  string
		want bool
	}{
		{"0123456789ab", true},
		{"test-0123456", false},
		{"0123456789AB", false},
		{"dev", false},
		{"0123456789abc", false},
	} {
		if got := isHashTag(tc.tag); got != tc.want {
			t.Errorf("isHashTag(%q) = %v, want %v", tc.tag, got, tc.want)
		}
	}
}
