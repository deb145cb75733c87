package docker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/berth-dev/berth/client/runtime"
)

var _ runtime.Runtime = (*Runtime)(nil)

// Config configures a Runtime. The zero value of each field has the meaning
// given beside it; DefaultConfig fills them all in.
type Config struct {
	// Host is the engine address ("unix:///var/run/docker.sock",
	// "tcp://h:2376"). Empty: DOCKER_HOST, then the platform default.
	Host string
	// InfraImage is the sandbox image reference. Empty: berth/pause:<the first 12 hex
	// digits of the infra binary's SHA-256>, so a new binary never runs an old image
	// that happens to carry the same version tag.
	InfraImage string
	// InfraBinary is the static executable copied into the infra image as
	// /berth. Empty: the running executable, which must then be a
	// CGO_ENABLED=0 build (a FROM scratch image has no libc).
	InfraBinary string
	// MaxPods is reported in NodeInfo. Zero: 110, the Kubernetes default.
	MaxPods int
}

// DefaultConfig returns the configuration an agent uses when told nothing.
func DefaultConfig() Config {
	return Config{
		MaxPods: 110, // the kubelet's default; pods are cheap, IPs in a /24 are not
	}
}

// Validate reports a configuration New cannot use.
func (c Config) Validate() error {
	if c.MaxPods < 0 {
		return fmt.Errorf("%w: MaxPods %d is negative", runtime.ErrInvalidConfig, c.MaxPods)
	}
	if c.InfraImage != "" && strings.ContainsAny(c.InfraImage, " \t\n") {
		return fmt.Errorf("%w: InfraImage %q", runtime.ErrInvalidConfig, c.InfraImage)
	}
	return nil
}

// Runtime is a runtime.Runtime on one Docker engine. Safe for concurrent use.
type Runtime struct {
	cfg Config
	cli *client.Client
	// infraMu serialises infra image builds so that concurrent pod workers
	// import the binary once.
	infraMu sync.Mutex
}

// New connects lazily: no request is made until the first call.
func New(cfg Config) (*Runtime, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	def := DefaultConfig()
	r := &Runtime{cfg: cfg}
	if cfg.InfraImage == "" {
		ref, err := r.defaultInfraImage()
		if err != nil {
			return nil, err
		}
		cfg.InfraImage = ref
	}
	if cfg.MaxPods == 0 {
		cfg.MaxPods = def.MaxPods
	}
	opts := []client.Opt{client.FromEnv}
	if cfg.Host != "" {
		opts = append(opts, client.WithHost(cfg.Host))
	}
	cli, err := client.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", runtime.ErrInvalidConfig, err)
	}
	r.cfg, r.cli = cfg, cli
	return r, nil
}

// defaultInfraImage names the infra image after the content of the binary it holds.
func (r *Runtime) defaultInfraImage() (string, error) {
	bin, err := r.infraBinary()
	if err != nil {
		return "", err
	}
	f, err := os.Open(bin)
	if err != nil {
		return "", fmt.Errorf("runtime/docker: read the infra binary: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("runtime/docker: read the infra binary: %w", err)
	}
	return "berth/pause:" + hex.EncodeToString(h.Sum(nil))[:12], nil
}

// Close releases the engine connection.
func (r *Runtime) Close() error { return r.cli.Close() }

// InfraImage returns the configured sandbox image reference.
func (r *Runtime) InfraImage() string { return r.cfg.InfraImage }

// translate maps an engine error to a runtime sentinel, keeping the engine's
// error in the chain (and its message in the text). what names the operation.
func translate(err error, what string) error {
	var sentinel error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("runtime/docker: %s: %w", what, err)
	case cerrdefs.IsNotFound(err):
		sentinel = runtime.ErrNotFound
	case cerrdefs.IsConflict(err):
		sentinel = runtime.ErrConflict
	case cerrdefs.IsInvalidArgument(err):
		sentinel = runtime.ErrInvalidConfig
	case client.IsErrConnectionFailed(err), cerrdefs.IsUnavailable(err):
		sentinel = runtime.ErrUnavailable
	default:
		return fmt.Errorf("runtime/docker: %s: %w", what, err)
	}
	return fmt.Errorf("%w: %s: %w", sentinel, what, err)
}

// ignoreNotFound makes removals idempotent.
func ignoreNotFound(err error) error {
	if cerrdefs.IsNotFound(err) {
		return nil
	}
	return err
}

// managedFilter selects objects carrying LabelManaged=true.
func managedFilter() client.Filters {
	return make(client.Filters).Add("label", runtime.LabelManaged+"=true")
}

// infraBinary is the executable to copy into the infra image.
func (r *Runtime) infraBinary() (string, error) {
	if r.cfg.InfraBinary != "" {
		return r.cfg.InfraBinary, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("runtime/docker: locate own executable for the infra image: %w", err)
	}
	return exe, nil
}
