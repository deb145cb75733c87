package probe

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/berth-dev/berth/api"
)

// errExec marks a scripted attempt whose Exec fails (the attempt is Unknown).
const errExec = -1

// block marks a scripted attempt whose Exec blocks until its timeout.
const block = -2

// script is a fake Exec that returns scripted exit codes, then rest forever,
// and records when it was called.
type script struct {
	mu    sync.Mutex
	codes []int
	rest  int
	times []time.Time
}

func (s *script) exec(ctx context.Context, _ []string, _ time.Duration) (int, string, error) {
	s.mu.Lock()
	s.times = append(s.times, time.Now())
	code := s.rest
	if len(s.codes) > 0 {
		code, s.codes = s.codes[0], s.codes[1:]
	}
	s.mu.Unlock()
	switch code {
	case errExec:
		return -1, "", errors.New("runtime: container not running")
	case block:
		<-ctx.Done()
		return -1, "", ctx.Err()
	}
	return code, "scripted", nil
}

func (s *script) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.times)
}

// change is one onChange call and how many attempts had run by then.
type change struct {
	Result Result
	Msg    string
	Calls  int
}

func execProbe(st, ft int32) *api.Probe {
	return &api.Probe{SuccessThreshold: st, FailureThreshold: ft,
		ProbeHandler: api.ProbeHandler{Exec: &api.ExecAction{Command: []string{"check"}}}}
}

// runWorker runs a worker in a synctest bubble for d of fake time and returns
// its initial result, its changes, its final result and the script's calls.
func runWorker(t *testing.T, kind Kind, spec *api.Probe, s *script, d time.Duration) (Result, []change, Result, int) {
	t.Helper()
	var initial, final Result
	var changes []change
	var calls int
	synctest.Test(t, func(t *testing.T) {
		w := NewWorker(kind, spec, Target{Exec: s.exec}, func(r Result, msg string) {
			changes = append(changes, change{r, msg, s.calls()})
		})
		initial = w.Result()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { w.Run(ctx); close(done) }()
		time.Sleep(d)
		synctest.Wait()
		final, calls = w.Result(), s.calls()
		cancel()
		<-done
	})
	return initial, changes, final, calls
}

func TestWorkerThresholds(t *testing.T) {
	const ten = 10 * time.Minute // fake time: 60 default periods
	tests := []struct {
		name      string
		kind      Kind
		spec      *api.Probe
		codes     []int
		rest      int
		initial   Result
		changes   []change
		final     Result
		stopsAt   int // >0: probing stops after this many attempts
		moreCalls bool
	}{
		{name: "liveness fails after 3 in a row and holds", kind: Liveness, spec: execProbe(0, 0),
			codes: []int{1, 1, 0, 1, 1, 1}, rest: 0, initial: Success,
			changes: []change{{Failure, "command exited 1: scripted", 6}}, final: Failure, stopsAt: 6},
		{name: "liveness stays alive", kind: Liveness, spec: execProbe(0, 0),
			codes: []int{1, 1, 0, 1, 1, 0}, rest: 0, initial: Success, final: Success, moreCalls: true},
		{name: "readiness thresholds both ways", kind: Readiness, spec: execProbe(2, 2),
			codes: []int{0, 0, 1, 1, 0}, rest: 0, initial: Failure,
			changes: []change{{Success, "", 2}, {Failure, "command exited 1: scripted", 4}, {Success, "", 6}},
			final:   Success, moreCalls: true},
		{name: "readiness never ready", kind: Readiness, spec: execProbe(1, 3), rest: 1,
			initial: Failure, final: Failure, moreCalls: true},
		{name: "startup succeeds and stops", kind: Startup, spec: execProbe(0, 3),
			codes: []int{1, 1, 0}, rest: 1, initial: Unknown,
			changes: []change{{Success, "", 3}}, final: Success, stopsAt: 3},
		{name: "startup fails and stops", kind: Startup, spec: execProbe(0, 3),
			codes: []int{1, 1, 1}, rest: 0, initial: Unknown,
			changes: []change{{Failure, "command exited 1: scripted", 3}}, final: Failure, stopsAt: 3},
		{name: "startup success threshold forced to 1", kind: Startup, spec: execProbe(5, 3),
			rest: 0, initial: Unknown, changes: []change{{Success, "", 1}}, final: Success, stopsAt: 1},
		{name: "unknown attempts neither count nor break a run", kind: Liveness, spec: execProbe(1, 3),
			codes: []int{1, errExec, 1, errExec, errExec, 1}, rest: 0, initial: Success,
			changes: []change{{Failure, "command exited 1: scripted", 6}}, final: Failure, stopsAt: 6},
		{name: "exec timeouts are failures", kind: Liveness, spec: execProbe(1, 2),
			rest: block, initial: Success,
			changes: []change{{Failure, "command timed out after 1s", 2}}, final: Failure, stopsAt: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &script{codes: tt.codes, rest: tt.rest}
			initial, changes, final, calls := runWorker(t, tt.kind, tt.spec, s, ten)
			if initial != tt.initial || final != tt.final {
				t.Errorf("initial %v final %v, want %v %v", initial, final, tt.initial, tt.final)
			}
			if !slices.Equal(changes, tt.changes) {
				t.Errorf("changes = %+v\nwant      %+v", changes, tt.changes)
			}
			if tt.stopsAt > 0 && calls != tt.stopsAt {
				t.Errorf("%d attempts, want probing to stop after %d", calls, tt.stopsAt)
			}
			if tt.moreCalls && calls < 50 {
				t.Errorf("%d attempts in 10 minutes of 10 s periods", calls)
			}
		})
	}
}

