package client

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/runtime"
)

// ErrVolume: a pod volume cannot be prepared or mounted.
var ErrVolume = errors.New("client: volume")

// volumeName is the engine volume of an emptyDir.
func volumeName(uid, volume string) string { return "berth-" + uid + "-" + volume }

// podDir is where the agent keeps a pod's files.
func (a *Agent) podDir(uid string) string { return filepath.Join(a.cfg.DataDir, "pods", uid) }

// prepareVolumes creates emptyDir volumes and writes secret and configMap
// files. It is idempotent: a worker calls it until it succeeds.
func (a *Agent) prepareVolumes(ctx context.Context, pod *api.Pod) error {
	cache := objectCache{}
	for _, v := range pod.Spec.Volumes {
		var err error
		switch {
		case v.EmptyDir != nil:
			labels := runtime.Meta{PodUID: pod.UID, Namespace: pod.Namespace, PodName: pod.Name}.Labels(nil)
			err = a.rt.EnsureVolume(ctx, volumeName(pod.UID, v.Name), labels)
		case v.PersistentVolumeClaim != nil:
			claim := v.PersistentVolumeClaim.ClaimName
			err = a.rt.EnsureVolume(ctx, claimVolumeName(pod.Namespace, claim), claimVolumeLabels(pod.Namespace, claim))
		case v.Secret != nil:
			s := v.Secret
			err = a.writeKeys(ctx, cache, pod, v.Name, secretRes, s.SecretName, s.Items, s.DefaultMode, s.Optional)
		case v.ConfigMap != nil:
			c := v.ConfigMap
			err = a.writeKeys(ctx, cache, pod, v.Name, configMapRes, c.Name, c.Items, c.DefaultMode, c.Optional)
		}
		if err != nil {
			return fmt.Errorf("%w %q: %w", ErrVolume, v.Name, err)
		}
	}
	return nil
}

// writeKeys writes a Secret's or ConfigMap's keys (or the chosen items) as
// files under DataDir/pods/<uid>/volumes/<volume>/, replacing what was there.
func (a *Agent) writeKeys(ctx context.Context, cache objectCache, pod *api.Pod, volume string, res *api.Resource, name string, items []api.KeyToPath, defaultMode *int32, optional *bool) error {
	obj, err := a.getCached(ctx, cache, res, pod.Namespace, name)
	var data map[string][]byte
	switch {
	case api.ReasonOf(err) == api.ReasonNotFound && optional != nil && *optional:
		data = map[string][]byte{}
	case api.ReasonOf(err) == api.ReasonNotFound:
		return fmt.Errorf("%s %q not found", strings.ToLower(res.Kind), name)
	case err != nil:
		return err
	default:
		data = dataOf(obj)
	}
	mode := os.FileMode(0o644)
	if defaultMode != nil {
		mode = os.FileMode(*defaultMode) & 0o777
	}
	if len(items) == 0 {
		for _, k := range slices.Sorted(maps.Keys(data)) {
			items = append(items, api.KeyToPath{Key: k, Path: k})
		}
	}
	// Files are replaced one by one (write, then rename) inside the directory
	// itself: running containers bind-mount it, and replacing the directory
	// would leave them looking at the old, emptied one.
	dir := filepath.Join(a.podDir(pod.UID), "volumes", volume)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, it := range items {
		val, ok := data[it.Key]
		if !ok {
			if optional != nil && *optional {
				continue
			}
			return fmt.Errorf("key %q not found in %s %q", it.Key, strings.ToLower(res.Kind), name)
		}
		rel := path.Clean("/" + it.Path)[1:]
		if rel == "" || rel != it.Path {
			return fmt.Errorf("item path %q is not a clean relative path", it.Path)
		}
		m := mode
		if it.Mode != nil {
			m = os.FileMode(*it.Mode) & 0o777
		}
		if err := writeFileAtomic(filepath.Join(dir, filepath.FromSlash(rel)), val, m); err != nil {
			return err
		}
	}
	return nil
}

// writeFileAtomic writes a file through a temporary name in its directory.
func writeFileAtomic(file string, val []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	tmp := file + ".berth-tmp"
	if err := os.WriteFile(tmp, val, mode); err != nil {
		return err
	}
	if err := os.Chmod(tmp, mode); err != nil { // WriteFile's mode passes through the umask
		return err
	}
	return os.Rename(tmp, file)
}

// mounts turns a container's volumeMounts into runtime mounts.
func (a *Agent) mounts(pod *api.Pod, c *api.Container) ([]runtime.Mount, error) {
	vols := map[string]api.Volume{}
	for _, v := range pod.Spec.Volumes {
		vols[v.Name] = v
	}
	var out []runtime.Mount
	for _, vm := range c.VolumeMounts {
		v, ok := vols[vm.Name]
		if !ok {
			return nil, fmt.Errorf("%w: volumeMount %q names no volume of the pod", ErrVolume, vm.Name)
		}
		m := runtime.Mount{Target: vm.MountPath, ReadOnly: vm.ReadOnly, Type: runtime.MountBind}
		switch {
		case v.EmptyDir != nil:
			m.Source, m.Type = volumeName(pod.UID, v.Name), runtime.MountVolume
		case v.PersistentVolumeClaim != nil:
			m.Source, m.Type = claimVolumeName(pod.Namespace, v.PersistentVolumeClaim.ClaimName), runtime.MountVolume
			m.ReadOnly = m.ReadOnly || v.PersistentVolumeClaim.ReadOnly
		case v.HostPath != nil:
			m.Source = v.HostPath.Path
		case v.Secret != nil, v.ConfigMap != nil:
			m.Source, m.ReadOnly = filepath.Join(a.podDir(pod.UID), "volumes", v.Name), true
		default:
			return nil, fmt.Errorf("%w: volume %q has a type Berth does not run", ErrVolume, v.Name)
		}
		if vm.SubPath != "" && m.Type == runtime.MountBind {
			sub := path.Clean("/" + vm.SubPath)[1:]
			if sub != vm.SubPath {
				return nil, fmt.Errorf("%w: subPath %q is not a clean relative path", ErrVolume, vm.SubPath)
			}
			m.Source = filepath.Join(m.Source, filepath.FromSlash(sub))
		}
		out = append(out, m)
	}
	return out, nil
}

// cleanupPod removes a pod's sandbox, volumes and files and frees its IP.
// Its app containers must be gone already.
func (a *Agent) cleanupPod(ctx context.Context, uid string) {
	all, err := a.rt.ListContainers(ctx)
	if err == nil {
		for _, c := range all {
			if c.PodUID != uid {
				continue
			}
			if c.Sandbox {
				err = errors.Join(err, a.rt.RemoveSandbox(ctx, c.ID))
			} else {
				err = errors.Join(err, a.rt.RemoveContainer(ctx, c.ID))
			}
		}
	}
	if vols, verr := a.rt.ListVolumes(ctx); verr == nil {
		for _, v := range vols {
			if v.PodUID == uid {
				err = errors.Join(err, a.rt.RemoveVolume(ctx, v.Name))
			}
		}
	} else {
		err = errors.Join(err, verr)
	}
	err = errors.Join(err, os.RemoveAll(a.podDir(uid)))
	if err != nil {
		a.log.Warn("pod cleanup incomplete", "uid", uid, "err", err)
	}
	if a.ipam != nil {
		a.ipam.release(uid)
	}
}
