package docker

import (
	"context"
	"fmt"
	"maps"
	"sort"

	"github.com/moby/moby/client"

	"github.com/berth-dev/berth/client/runtime"
)

// EnsureVolume implements runtime.Runtime. The engine's create is
// idempotent for a local volume of the same name, so no inspect first.
func (r *Runtime) EnsureVolume(ctx context.Context, name string, labels map[string]string) error {
	if name == "" {
		return fmt.Errorf("%w: empty volume name", runtime.ErrInvalidConfig)
	}
	l := make(map[string]string, len(labels)+1)
	maps.Copy(l, labels)
	l[runtime.LabelManaged] = "true"
	_, err := r.cli.VolumeCreate(ctx, client.VolumeCreateOptions{Name: name, Driver: "local", Labels: l})
	return translate(err, "create volume "+name)
}

// RemoveVolume implements runtime.Runtime.
func (r *Runtime) RemoveVolume(ctx context.Context, name string) error {
	_, err := r.cli.VolumeRemove(ctx, name, client.VolumeRemoveOptions{})
	return translate(ignoreNotFound(err), "remove volume "+name)
}

// ListVolumes implements runtime.Runtime, sorted by name.
func (r *Runtime) ListVolumes(ctx context.Context) ([]runtime.Volume, error) {
	res, err := r.cli.VolumeList(ctx, client.VolumeListOptions{Filters: managedFilter()})
	if err != nil {
		return nil, translate(err, "list volumes")
	}
	out := make([]runtime.Volume, 0, len(res.Items))
	for _, v := range res.Items {
		out = append(out, runtime.Volume{Name: v.Name, PodUID: v.Labels[runtime.LabelPodUID], Labels: v.Labels})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
