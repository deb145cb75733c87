package fake

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/berth-dev/berth/client/runtime"
)

// EnsureVolume implements runtime.Runtime.
func (r *Runtime) EnsureVolume(ctx context.Context, name string, labels map[string]string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if name == "" {
		return fmt.Errorf("%w: empty volume name", runtime.ErrInvalidConfig)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.volumes[name]; !ok {
		l := maps.Clone(labels)
		if l == nil {
			l = map[string]string{}
		}
		l[runtime.LabelManaged] = "true"
		r.volumes[name] = l
	}
	return nil
}

// RemoveVolume implements runtime.Runtime; ErrConflict while any container
// (running or not) mounts the volume, as on Docker.
func (r *Runtime) RemoveVolume(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, c := range r.containers {
		for _, m := range c.mounts {
			if m.Type == runtime.MountVolume && m.Source == name {
				return fmt.Errorf("%w: volume %s is in use by %s", runtime.ErrConflict, name, id)
			}
		}
	}
	delete(r.volumes, name)
	return nil
}

// ListVolumes implements runtime.Runtime, sorted by name.
func (r *Runtime) ListVolumes(ctx context.Context) ([]runtime.Volume, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]runtime.Volume, 0, len(r.volumes))
	for name, l := range r.volumes {
		out = append(out, runtime.Volume{Name: name, PodUID: l[runtime.LabelPodUID], Labels: maps.Clone(l)})
	}
	slices.SortFunc(out, func(a, b runtime.Volume) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// EnsureNetwork implements runtime.Runtime with Docker's reuse rule.
func (r *Runtime) EnsureNetwork(ctx context.Context, name string, subnet netip.Prefix) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if name == "" || !subnet.IsValid() {
		return fmt.Errorf("%w: network %q subnet %v", runtime.ErrInvalidConfig, name, subnet)
	}
	subnet = subnet.Masked()
	r.mu.Lock()
	defer r.mu.Unlock()
	have, ok := r.networks[name]
	if !ok {
		r.networks[name] = subnet
		return nil
	}
	if have.Bits() <= subnet.Bits() && have.Contains(subnet.Addr()) {
		return nil
	}
	return fmt.Errorf("%w: network %s has subnet %v, which does not contain %v", runtime.ErrNetworkConflict, name, have, subnet)
}

// RemoveNetwork implements runtime.Runtime; ErrConflict while a sandbox is on it.
func (r *Runtime) RemoveNetwork(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, c := range r.containers {
		if c.network == name {
			return fmt.Errorf("%w: network %s has sandbox %s", runtime.ErrConflict, name, id)
		}
	}
	delete(r.networks, name)
	return nil
}
