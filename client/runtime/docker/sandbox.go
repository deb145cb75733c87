package docker

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/berth-dev/berth/client/runtime"
)

// CreateSandbox implements runtime.Runtime.
func (r *Runtime) CreateSandbox(ctx context.Context, cfg runtime.SandboxConfig) (string, error) {
	if err := validateSandbox(cfg); err != nil {
		return "", err
	}
	hostCfg, exposed, err := sandboxHostConfig(cfg)
	if err != nil {
		return "", err
	}
	hostname := cfg.Hostname
	if hostname == "" {
		hostname = cfg.Name
	}
	meta := runtime.Meta{PodUID: cfg.PodUID, Namespace: cfg.Namespace, PodName: cfg.Name, Attempt: cfg.Attempt, Sandbox: true}
	endpoint := &network.EndpointSettings{}
	if cfg.IP.IsValid() {
		endpoint.IPAMConfig = &network.EndpointIPAMConfig{IPv4Address: cfg.IP}
	}
	name := dockerName("POD", cfg.Name, cfg.Namespace, cfg.PodUID, cfg.Attempt)
	created, err := r.cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name: name,
		Config: &container.Config{
			Image:        r.cfg.InfraImage,
			Hostname:     truncateHostname(hostname),
			Labels:       meta.Labels(cfg.Labels),
			ExposedPorts: exposed,
		},
		HostConfig:       hostCfg,
		NetworkingConfig: &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{cfg.Network: endpoint}},
	})
	if err != nil {
		return "", createError(err, "create sandbox "+name)
	}
	if _, err := r.cli.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		// Leave nothing half-made: the worker retries with the same name.
		_, _ = r.cli.ContainerRemove(context.WithoutCancel(ctx), created.ID, client.ContainerRemoveOptions{Force: true})
		return "", startError(err, "start sandbox "+name)
	}
	return created.ID, nil
}

func validateSandbox(cfg runtime.SandboxConfig) error {
	switch {
	case cfg.PodUID == "", cfg.Namespace == "", cfg.Name == "":
		return fmt.Errorf("%w: sandbox needs pod uid, namespace and name", runtime.ErrInvalidConfig)
	case cfg.Network == "":
		return fmt.Errorf("%w: sandbox %s/%s has no network", runtime.ErrInvalidConfig, cfg.Namespace, cfg.Name)
	case cfg.IP.IsValid() && !cfg.IP.Is4():
		return fmt.Errorf("%w: sandbox IP %v is not IPv4", runtime.ErrInvalidConfig, cfg.IP)
	case cfg.Attempt < 0:
		return fmt.Errorf("%w: negative attempt %d", runtime.ErrInvalidConfig, cfg.Attempt)
	}
	return nil
}

// sandboxHostConfig carries the pod-wide settings: DNS (joined containers
// cannot take their own), published ports, and a shareable IPC namespace.
func sandboxHostConfig(cfg runtime.SandboxConfig) (*container.HostConfig, network.PortSet, error) {
	dns := make([]netip.Addr, 0, len(cfg.DNS))
	for _, s := range cfg.DNS {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: DNS server %q: %w", runtime.ErrInvalidConfig, s, err)
		}
		dns = append(dns, a)
	}
	bindings, exposed, err := portBindings(cfg.PortMappings)
	if err != nil {
		return nil, nil, err
	}
	return &container.HostConfig{
		NetworkMode:  container.NetworkMode(cfg.Network),
		DNS:          dns,
		DNSSearch:    cfg.DNSSearch,
		DNSOptions:   cfg.DNSOptions,
		PortBindings: bindings,
		IpcMode:      container.IPCModeShareable,
		LogConfig:    logConfig(),
	}, exposed, nil
}

func portBindings(pms []runtime.PortMapping) (network.PortMap, network.PortSet, error) {
	if len(pms) == 0 {
		return nil, nil, nil
	}
	bindings := network.PortMap{}
	exposed := network.PortSet{}
	for _, pm := range pms {
		proto := strings.ToLower(pm.Protocol)
		if proto == "" {
			proto = "tcp"
		}
		p, ok := network.PortFrom(pm.ContainerPort, network.IPProtocol(proto))
		if !ok || pm.ContainerPort == 0 || (proto != "tcp" && proto != "udp" && proto != "sctp") {
			return nil, nil, fmt.Errorf("%w: port mapping %d/%s", runtime.ErrInvalidConfig, pm.ContainerPort, pm.Protocol)
		}
		exposed[p] = struct{}{}
		if pm.HostPort == 0 {
			continue
		}
		bindings[p] = append(bindings[p], network.PortBinding{HostIP: pm.HostIP, HostPort: strconv.Itoa(int(pm.HostPort))})
	}
	return bindings, exposed, nil
}

// truncateHostname keeps a hostname within the kernel's 64-byte limit,
// as the kubelet does for long pod names.
func truncateHostname(h string) string {
	if len(h) > 63 {
		h = strings.TrimRight(h[:63], "-.")
	}
	return h
}

// RemoveSandbox implements runtime.Runtime. The pause process holds no state
// worth a grace period, so the sandbox is killed and removed at once.
func (r *Runtime) RemoveSandbox(ctx context.Context, id string) error {
	_, err := r.cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true})
	return translate(ignoreNotFound(err), "remove sandbox "+id)
}

// dockerName builds a readable, unique engine name in the kubelet's style:
// berth_<container>_<pod>_<namespace>_<uid>_<attempt>.
func dockerName(container, pod, namespace, uid string, attempt int) string {
	return strings.Join([]string{"berth", container, pod, namespace, uid, strconv.Itoa(attempt)}, "_")
}

// createError turns a name clash into ErrAlreadyExists and a missing
// sandbox (which the engine calls an invalid parameter) into ErrNotFound.
func createError(err error, what string) error {
	switch {
	case cerrdefs.IsConflict(err):
		return fmt.Errorf("%w: %s: %w", runtime.ErrAlreadyExists, what, err)
	case strings.Contains(err.Error(), "No such container"):
		return fmt.Errorf("%w: %s: %w", runtime.ErrNotFound, what, err)
	}
	return translate(err, what)
}

// startError classifies a failed start: an address clash is a conflict the
// caller can fix, a missing container is gone, anything else means the
// process could not run.
func startError(err error, what string) error {
	switch {
	case strings.Contains(err.Error(), "ddress already in use"):
		return fmt.Errorf("%w: %s: %w", runtime.ErrConflict, what, err)
	case cerrdefs.IsNotFound(err) && strings.Contains(err.Error(), "No such container"):
		return translate(err, what)
	case ctxErr(err):
		return translate(err, what)
	}
	return fmt.Errorf("%w: %s: %w", runtime.ErrStartFailed, what, err)
}
