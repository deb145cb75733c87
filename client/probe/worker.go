package probe

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/berth-dev/berth/api"
)

// Jitter of the schedule, so that pods started together do not probe in
// lockstep: the first probe comes up to firstJitter of the period (at most
// maxFirstJitter, to keep readiness prompt) after the initial delay, and each
// later one after the period ±periodJitter/2 of it.
const (
	firstJitter    = 0.1
	maxFirstJitter = 500 * time.Millisecond
	periodJitter   = 0.1
)

// Worker probes one container for one Kind on the probe's schedule and
// reports changes of the thresholded result.
//
// A Worker belongs to one container instance: after a restart the agent makes
// a new one (results, counters and the initial delay start over, as in the
// kubelet). Once a Liveness or Startup worker reaches Failure, or a Startup
// worker reaches Success, it stops probing: the container is about to be
// killed, or has started and startup probes never run again.
type Worker struct {
	kind     Kind
	spec     *api.Probe // a copy; nil: nothing to probe
	target   Target
	onChange func(Result, string)

	// The schedule, from the spec; unexported so tests can shrink it.
	initialDelay, period, timeout      time.Duration
	successThreshold, failureThreshold int

	started atomic.Bool
	result  atomic.Int32 // a Result

	// Owned by the Run goroutine: the last attempt's result and how many
	// attempts in a row had it.
	last Result
	run  int
}

// NewWorker makes a worker for one probe of one container. onChange (may be
// nil) is called from Run's goroutine, never concurrently for one worker,
// with the new thresholded result and the message of the attempt that
// crossed the threshold; it must not block for long, since probing waits.
// A nil spec makes a worker that never probes and keeps its initial result.
func NewWorker(kind Kind, spec *api.Probe, target Target, onChange func(Result, string)) *Worker {
	w := &Worker{kind: kind, target: target, onChange: onChange}
	w.result.Store(int32(initialResult(kind)))
	if spec == nil {
		return w
	}
	cp := *spec
	w.spec = &cp
	w.initialDelay, w.period, w.timeout = initialDelayOf(&cp), periodOf(&cp), timeoutOf(&cp)
	w.successThreshold, w.failureThreshold = int(cp.SuccessThreshold), int(cp.FailureThreshold)
	if w.successThreshold <= 0 || kind != Readiness {
		// Liveness and startup must be 1 (admission says so too).
		w.successThreshold = defaultSuccessThreshold
	}
	if w.failureThreshold <= 0 {
		w.failureThreshold = defaultFailureThreshold
	}
	return w
}

// initialResult is the kubelet's: a container is alive until proven dead,
// not ready until proven ready, and not known to have started.
func initialResult(kind Kind) Result {
	switch kind {
	case Liveness:
		return Success
	case Readiness:
		return Failure
	}
	return Unknown
}

// Result is the current thresholded result; safe from any goroutine.
func (w *Worker) Result() Result { return Result(w.result.Load()) }

// Run probes until ctx ends (it stops probing earlier in the cases the type
// comment names, but still returns only when ctx ends). A second call of Run
// on the same worker returns at once.
func (w *Worker) Run(ctx context.Context) {
	if !w.started.CompareAndSwap(false, true) {
		return
	}
	if w.spec == nil {
		<-ctx.Done()
		return
	}
	timer := time.NewTimer(w.initialDelay + jitter(min(time.Duration(float64(w.period)*firstJitter), maxFirstJitter)))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		start := time.Now()
		r, msg := attempt(ctx, w.spec, w.target, w.timeout)
		if ctx.Err() != nil {
			return
		}
		if w.observe(r, msg) {
			<-ctx.Done()
			return
		}
		// The period counts from the start of an attempt, as a ticker would.
		next := w.period + jitter(time.Duration(float64(w.period)*periodJitter)) -
			time.Duration(float64(w.period)*periodJitter/2)
		timer.Reset(max(0, next-time.Since(start)))
	}
}

// observe applies the thresholds to one attempt, reports a change and says
// whether probing is over for this container instance.
func (w *Worker) observe(r Result, msg string) (done bool) {
	if r == Unknown {
		// The probe could not run: neither a success nor a failure, and it
		// does not break a run of either (the kubelet discards such attempts).
		return false
	}
	if r == w.last {
		w.run++
	} else {
		w.last, w.run = r, 1
	}
	if (r == Failure && w.run < w.failureThreshold) || (r == Success && w.run < w.successThreshold) {
		return false
	}
	if prev := Result(w.result.Swap(int32(r))); prev != r && w.onChange != nil {
		w.onChange(r, msg)
	}
	return (r == Failure && w.kind != Readiness) || (r == Success && w.kind == Startup)
}

// jitter is a random duration in [0, d).
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d)
}
