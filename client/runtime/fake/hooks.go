package fake

import (
	"fmt"

	"github.com/berth-dev/berth/client/runtime"
)

// Test hooks: they play the parts of the world a fake has no process for.

// Exit makes a running container exit with code, as if its process ended.
func (r *Runtime) Exit(id string, code int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.running(id)
	if err != nil {
		return err
	}
	r.exit(c, code, reasonFor(code))
	return nil
}

// OOMKill makes a running container die by the OOM killer (exit code 137).
func (r *Runtime) OOMKill(id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.running(id)
	if err != nil {
		return err
	}
	r.emit(c, runtime.EventOOM, 0)
	r.exit(c, 137, runtime.ReasonOOMKilled)
	return nil
}

// SetExec sets what Exec and ExecProbe answer in a container from now on:
// a non-zero Code fails an exec probe, Hang times it out.
func (r *Runtime) SetExec(id string, res ExecResult) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.lookup(id)
	if err != nil {
		return err
	}
	c.exec = res
	return nil
}

// SetLogs replaces a container's canned output.
func (r *Runtime) SetLogs(id, text string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.lookup(id)
	if err != nil {
		return err
	}
	c.logs = text
	return nil
}

// FailImagePull makes every later pull of image fail with ErrImagePull and
// message (as if from the engine); an empty message lets pulls succeed again.
// The image is also forgotten, so IfNotPresent has to pull.
func (r *Runtime) FailImagePull(image, message string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if message == "" {
		delete(r.pullErrors, image)
		return
	}
	r.pullErrors[image] = message
	delete(r.images, image)
}

// AddImage makes image present with size bytes, as if built locally.
func (r *Runtime) AddImage(image string, size int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.images[image] = size
}

// running returns a running container. Callers hold r.mu.
func (r *Runtime) running(id string) (*container, error) {
	c, err := r.lookup(id)
	if err != nil {
		return nil, err
	}
	if c.status.State != runtime.StateRunning {
		return nil, fmt.Errorf("%w: %s", runtime.ErrNotRunning, id)
	}
	return c, nil
}
