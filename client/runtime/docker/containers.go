package docker

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/berth-dev/berth/client/runtime"
)

// CreateContainer implements runtime.Runtime.
func (r *Runtime) CreateContainer(ctx context.Context, sandboxID string, cfg runtime.ContainerConfig) (string, error) {
	if err := validateContainer(sandboxID, cfg); err != nil {
		return "", err
	}
	mounts, err := dockerMounts(cfg.Mounts)
	if err != nil {
		return "", err
	}
	meta := runtime.Meta{PodUID: cfg.PodUID, Namespace: cfg.Namespace, PodName: cfg.PodName, ContainerName: cfg.Name, Attempt: cfg.Attempt}
	join := "container:" + sandboxID
	ccfg := &container.Config{
		Image:        cfg.Image,
		Env:          cfg.Env,
		WorkingDir:   cfg.WorkingDir,
		Labels:       meta.Labels(cfg.Labels),
		Tty:          cfg.TTY,
		OpenStdin:    cfg.Stdin,
		AttachStdin:  cfg.Stdin,
		AttachStdout: true,
		AttachStderr: true,
	}
	// Kubernetes rules: command replaces the entrypoint, args the command; a
	// command without args drops the image's command too (the engine does
	// that by itself once Entrypoint is set).
	if len(cfg.Command) > 0 {
		ccfg.Entrypoint = cfg.Command
	}
	if len(cfg.Args) > 0 {
		ccfg.Cmd = cfg.Args
	}
	name := dockerName(cfg.Name, cfg.PodName, cfg.Namespace, cfg.PodUID, cfg.Attempt)
	created, err := r.cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name:   name,
		Config: ccfg,
		HostConfig: &container.HostConfig{
			NetworkMode: container.NetworkMode(join),
			IpcMode:     container.IpcMode(join),
			Mounts:      mounts,
			Resources:   container.Resources{NanoCPUs: cfg.NanoCPUs, Memory: cfg.MemoryBytes},
			LogConfig:   logConfig(),
		},
	})
	if err != nil {
		return "", createError(err, "create container "+name)
	}
	return created.ID, nil
}

func validateContainer(sandboxID string, cfg runtime.ContainerConfig) error {
	switch {
	case sandboxID == "":
		return fmt.Errorf("%w: container %s has no sandbox", runtime.ErrInvalidConfig, cfg.Name)
	case cfg.PodUID == "", cfg.Namespace == "", cfg.PodName == "", cfg.Name == "":
		return fmt.Errorf("%w: container needs pod uid, namespace, pod name and name", runtime.ErrInvalidConfig)
	case cfg.Image == "":
		return fmt.Errorf("%w: container %s has no image", runtime.ErrInvalidConfig, cfg.Name)
	case cfg.NanoCPUs < 0, cfg.MemoryBytes < 0, cfg.Attempt < 0:
		return fmt.Errorf("%w: container %s: negative limit or attempt", runtime.ErrInvalidConfig, cfg.Name)
	}
	return nil
}

func dockerMounts(ms []runtime.Mount) ([]mount.Mount, error) {
	out := make([]mount.Mount, 0, len(ms))
	for _, m := range ms {
		if m.Source == "" || !path.IsAbs(m.Target) {
			return nil, fmt.Errorf("%w: mount %q -> %q", runtime.ErrInvalidConfig, m.Source, m.Target)
		}
		var typ mount.Type
		switch m.Type {
		case runtime.MountBind, "":
			typ = mount.TypeBind
			if !path.IsAbs(m.Source) {
				return nil, fmt.Errorf("%w: bind source %q is not absolute", runtime.ErrInvalidConfig, m.Source)
			}
		case runtime.MountVolume:
			typ = mount.TypeVolume
		default:
			return nil, fmt.Errorf("%w: mount type %q", runtime.ErrInvalidConfig, m.Type)
		}
		out = append(out, mount.Mount{Type: typ, Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly})
	}
	return out, nil
}