func TestWorkerSchedule(t *testing.T) {
	tests := []struct {
		name          string
		delay, period int32
		wantPeriod    time.Duration
	}{
		{name: "defaults", wantPeriod: 10 * time.Second},
		{name: "initial delay 30s period 5s", delay: 30, period: 5, wantPeriod: 5 * time.Second},
		{name: "negative fields take defaults", delay: -4, period: -1, wantPeriod: 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := execProbe(0, 0)
			spec.InitialDelaySeconds, spec.PeriodSeconds = tt.delay, tt.period
			s := &script{rest: 0}
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				w := NewWorker(Readiness, spec, Target{Exec: s.exec}, nil)
				ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
				defer cancel()
				w.Run(ctx)
				delay := time.Duration(max(tt.delay, 0)) * time.Second
				first := s.times[0].Sub(start)
				if first < delay || first >= delay+maxFirstJitter {
					t.Errorf("first probe after %v, want within [%v, %v)", first, delay, delay+maxFirstJitter)
				}
				lo, hi := tt.wantPeriod*95/100, tt.wantPeriod*105/100
				for i := 1; i < len(s.times); i++ {
					if gap := s.times[i].Sub(s.times[i-1]); gap < lo || gap > hi {
						t.Fatalf("gap %d is %v, want within [%v, %v]", i, gap, lo, hi)
					}
				}
				if want := int((time.Hour - delay) / tt.wantPeriod); len(s.times) < want-2 || len(s.times) > want+2 {
					t.Errorf("%d probes in an hour, want about %d", len(s.times), want)
				}
			})
		})
	}
}

func TestWorkerJitterSpreadsPods(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var mu sync.Mutex
		firsts := map[time.Duration]bool{}
		start := time.Now()
		var wg sync.WaitGroup
		for range 20 {
			w := NewWorker(Readiness, execProbe(0, 0), Target{Exec: func(context.Context, []string, time.Duration) (int, string, error) {
				mu.Lock()
				firsts[time.Since(start)] = true
				mu.Unlock()
				return 0, "", nil
			}}, nil)
			wg.Go(func() { w.Run(ctx) })
		}
		wg.Wait()
		if len(firsts) < 10 {
			t.Fatalf("20 workers probed first at only %d distinct instants", len(firsts))
		}
	})
}

func TestWorkerNilSpecAndSecondRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var changed atomic.Bool
		w := NewWorker(Readiness, nil, Target{}, func(Result, string) { changed.Store(true) })
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		w.Run(ctx)
		if w.Result() != Failure || changed.Load() {
			t.Fatalf("nil spec: result %v, changed %v", w.Result(), changed.Load())
		}

		s := &script{rest: 0}
		w = NewWorker(Liveness, execProbe(0, 0), Target{Exec: s.exec}, nil)
		done := make(chan struct{})
		go func() { w.Run(ctx); close(done) }()
		synctest.Wait()
		w.Run(ctx) // returns at once: the worker is running already
		cancel()
		<-done
	})
}

// TestWorkerHTTPRealTime drives a readiness worker against a real server
// with a millisecond period: ready, then 500s, then ready again.
func TestWorkerHTTPRealTime(t *testing.T) {
	var status atomic.Int32
	status.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(status.Load()))
	}))
	t.Cleanup(srv.Close)
	changes := make(chan change, 16)
	spec := httpProbe("/healthz", api.FromString("web"))
	spec.FailureThreshold = 2
	target := Target{PodIP: "127.0.0.1", Ports: []api.ContainerPort{
		{Name: "web", ContainerPort: int32(srv.Listener.Addr().(*net.TCPAddr).Port)}}}
	w := NewWorker(Readiness, spec, target, func(r Result, msg string) { changes <- change{Result: r, Msg: msg} })
	w.period = 2 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	waitChange(t, changes, change{Result: Success})
	status.Store(http.StatusInternalServerError)
	waitChange(t, changes, change{Result: Failure, Msg: "HTTP probe failed with statuscode: 500"})
	status.Store(http.StatusOK)
	waitChange(t, changes, change{Result: Success})
}

func waitChange(t *testing.T, changes <-chan change, want change) {
	t.Helper()
	select {
	case got := <-changes:
		if got != want {
			t.Fatalf("change = %+v, want %+v", got, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no change to %v within 5s", want.Result)
	}
}
