package server

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The values of berth_scheduler_attempts_total's result label, Kubernetes' words.
const (
	attemptScheduled     = "scheduled"
	attemptUnschedulable = "unschedulable"
	attemptError         = "error"
)

// schedulerMetrics are the leader scheduler's series, in the server's registry.
type schedulerMetrics struct {
	scheduled prometheus.Counter
	attempts  *prometheus.CounterVec
	latency   prometheus.Histogram
	pending   *prometheus.GaugeVec
	active    prometheus.Gauge
}

func newSchedulerMetrics(reg prometheus.Registerer) *schedulerMetrics {
	m := &schedulerMetrics{
		scheduled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "berth_scheduler_pods_scheduled_total", Help: "Pods this server's scheduler bound to a node (committed).",
		}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "berth_scheduler_attempts_total", Help: "Scheduling attempts by result: scheduled, unschedulable or error.",
		}, []string{"result"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "berth_scheduler_pod_scheduling_duration_seconds",
			Help:    "Time from a pod's arrival in the leader's scheduling queue (its creation's commit) to its committed binding.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}),
		pending: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "berth_scheduler_pending_pods", Help: "Pods waiting for a node, by queue: active or unschedulable.",
		}, []string{"queue"}),
		active: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "berth_scheduler_active", Help: "Scheduler loops running on this server: 1 while it leads, 0 otherwise.",
		}),
	}
	reg.MustRegister(m.scheduled, m.attempts, m.latency, m.pending, m.active)
	return m
}

func (m *schedulerMetrics) observeBound(since time.Time) {
	m.scheduled.Inc()
	m.attempts.WithLabelValues(attemptScheduled).Inc()
	if !since.IsZero() {
		m.latency.Observe(time.Since(since).Seconds())
	}
}

func (m *schedulerMetrics) setPending(active, parked int) {
	m.pending.WithLabelValues("active").Set(float64(active))
	m.pending.WithLabelValues("unschedulable").Set(float64(parked))
}
