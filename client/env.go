package client

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/runtime"
	"github.com/berth-dev/berth/client/runtime/fake"
)

// ErrEnv: a container's environment cannot be resolved (a missing Secret,
// ConfigMap or key that is not optional, an unknown field path).
var ErrEnv = errors.New("client: cannot resolve environment")

var (
	secretRes    = mustResource("Secret")
	configMapRes = mustResource("ConfigMap")
)

// containerConfig turns a spec container into the runtime's config.
func (w *podWorker) containerConfig(ctx context.Context, pod *api.Pod, c *api.Container, attempt int) (runtime.ContainerConfig, error) {
	env, err := w.a.resolveEnv(ctx, pod, c, w.ip.String())
	if err != nil {
		return runtime.ContainerConfig{}, err
	}
	mounts, err := w.a.mounts(pod, c)
	if err != nil {
		return runtime.ContainerConfig{}, err
	}
	cfg := runtime.ContainerConfig{
		PodUID: w.uid, Namespace: pod.Namespace, PodName: pod.Name, Name: c.Name, Image: c.Image,
		Command: c.Command, Args: c.Args, Env: env, WorkingDir: c.WorkingDir, Mounts: mounts,
		TTY: c.TTY, Stdin: c.Stdin, Attempt: attempt,
	}
	if _, ok := w.a.rt.(*fake.Runtime); ok {
		cfg.Labels = fake.BehaviorLabels(pod.Annotations) // scripted exits (fake/doc.go)
	}
	if q, ok := c.Resources.Limits[api.ResourceCPU]; ok {
		cfg.NanoCPUs = q.MilliValue() * 1_000_000
	}
	if q, ok := c.Resources.Limits[api.ResourceMemory]; ok {
		cfg.MemoryBytes = q.Value()
	}
	return cfg, nil
}

// objectCache memoises Secret and ConfigMap reads within one container's
// resolution, so ten keys of one Secret cost one request.
type objectCache map[string]api.Object

func (a *Agent) getCached(ctx context.Context, cache objectCache, res *api.Resource, ns, name string) (api.Object, error) {
	key := res.Kind + "/" + name
	if obj, ok := cache[key]; ok {
		return obj, nil
	}
	var obj api.Object
	err := a.apis.do(ctx, func(c *api.Client) error {
		var err error
		obj, err = c.Get(ctx, res, ns, name, api.GetOptions{})
		return err
	})
	if err != nil {
		return nil, err
	}
	cache[key] = obj
	return obj, nil
}

// lookupKey reads one key of a Secret or ConfigMap; found is false when the
// object or key is absent and optional says that is fine.
func (a *Agent) lookupKey(ctx context.Context, cache objectCache, res *api.Resource, ns, name, key string, optional *bool) (string, bool, error) {
	obj, err := a.getCached(ctx, cache, res, ns, name)
	if api.ReasonOf(err) == api.ReasonNotFound {
		if optional != nil && *optional {
			return "", false, nil
		}
		return "", false, fmt.Errorf("%w: %s %q not found", ErrEnv, strings.ToLower(res.Kind), name)
	}
	if err != nil {
		return "", false, err
	}
	data := dataOf(obj)
	v, ok := data[key]
	if !ok {
		if optional != nil && *optional {
			return "", false, nil
		}
		return "", false, fmt.Errorf("%w: couldn't find key %s in %s %s/%s", ErrEnv, key, res.Kind, ns, name)
	}
	return string(v), true, nil
}

// dataOf returns the keys of a Secret or ConfigMap as bytes.
func dataOf(obj api.Object) map[string][]byte {
	out := map[string][]byte{}
	switch o := obj.(type) {
	case *api.Secret:
		maps.Copy(out, o.Data)
		for k, v := range o.StringData {
			out[k] = []byte(v)
		}
	case *api.ConfigMap:
		maps.Copy(out, o.BinaryData)
		for k, v := range o.Data {
			out[k] = []byte(v)
		}
	}
	return out
}

// resolveEnv builds "KEY=value" pairs: envFrom first, then env (which wins),
// as the kubelet does.
func (a *Agent) resolveEnv(ctx context.Context, pod *api.Pod, c *api.Container, podIP string) ([]string, error) {
	cache := objectCache{}
	vals := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := vals[k]; !ok {
			order = append(order, k)
		}
		vals[k] = v
	}
	for _, from := range c.EnvFrom {
		if err := a.envFrom(ctx, cache, pod.Namespace, from, set); err != nil {
			return nil, err
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			set(e.Name, expandEnv(e.Value, vals))
			continue
		}
		v, ok, err := a.envValue(ctx, cache, pod, c, e.ValueFrom, podIP)
		if err != nil {
			return nil, fmt.Errorf("env %s: %w", e.Name, err)
		}
		if ok {
			set(e.Name, v)
		}
	}
	out := make([]string, 0, len(order))
	for _, k := range order {
		out = append(out, k+"="+vals[k])
	}
	return out, nil
}

