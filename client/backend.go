package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/client/endpoint"
	"github.com/berth-dev/berth/client/runtime"
)

// backend implements endpoint.Backend over one node's runtime.
type backend struct {
	rt   runtime.Runtime
	node string // the Node's name, for error messages
}

var _ endpoint.Backend = backend{}

// streamHandler serves logs and exec (contract 5).
func (a *Agent) streamHandler() http.Handler {
	return endpoint.New(backend{rt: a.rt, node: a.cfg.Name})
}

// findContainer returns the newest instance of a pod's container, found by
// its labels, so it works for adopted and finished pods alike.
func (b backend) findContainer(ctx context.Context, ns, pod, container string) (runtime.ContainerStatus, error) {
	all, err := b.rt.ListContainers(ctx)
	if err != nil {
		return runtime.ContainerStatus{}, err
	}
	names := map[string]bool{}
	var best *runtime.ContainerStatus
	for i := range all {
		c := &all[i]
		if c.Sandbox || c.Namespace != ns || c.PodName != pod {
			continue
		}
		names[c.ContainerName] = true
		if container != "" && c.ContainerName != container {
			continue
		}
		if best == nil || c.Attempt > best.Attempt || (c.Attempt == best.Attempt && c.CreatedAt.After(best.CreatedAt)) {
			best = c
		}
	}
	switch {
	case len(names) == 0:
		return runtime.ContainerStatus{}, fmt.Errorf("%w: pod %s/%s has no containers on node %s", endpoint.ErrPodNotFound, ns, pod, b.node)
	case container == "" && len(names) > 1:
		return runtime.ContainerStatus{}, fmt.Errorf("%w: a container name must be given: pod %s/%s has several", endpoint.ErrContainerNotFound, ns, pod)
	case best == nil:
		return runtime.ContainerStatus{}, fmt.Errorf("%w: container %q is not in pod %s/%s", endpoint.ErrContainerNotFound, container, ns, pod)
	}
	return *best, nil
}

// Logs implements endpoint.Backend.
func (b backend) Logs(ctx context.Context, ns, pod, container string, opts api.LogOptions, w io.Writer) error {
	c, err := b.findContainer(ctx, ns, pod, container)
	if err != nil {
		return err
	}
	lw := &lockedWriter{w: w}
	return b.rt.Logs(ctx, c.ID, runtime.LogOptions{
		Follow: opts.Follow, Tail: opts.TailLines, Timestamps: opts.Timestamps,
	}, lw, lw)
}

// Exec implements endpoint.Backend. Terminal resizes are drained: the runtime
// has no resize call yet.
func (b backend) Exec(ctx context.Context, ns, pod, container string, cmd []string, tty bool,
	stdin io.Reader, stdout, stderr io.Writer, resize <-chan api.TerminalSize) (int, error) {
	c, err := b.findContainer(ctx, ns, pod, container)
	if err != nil {
		return 0, err
	}
	if resize != nil {
		go func() {
			for range resize {
			}
		}()
	}
	return b.rt.Exec(ctx, c.ID, cmd, runtime.ExecOptions{TTY: tty, Stdin: stdin, Stdout: stdout, Stderr: stderr})
}

// lockedWriter serialises writes of stdout and stderr into one stream.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
