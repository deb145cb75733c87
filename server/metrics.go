package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus series. Each server has its own registry, so
// several servers can live in one test process.
type metrics struct {
	s             *Server
	reg           *prometheus.Registry
	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	applyLatency  prometheus.Histogram
	batchSize     prometheus.Histogram
	leaderChanges prometheus.Counter
	watchers      prometheus.Gauge
	applied       prometheus.Gauge
	commit        prometheus.Gauge
	objects       prometheus.Gauge
	isLeader      prometheus.Gauge
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		s:   s,
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "berth_api_requests_total", Help: "API requests by verb, resource and HTTP code.",
		}, []string{"verb", "resource", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "berth_api_request_duration_seconds", Help: "API request latency by verb and resource (watches: stream length).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"verb", "resource"}),
		applyLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "berth_raft_apply_duration_seconds", Help: "Time from raft.Apply to commit and FSM apply, per entry.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "berth_raft_apply_batch_size", Help: "Writes per Raft entry.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 11),
		}),
		leaderChanges: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "berth_raft_leader_changes_total", Help: "Leader changes this server observed.",
		}),
		watchers: prometheus.NewGauge(prometheus.GaugeOpts{Name: "berth_api_watchers", Help: "Open watch streams."}),
		applied:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "berth_raft_applied_index", Help: "Last Raft index applied to the store."}),
		commit:   prometheus.NewGauge(prometheus.GaugeOpts{Name: "berth_raft_commit_index", Help: "Raft commit index."}),
		objects:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "berth_store_objects", Help: "Objects in the store."}),
		isLeader: prometheus.NewGauge(prometheus.GaugeOpts{Name: "berth_raft_is_leader", Help: "1 while this server is the leader."}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.applyLatency, m.batchSize, m.leaderChanges,
		m.watchers, m.applied, m.commit, m.objects, m.isLeader,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func (m *metrics) observeRequest(verb, resource string, code int, d time.Duration) {
	if code == 0 {
		code = http.StatusOK
	}
	m.requests.WithLabelValues(verb, resource, strconv.Itoa(code)).Inc()
	m.latency.WithLabelValues(verb, resource).Observe(d.Seconds())
}

func (m *metrics) observeApply(d time.Duration, n int) {
	m.applyLatency.Observe(d.Seconds())
	m.batchSize.Observe(float64(n))
}

// loop samples the gauges that have no event of their own.
func (m *metrics) loop(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		m.applied.Set(float64(m.s.fsm.Index()))
		m.commit.Set(float64(m.s.node.raft.CommitIndex()))
		m.objects.Set(float64(m.s.fsm.Count()))
		if m.s.leaderReady.Load() {
			m.isLeader.Set(1)
		} else {
			m.isLeader.Set(0)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
