package docker

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"

	"github.com/berth-dev/berth/client/runtime"
)

// Info implements runtime.Runtime.
func (r *Runtime) Info(ctx context.Context) (runtime.NodeInfo, error) {
	res, err := r.cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		return runtime.NodeInfo{}, translate(err, "engine info")
	}
	imgs, err := r.cli.ImageList(ctx, client.ImageListOptions{})
	if err != nil {
		return runtime.NodeInfo{}, translate(err, "list images")
	}
	in := res.Info
	info := runtime.NodeInfo{
		Hostname:      in.Name,
		CPUs:          in.NCPU,
		MemoryBytes:   in.MemTotal,
		MaxPods:       r.cfg.MaxPods,
		OS:            in.OSType,
		OSImage:       in.OperatingSystem,
		Arch:          in.Architecture,
		KernelVersion: in.KernelVersion,
		EngineVersion: "docker://" + in.ServerVersion,
		Images:        make([]runtime.Image, 0, len(imgs.Items)),
	}
	for _, im := range imgs.Items {
		var names []string
		for _, tag := range im.RepoTags {
			if tag != "<none>:<none>" {
				names = append(names, tag)
			}
		}
		info.Images = append(info.Images, runtime.Image{Names: names, SizeBytes: im.Size})
	}
	return info, nil
}

// EnsureImage implements runtime.Runtime.
func (r *Runtime) EnsureImage(ctx context.Context, image string, policy string, progress func(string)) error {
	// A malformed reference can never be pulled: say so (InvalidImageName)
	// instead of reporting a pull failure that retrying cannot fix.
	if _, err := reference.ParseNormalizedNamed(image); err != nil {
		return fmt.Errorf("%w: image %q: %w", runtime.ErrInvalidConfig, image, err)
	}
	switch policy {
	case runtime.PullAlways:
		return r.pull(ctx, image, progress)
	case runtime.PullIfNotPresent, runtime.PullNever, "":
	default:
		return fmt.Errorf("%w: image pull policy %q", runtime.ErrInvalidConfig, policy)
	}
	present, err := r.imagePresent(ctx, image)
	if err != nil || present {
		return err
	}
	if policy == runtime.PullNever {
		return fmt.Errorf("%w: %s", runtime.ErrImageNeverPull, image)
	}
	return r.pull(ctx, image, progress)
}

func (r *Runtime) imagePresent(ctx context.Context, image string) (bool, error) {
	_, err := r.cli.ImageInspect(ctx, image)
	switch {
	case err == nil:
		return true, nil
	case cerrdefs.IsNotFound(err):
		return false, nil
	default:
		return false, translate(err, "inspect image "+image)
	}
}

// pull reads the whole status stream: the engine answers 200 and reports
// a failure later in the stream, so the HTTP status alone means nothing.
func (r *Runtime) pull(ctx context.Context, image string, progress func(string)) error {
	resp, err := r.cli.ImagePull(ctx, image, client.ImagePullOptions{})
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("runtime/docker: pull %s: %w", image, ctx.Err())
		}
		return fmt.Errorf("%w: %s: %w", runtime.ErrImagePull, image, err)
	}
	defer resp.Close()
	for msg, err := range resp.JSONMessages(ctx) {
		if err != nil {
			return fmt.Errorf("%w: %s: %w", runtime.ErrImagePull, image, err)
		}
		if msg.Error != nil {
			return fmt.Errorf("%w: %s: %s", runtime.ErrImagePull, image, msg.Error.Message)
		}
		if progress != nil {
			if line := progressLine(msg); line != "" {
				progress(line)
			}
		}
	}
	return nil
}

// progressLine renders a pull status message the way `docker pull` prints it.
func progressLine(m jsonstream.Message) string {
	parts := make([]string, 0, 3)
	if m.ID != "" {
		parts = append(parts, m.ID+":")
	}
	if m.Status != "" {
		parts = append(parts, m.Status)
	}
	if p := m.Progress; p != nil && p.Total > 0 {
		parts = append(parts, fmt.Sprintf("%d/%d", p.Current, p.Total))
	}
	return strings.Join(parts, " ")
}

// EnsureInfraImage implements runtime.Runtime: when the image is absent it
// imports a one-file root filesystem holding the infra binary as /berth.
// Importing needs no builder and no base image.
func (r *Runtime) EnsureInfraImage(ctx context.Context) (string, error) {
	ref := r.cfg.InfraImage
	r.infraMu.Lock()
	defer r.infraMu.Unlock()
	present, err := r.imagePresent(ctx, ref)
	if err != nil || present {
		return ref, err
	}
	bin, err := r.infraBinary()
	if err != nil {
		return "", err
	}
	if err := r.importBinary(ctx, ref, bin, []string{
		`ENTRYPOINT ["/berth","pause"]`,
		`LABEL ` + runtime.LabelManaged + `=true`,
	}); err != nil {
		return "", err
	}
	r.pruneInfraImages(ctx, ref)
	return ref, nil
}

// pruneInfraImages removes the infra images of earlier binaries once a new one is
// built, so upgrades (and test runs, each with its own binary) do not pile them up.
// An image a container still uses is refused by the engine and kept.
func (r *Runtime) pruneInfraImages(ctx context.Context, keep string) {
	repo, _, _ := strings.Cut(keep, ":")
	filters := managedFilter().Add("reference", repo)
	list, err := r.cli.ImageList(ctx, client.ImageListOptions{Filters: filters})
	if err != nil {
		return
	}
	for _, img := range list.Items {
		for _, tag := range img.RepoTags {
			name, version, _ := strings.Cut(tag, ":")
			// Only images named the way defaultInfraImage names them: a tag an
			// operator (or a test) chose is theirs to remove.
			if tag != keep && name == repo && isHashTag(version) {
				_, _ = r.cli.ImageRemove(ctx, tag, client.ImageRemoveOptions{})
			}
		}
	}
}

// isHashTag reports a tag of 12 lowercase hex digits, as defaultInfraImage makes.
func isHashTag(v string) bool {
	if len(v) != 12 {
		return false
	}
	for _, c := range v {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// importBinary creates image ref from a tar stream holding path as /berth.
func (r *Runtime) importBinary(ctx context.Context, ref, path string, changes []string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("runtime/docker: infra binary: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("runtime/docker: infra binary: %w", err)
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeTar(pw, f, st.Size())) }()
	defer pr.Close() // unblocks the writer if the engine stops reading early

	resp, err := r.cli.ImageImport(ctx, client.ImageImportSource{Source: pr, SourceName: "-"}, ref,
		client.ImageImportOptions{Changes: changes, Message: "berth infra image"})
	if err != nil {
		return translate(err, "import "+ref)
	}
	defer resp.Close()
	return readStatusStream(resp, "import "+ref)
}

func writeTar(w io.Writer, bin io.Reader, size int64) error {
	tw := tar.NewWriter(w)
	hdr := &tar.Header{Name: "berth", Mode: 0o755, Size: size, Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err := io.Copy(tw, bin); err != nil {
		return err
	}
	return tw.Close()
}

// readStatusStream drains a JSON status stream, returning its first error.
func readStatusStream(rd io.Reader, what string) error {
	dec := json.NewDecoder(rd)
	for {
		var m jsonstream.Message
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("runtime/docker: %s: read status: %w", what, err)
		}
		if m.Error != nil {
			return fmt.Errorf("runtime/docker: %s: %s", what, m.Error.Message)
		}
	}
}
