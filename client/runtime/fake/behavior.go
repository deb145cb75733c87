package fake

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/client/runtime"
)

// Pod annotations that script what a fake container does (see doc.go). The
// agent copies them into the container's labels (BehaviorLabels), which is
// where the runtime reads them: a runtime never sees pods.
const (
	// AnnotationPrefix starts every annotation the fake runtime acts on.
	AnnotationPrefix = "berth.io/fake-"
	// AnnotationExitCode makes each container instance exit with this code
	// (0–255) once it ran AnnotationRunSeconds.
	AnnotationExitCode = AnnotationPrefix + "exit-code"
	// AnnotationRunSeconds is how long each container instance runs before it
	// exits (a decimal number of seconds, "0.5" allowed); with no exit code it
	// exits 0.
	AnnotationRunSeconds = AnnotationPrefix + "run-seconds"
	// AnnotationReady "false" makes the containers that have a readiness probe
	// report not ready, as if the probe failed; anything else, or no
	// annotation, lets every readiness probe pass. Hollow nodes read it (the
	// runtime has no probes).
	AnnotationReady = AnnotationPrefix + "ready"
)

// maxRunSeconds bounds AnnotationRunSeconds so the duration cannot overflow.
const maxRunSeconds = 100 * 365 * 24 * 3600

// BehaviorLabels returns the annotations of a pod that script the fake
// runtime (those starting with AnnotationPrefix), to put in a container's
// labels; nil when there are none. annotations is not modified.
func BehaviorLabels(annotations map[string]string) map[string]string {
	var out map[string]string
	for k, v := range annotations {
		if strings.HasPrefix(k, AnnotationPrefix) {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}

// behavior is what a container's labels script: exits reports whether its
// instances end by themselves, after runFor with code.
type behavior struct {
	exits  bool
	code   int
	runFor time.Duration
}

// parseBehavior reads the scripting labels; a malformed value is an error
// naming the annotation, so the pod shows why it cannot run.
func parseBehavior(labels map[string]string) (behavior, error) {
	var b behavior
	if v, ok := labels[AnnotationExitCode]; ok {
		code, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || code < 0 || code > 255 {
			return behavior{}, fmt.Errorf("%w: annotation %s %q: want an integer 0-255", runtime.ErrInvalidConfig, AnnotationExitCode, v)
		}
		b.exits, b.code = true, code
	}
	if v, ok := labels[AnnotationRunSeconds]; ok {
		secs, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(secs) || secs < 0 || secs > maxRunSeconds {
			return behavior{}, fmt.Errorf("%w: annotation %s %q: want a number of seconds >= 0", runtime.ErrInvalidConfig, AnnotationRunSeconds, v)
		}
		b.exits, b.runFor = true, time.Duration(secs*float64(time.Second))
	}
	return b, nil
}

// scheduleExit arms the timer that ends a started instance of c, if its
// labels say it ends. Callers hold r.mu.
func (r *Runtime) scheduleExit(c *container) {
	if !c.behavior.exits {
		return
	}
	done, code := c.done, c.behavior.code
	c.timer = time.AfterFunc(c.behavior.runFor, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		// Only the instance the timer was armed for: a restart of the same
		// container makes a new done channel and a new timer.
		if cur, ok := r.containers[c.status.ID]; ok && cur == c && c.done == done {
			r.exit(c, code, reasonFor(code))
		}
	})
}
