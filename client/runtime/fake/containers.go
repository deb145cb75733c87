package fake

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/client/runtime"
)

// CreateSandbox implements runtime.Runtime: the sandbox runs at once.
func (r *Runtime) CreateSandbox(ctx context.Context, cfg runtime.SandboxConfig) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if cfg.PodUID == "" || cfg.Namespace == "" || cfg.Name == "" || cfg.Network == "" || cfg.Attempt < 0 {
		return "", fmt.Errorf("%w: sandbox needs pod uid, namespace, name and network", runtime.ErrInvalidConfig)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.networks[cfg.Network]; !ok {
		return "", fmt.Errorf("%w: network %s", runtime.ErrNotFound, cfg.Network)
	}
	if other := r.sandboxWithIP(cfg.Network, cfg); other != "" {
		return "", fmt.Errorf("%w: address %v already in use by %s", runtime.ErrConflict, cfg.IP, other)
	}
	meta := runtime.Meta{PodUID: cfg.PodUID, Namespace: cfg.Namespace, PodName: cfg.Name, Attempt: cfg.Attempt, Sandbox: true}
	c, err := r.add(meta, cfg.Labels, r.cfg.InfraImage, "")
	if err != nil {
		return "", err
	}
	c.network, c.status.IP = cfg.Network, cfg.IP
	r.start(c)
	return c.status.ID, nil
}

// sandboxWithIP names a running sandbox holding cfg.IP. Callers hold r.mu.
func (r *Runtime) sandboxWithIP(network string, cfg runtime.SandboxConfig) string {
	if !cfg.IP.IsValid() {
		return ""
	}
	for id, c := range r.containers {
		if c.network == network && c.status.IP == cfg.IP && c.status.State == runtime.StateRunning {
			return id
		}
	}
	return ""
}

// RemoveSandbox implements runtime.Runtime.
func (r *Runtime) RemoveSandbox(ctx context.Context, id string) error {
	return r.RemoveContainer(ctx, id)
}

// CreateContainer implements runtime.Runtime. As on Docker, the image must
// be present and the sandbox must exist.
func (r *Runtime) CreateContainer(ctx context.Context, sandboxID string, cfg runtime.ContainerConfig) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if sandboxID == "" || cfg.PodUID == "" || cfg.Namespace == "" || cfg.PodName == "" || cfg.Name == "" || cfg.Image == "" ||
		cfg.NanoCPUs < 0 || cfg.MemoryBytes < 0 || cfg.Attempt < 0 {
		return "", fmt.Errorf("%w: container %q: missing field or negative value", runtime.ErrInvalidConfig, cfg.Name)
	}
	beh, err := parseBehavior(cfg.Labels)
	if err != nil {
		return "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if sb, ok := r.containers[sandboxID]; !ok || sb.sandboxID != "" || !sb.status.Sandbox {
		return "", fmt.Errorf("%w: sandbox %s", runtime.ErrNotFound, sandboxID)
	}
	if _, ok := r.images[cfg.Image]; !ok {
		return "", fmt.Errorf("%w: no such image: %s", runtime.ErrNotFound, cfg.Image)
	}
	meta := runtime.Meta{PodUID: cfg.PodUID, Namespace: cfg.Namespace, PodName: cfg.PodName, ContainerName: cfg.Name, Attempt: cfg.Attempt}
	c, err := r.add(meta, cfg.Labels, cfg.Image, sandboxID)
	if err != nil {
		return "", err
	}
	c.mounts, c.behavior = slices.Clone(cfg.Mounts), beh
	return c.status.ID, nil
}

// add records a created container under a unique name. Callers hold r.mu.
func (r *Runtime) add(meta runtime.Meta, labels map[string]string, image, sandboxID string) (*container, error) {
	name := strings.Join([]string{meta.PodUID, meta.ContainerName, strconv.FormatBool(meta.Sandbox), strconv.Itoa(meta.Attempt)}, "/")
	if id, ok := r.names[name]; ok {
		return nil, fmt.Errorf("%w: %s/%s container %q attempt %d is %s", runtime.ErrAlreadyExists,
			meta.Namespace, meta.PodName, meta.ContainerName, meta.Attempt, id)
	}
	id := r.newID()
	c := &container{
		name:      name,
		sandboxID: sandboxID,
		logs:      r.cfg.Logs,
		status: runtime.ContainerStatus{
			ID: id, Meta: meta, State: runtime.StateCreated, CreatedAt: r.cfg.Now(),
			Image: image, ImageID: "sha256:" + id, Labels: meta.Labels(labels),
		},
	}
	r.containers[id] = c
	r.names[name] = id
	return c, nil
}

// StartContainer implements runtime.Runtime. Starting a running container
// is a no-op, as on the engine.
func (r *Runtime) StartContainer(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.lookup(id)
	if err != nil {
		return err
	}
	if c.status.State != runtime.StateRunning {
		r.start(c)
	}
	return nil
}

// start makes c run and announces it. Callers hold r.mu.
func (r *Runtime) start(c *container) {
	st := &c.status
	st.State, st.StartedAt, st.FinishedAt = runtime.StateRunning, r.cfg.Now(), time.Time{}
	st.ExitCode, st.Reason, st.Message = 0, "", ""
	c.done = make(chan struct{})
	r.emit(c, runtime.EventStart, 0)
	r.scheduleExit(c)
}

// exit stops a running c with code and reason. Callers hold r.mu.
func (r *Runtime) exit(c *container, code int, reason string) {
	if c.status.State != runtime.StateRunning {
		return
	}
	st := &c.status
	st.State, st.ExitCode, st.Reason, st.FinishedAt = runtime.StateExited, code, reason, r.cfg.Now()
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	close(c.done)
	r.emit(c, runtime.EventDie, code)
}

func reasonFor(code int) string {
	if code == 0 {
		return runtime.ReasonCompleted
	}
	return runtime.ReasonError
}

// StopContainer implements runtime.Runtime: the fake process honours
// SIGTERM at once and exits 0, so grace never runs out.
func (r *Runtime) StopContainer(ctx context.Context, id string, grace time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.containers[id]; ok {
		r.exit(c, 0, runtime.ReasonCompleted)
	}
	return nil
}

// RemoveContainer implements runtime.Runtime; a running container is killed.
func (r *Runtime) RemoveContainer(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.containers[id]
	if !ok {
		return nil
	}
	r.exit(c, 137, runtime.ReasonError)
	delete(r.containers, id)
	delete(r.names, c.name)
	return nil
}

// ContainerStatus implements runtime.Runtime.
func (r *Runtime) ContainerStatus(ctx context.Context, id string) (runtime.ContainerStatus, error) {
	if err := ctx.Err(); err != nil {
		return runtime.ContainerStatus{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.lookup(id)
	if err != nil {
		return runtime.ContainerStatus{}, err
	}
	return snapshot(c), nil
}

// ListContainers implements runtime.Runtime, sorted by ID.
func (r *Runtime) ListContainers(ctx context.Context) ([]runtime.ContainerStatus, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]runtime.ContainerStatus, 0, len(r.containers))
	for _, c := range r.containers {
		out = append(out, snapshot(c))
	}
	slices.SortFunc(out, func(a, b runtime.ContainerStatus) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// snapshot copies the status so callers never share the labels map.
func snapshot(c *container) runtime.ContainerStatus {
	st := c.status
	st.Labels = maps.Clone(st.Labels)
	return st
}
