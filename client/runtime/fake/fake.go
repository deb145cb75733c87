package fake

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/berth-dev/berth/client/runtime"
)

var _ runtime.Runtime = (*Runtime)(nil)

// Config sets what a fake node reports. Zero fields take DefaultConfig's value.
type Config struct {
	Hostname    string          // default "fake-node"
	CPUs        int             // default 4
	MemoryBytes int64           // default 16 GiB
	MaxPods     int             // default 110, the kubelet's default
	InfraImage  string          // default "berth/pause:fake"
	Images      []runtime.Image // present from the start (the infra image is added on EnsureInfraImage)
	// Logs is every container's canned output until SetLogs; default one line.
	Logs string
	// Now is the clock for status times; default time.Now. Scripted exits
	// (AnnotationRunSeconds) always wait in real time.
	Now func() time.Time
	// Notify, if not nil, receives every container event (start, die, oom)
	// as it happens, without a subscription goroutine: hollow nodes share one
	// dispatcher across thousands of runtimes. It is called with the
	// runtime's lock held, from whichever goroutine caused the event (a
	// caller of the runtime, or the timer of a scripted exit): it must return
	// quickly and must not call the runtime.
	Notify func(runtime.ContainerEvent)
}

// DefaultConfig is a modest node: enough for scale tests to pack pods.
func DefaultConfig() Config {
	return Config{
		Hostname:    "fake-node",
		CPUs:        4,
		MemoryBytes: 16 << 30,
		MaxPods:     110,
		InfraImage:  "berth/pause:fake",
		Logs:        "fake container output\n",
		Now:         time.Now,
	}
}

// Runtime is an in-memory runtime.Runtime. Safe for concurrent use.
type Runtime struct {
	cfg Config

	mu         sync.Mutex
	seq        uint64
	containers map[string]*container // by ID
	names      map[string]string     // unique name (uid, container, attempt) → ID
	images     map[string]int64      // reference → size
	pullErrors map[string]string     // reference → engine message of a failing pull
	networks   map[string]netip.Prefix
	volumes    map[string]map[string]string // name → labels
	subs       map[*subscriber]struct{}
}

type container struct {
	name      string // key in Runtime.names
	status    runtime.ContainerStatus
	sandboxID string // "" for a sandbox
	network   string // sandboxes only
	mounts    []runtime.Mount
	logs      string
	exec      ExecResult
	done      chan struct{} // closed when the container stops running
	behavior  behavior      // scripted exit, from the pod's annotations
	timer     *time.Timer   // ends the running instance per behavior; nil if none
}

// New returns an empty fake node.
func New(cfg Config) *Runtime {
	def := DefaultConfig()
	cfg.Hostname = cmp.Or(cfg.Hostname, def.Hostname)
	cfg.CPUs = cmp.Or(cfg.CPUs, def.CPUs)
	cfg.MemoryBytes = cmp.Or(cfg.MemoryBytes, def.MemoryBytes)
	cfg.MaxPods = cmp.Or(cfg.MaxPods, def.MaxPods)
	cfg.InfraImage = cmp.Or(cfg.InfraImage, def.InfraImage)
	cfg.Logs = cmp.Or(cfg.Logs, def.Logs)
	if cfg.Now == nil {
		cfg.Now = def.Now
	}
	r := &Runtime{
		cfg:        cfg,
		containers: map[string]*container{},
		names:      map[string]string{},
		images:     map[string]int64{},
		pullErrors: map[string]string{},
		networks:   map[string]netip.Prefix{},
		volumes:    map[string]map[string]string{},
		subs:       map[*subscriber]struct{}{},
	}
	for _, im := range cfg.Images {
		for _, n := range im.Names {
			r.images[n] = im.SizeBytes
		}
	}
	return r
}

// Info implements runtime.Runtime.
func (r *Runtime) Info(ctx context.Context) (runtime.NodeInfo, error) {
	if err := ctx.Err(); err != nil {
		return runtime.NodeInfo{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	info := runtime.NodeInfo{
		Hostname: r.cfg.Hostname, CPUs: r.cfg.CPUs, MemoryBytes: r.cfg.MemoryBytes, MaxPods: r.cfg.MaxPods,
		OS: "linux", OSImage: "Berth fake runtime", Arch: "x86_64", KernelVersion: "fake",
		EngineVersion: "fake://1",
	}
	for name, size := range r.images {
		info.Images = append(info.Images, runtime.Image{Names: []string{name}, SizeBytes: size})
	}
	slices.SortFunc(info.Images, func(a, b runtime.Image) int { return strings.Compare(a.Names[0], b.Names[0]) })
	return info, nil
}

// fakeImageSize is what a "pulled" image weighs, for image locality.
const fakeImageSize = 10 << 20

// EnsureImage implements runtime.Runtime. A pull succeeds unless
// FailImagePull was called for the image.
func (r *Runtime) EnsureImage(ctx context.Context, image string, policy string, progress func(string)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if image == "" || strings.ContainsAny(image, " \t\n") {
		return fmt.Errorf("%w: image %q", runtime.ErrInvalidConfig, image)
	}
	r.mu.Lock()
	_, present := r.images[image]
	msg, failing := r.pullErrors[image]
	r.mu.Unlock()
	switch policy {
	case runtime.PullAlways:
	case runtime.PullIfNotPresent, "":
		if present {
			return nil
		}
	case runtime.PullNever:
		if present {
			return nil
		}
		return fmt.Errorf("%w: %s", runtime.ErrImageNeverPull, image)
	default:
		return fmt.Errorf("%w: image pull policy %q", runtime.ErrInvalidConfig, policy)
	}
	if progress != nil {
		progress("Pulling " + image)
	}
	if failing {
		return fmt.Errorf("%w: %s: %s", runtime.ErrImagePull, image, msg)
	}
	r.mu.Lock()
	r.images[image] = fakeImageSize
	r.mu.Unlock()
	if progress != nil {
		progress("Downloaded newer image for " + image)
	}
	return nil
}

// EnsureInfraImage implements runtime.Runtime.
func (r *Runtime) EnsureInfraImage(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.images[r.cfg.InfraImage]; !ok {
		r.images[r.cfg.InfraImage] = 1 << 20
	}
	return r.cfg.InfraImage, nil
}

// newID returns an engine-looking container ID, unique across every fake
// runtime in the process (hollow nodes share one test). Callers hold r.mu.
func (r *Runtime) newID() string {
	r.seq++
	sum := sha256.Sum256(fmt.Appendf(nil, "%p/%d", r, r.seq))
	return hex.EncodeToString(sum[:])
}

// lookup returns a container or ErrNotFound. Callers hold r.mu.
func (r *Runtime) lookup(id string) (*container, error) {
	c, ok := r.containers[id]
	if !ok {
		return nil, fmt.Errorf("%w: container %s", runtime.ErrNotFound, id)
	}
	return c, nil
}