// logConfig bounds each container's log files: a chatty container must not
// fill the node's disk, and json-file keeps `docker logs` (and Logs) working
// whatever the engine's default driver is.
func logConfig() container.LogConfig {
	return container.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "10m", "max-file": "3"}}
}

// StartContainer implements runtime.Runtime.
func (r *Runtime) StartContainer(ctx context.Context, id string) error {
	if _, err := r.cli.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		return startError(err, "start container "+id)
	}
	return nil
}

// StopContainer implements runtime.Runtime. The engine's own stop timeout
// does the SIGTERM-then-SIGKILL dance, so no timer runs here.
func (r *Runtime) StopContainer(ctx context.Context, id string, grace time.Duration) error {
	secs := int(math.Ceil(max(grace, 0).Seconds()))
	_, err := r.cli.ContainerStop(ctx, id, client.ContainerStopOptions{Timeout: &secs})
	return translate(ignoreNotFound(err), "stop container "+id)
}

// RemoveContainer implements runtime.Runtime.
func (r *Runtime) RemoveContainer(ctx context.Context, id string) error {
	_, err := r.cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true})
	return translate(ignoreNotFound(err), "remove container "+id)
}

// ContainerStatus implements runtime.Runtime.
func (r *Runtime) ContainerStatus(ctx context.Context, id string) (runtime.ContainerStatus, error) {
	res, err := r.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return runtime.ContainerStatus{}, translate(err, "inspect container "+id)
	}
	return statusOf(res.Container), nil
}

// ListContainers implements runtime.Runtime. The list call lacks exit codes
// and times, so each container is inspected; one that vanishes in between
// is skipped.
func (r *Runtime) ListContainers(ctx context.Context) ([]runtime.ContainerStatus, error) {
	res, err := r.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: managedFilter()})
	if err != nil {
		return nil, translate(err, "list containers")
	}
	out := make([]runtime.ContainerStatus, 0, len(res.Items))
	for _, c := range res.Items {
		st, err := r.ContainerStatus(ctx, c.ID)
		if errors.Is(err, runtime.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

func statusOf(c container.InspectResponse) runtime.ContainerStatus {
	st := runtime.ContainerStatus{ID: c.ID, ImageID: c.Image, State: runtime.StateUnknown, CreatedAt: parseTime(c.Created)}
	if c.Config != nil {
		st.Image = c.Config.Image
		st.Labels = c.Config.Labels
		st.Meta = runtime.MetaFromLabels(c.Config.Labels)
	}
	if c.NetworkSettings != nil {
		for _, ep := range c.NetworkSettings.Networks {
			if ep != nil && ep.IPAddress.IsValid() {
				st.IP = ep.IPAddress
				break
			}
		}
	}
	s := c.State
	if s == nil {
		return st
	}
	st.StartedAt, st.FinishedAt = parseTime(s.StartedAt), parseTime(s.FinishedAt)
	st.Message = s.Error
	switch s.Status {
	case container.StateCreated:
		st.State = runtime.StateCreated
		if s.Error != "" {
			// A failed start leaves the container created, with the reason.
			st.ExitCode, st.Reason = s.ExitCode, runtime.ReasonContainerCannotRun
		}
	case container.StateRunning, container.StateRestarting:
		st.State = runtime.StateRunning
	case container.StateExited, container.StateDead:
		st.State, st.ExitCode, st.Reason = runtime.StateExited, s.ExitCode, exitReason(s)
	}
	return st
}

func exitReason(s *container.State) string {
	switch {
	case s.OOMKilled:
		return runtime.ReasonOOMKilled
	case s.Error != "" && parseTime(s.StartedAt).IsZero():
		return runtime.ReasonContainerCannotRun
	case s.ExitCode == 0:
		return runtime.ReasonCompleted
	}
	return runtime.ReasonError
}

// parseTime reads the engine's RFC 3339 times; its "0001-01-01..." and
// garbage both become the zero time.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() <= 1 {
		return time.Time{}
	}
	return t
}

func ctxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// isNotRunning spots the engine's refusal to exec into a stopped container.
func isNotRunning(err error) bool { return cerrdefs.IsConflict(err) }