func (a *Agent) envFrom(ctx context.Context, cache objectCache, ns string, from api.EnvFromSource, set func(k, v string)) error {
	var res *api.Resource
	var name string
	var optional *bool
	switch {
	case from.ConfigMapRef != nil:
		res, name, optional = configMapRes, from.ConfigMapRef.Name, from.ConfigMapRef.Optional
	case from.SecretRef != nil:
		res, name, optional = secretRes, from.SecretRef.Name, from.SecretRef.Optional
	default:
		return nil
	}
	obj, err := a.getCached(ctx, cache, res, ns, name)
	if api.ReasonOf(err) == api.ReasonNotFound && optional != nil && *optional {
		return nil
	}
	if api.ReasonOf(err) == api.ReasonNotFound {
		return fmt.Errorf("%w: %s %q not found", ErrEnv, strings.ToLower(res.Kind), name)
	}
	if err != nil {
		return err
	}
	data := dataOf(obj)
	for _, k := range slices.Sorted(maps.Keys(data)) {
		set(from.Prefix+k, string(data[k]))
	}
	return nil
}

func (a *Agent) envValue(ctx context.Context, cache objectCache, pod *api.Pod, c *api.Container, src *api.EnvVarSource, podIP string) (string, bool, error) {
	switch {
	case src.SecretKeyRef != nil:
		r := src.SecretKeyRef
		return a.lookupKey(ctx, cache, secretRes, pod.Namespace, r.Name, r.Key, r.Optional)
	case src.ConfigMapKeyRef != nil:
		r := src.ConfigMapKeyRef
		return a.lookupKey(ctx, cache, configMapRes, pod.Namespace, r.Name, r.Key, r.Optional)
	case src.FieldRef != nil:
		v, err := fieldValue(pod, src.FieldRef.FieldPath, podIP, a.cfg.advertise())
		return v, err == nil, err
	case src.ResourceFieldRef != nil:
		v, err := resourceValue(pod, c, src.ResourceFieldRef)
		return v, err == nil, err
	}
	return "", false, nil
}

// fieldValue is the downward API for env.
func fieldValue(pod *api.Pod, path, podIP, hostIP string) (string, error) {
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return pod.UID, nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.podIP", "status.podIPs":
		return podIP, nil
	case "status.hostIP", "status.hostIPs":
		return hostIP, nil
	}
	for _, prefix := range []string{"metadata.labels['", "metadata.annotations['"} {
		if key, ok := strings.CutPrefix(path, prefix); ok && strings.HasSuffix(key, "']") {
			key = strings.TrimSuffix(key, "']")
			if strings.HasPrefix(prefix, "metadata.labels") {
				return pod.Labels[key], nil
			}
			return pod.Annotations[key], nil
		}
	}
	return "", fmt.Errorf("%w: unsupported fieldPath %q", ErrEnv, path)
}

// resourceValue is limits.cpu / limits.memory / requests.* of a container,
// divided by the divisor and rounded up, as the kubelet does.
func resourceValue(pod *api.Pod, c *api.Container, ref *api.ResourceFieldSelector) (string, error) {
	if ref.ContainerName != "" {
		c = nil
		for i := range pod.Spec.Containers {
			if pod.Spec.Containers[i].Name == ref.ContainerName {
				c = &pod.Spec.Containers[i]
			}
		}
		if c == nil {
			return "", fmt.Errorf("%w: no container %q", ErrEnv, ref.ContainerName)
		}
	}
	kind, name, ok := strings.Cut(ref.Resource, ".")
	if !ok {
		return "", fmt.Errorf("%w: unsupported resource %q", ErrEnv, ref.Resource)
	}
	list := c.Resources.Limits
	if kind == "requests" {
		list = c.Resources.Requests
	}
	q, set := list[name]
	milli := q.MilliValue()
	if !set {
		milli = 0
	}
	divisor := int64(1000) // 1 (cores or bytes) in milli units
	if ref.Divisor != nil && ref.Divisor.MilliValue() > 0 {
		divisor = ref.Divisor.MilliValue()
	}
	return strconv.FormatInt((milli+divisor-1)/divisor, 10), nil
}

// expandEnv replaces $(VAR) with earlier variables; $$(VAR) escapes.
func expandEnv(s string, vals map[string]string) string {
	if !strings.Contains(s, "$(") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '$' && i+1 < len(s) && s[i+1] == '$' {
			b.WriteByte('$')
			i++
			continue
		}
		if s[i] == '$' && i+1 < len(s) && s[i+1] == '(' {
			if end := strings.IndexByte(s[i+2:], ')'); end >= 0 {
				name := s[i+2 : i+2+end]
				if v, ok := vals[name]; ok {
					b.WriteString(v)
					i += end + 2
					continue
				}
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
