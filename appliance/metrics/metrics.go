// Package metrics provides the appliance's Prometheus metrics on a registry of its own (no
// global registry): counters and histograms the daemon updates where things happen
// (analysis latency, notification and job outcomes, API requests), and a collector that
// reads the daemon's state at scrape time (sensors, machines, alerts, the job queue, the
// store, health). docs/METRICS.md lists every metric.
package metrics

import (
	"context"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	wire "signalcraft/core/api"
	"signalcraft/core/jobs"
)

// Namespace prefixes every metric of the appliance.
const Namespace = "signalcraft"

// Outcome label values.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure" // the delivery or job failed (it may be retried)
)

// LatencyBuckets are the analysis latency histogram's buckets, in seconds: a window is
// normally scored within milliseconds of its last block arriving; seconds mean the
// analysis falls behind.
var LatencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// APIBuckets are the API request duration histogram's buckets, in seconds.
var APIBuckets = []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Options configure Metrics.
type Options struct {
	// Version is exported as signalcraft_build_info{version}.
	Version string
	// Now stamps the last notification outcome (default time.Now).
	Now func() time.Time
}

// Metrics holds the appliance's collectors and the registry they are registered on. The
// methods of a nil *Metrics do nothing, so tests and tools can leave metrics out.
type Metrics struct {
	// Registry holds every collector; serve it with Handler.
	Registry *prometheus.Registry

	now           func() time.Time
	latency       *prometheus.HistogramVec
	notifications *prometheus.CounterVec
	jobOutcomes   *prometheus.CounterVec
	apiRequests   *prometheus.CounterVec
	apiDuration   *prometheus.HistogramVec
	authFailures  *prometheus.CounterVec
	connsRefused  *prometheus.CounterVec
	trainings     *prometheus.CounterVec
	trainSeconds  *prometheus.CounterVec
	drift         *prometheus.GaugeVec
	obs           observeMetrics

	mu         sync.Mutex
	repl       Replication
	replSet    bool
	lastNotify *wire.HealthNotification
}

// New returns Metrics with the Go runtime and process collectors registered.
func New(o Options) *Metrics {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		now:      o.Now,
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace,
			Name:    "analysis_latency_seconds",
			Help:    "Time from the arrival of a window's last block of samples to the window being scored.",
			Buckets: LatencyBuckets}, []string{"machine"}),
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace,
			Name: "notifications_total",
			Help: "Notification delivery attempts by receiver and outcome (success, failure)."}, []string{"receiver", "outcome"}),
		jobOutcomes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace,
			Name: "job_outcomes_total",
			Help: "Job runs by kind and outcome (success, failure)."}, []string{"kind", "outcome"}),
		apiRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace,
			Name: "api_requests_total",
			Help: "API requests by method, route pattern and status code."}, []string{"method", "route", "code"}),
		apiDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace,
			Name:    "api_request_duration_seconds",
			Help:    "API request duration by method and route pattern (live streams count their whole life).",
			Buckets: APIBuckets}, []string{"method", "route"}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace,
			Name: "api_auth_failures_total",
			Help: "API requests refused for their credentials, by transport and reason (missing, malformed, unknown, revoked, expired)."},
			[]string{"transport", "reason"}),
		connsRefused: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace,
			Name: "api_connections_refused_total",
			Help: "API connections closed at once because a limit was reached, by transport and limit (client, total)."},
			[]string{"transport", "limit"}),
		trainings: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace,
			Name: "training_runs_total",
			Help: "Retraining runs by machine, task (detect, diagnose), trigger and outcome (promoted, rejected, skipped, failed)."},
			[]string{"machine", "task", "trigger", "outcome"}),
		trainSeconds: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace,
			Name: "training_cpu_seconds_total",
			Help: "Processor time spent training and evaluating models, by machine (throttle pauses excluded)."}, []string{"machine"}),
		drift: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace,
			Name: "drift_psi",
			Help: "Population stability index of the last hour's window scores against the champion model's training scores, by machine (above 0.25: drifted)."},
			[]string{"machine"}),
		obs: newObserveMetrics(),
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "build_info",
		Help:        "Always 1; labels name the appliance's version and Go version.",
		ConstLabels: prometheus.Labels{"version": o.Version, "goversion": runtime.Version()}})
	build.Set(1)
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		build, m.latency, m.notifications, m.jobOutcomes, m.apiRequests, m.apiDuration, m.authFailures, m.connsRefused,
		m.trainings, m.trainSeconds, m.drift, replicationCollector{m},
	)
	reg.MustRegister(m.obs.collectors()...)
	return m
}

// Handler serves the registry in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry, ErrorHandling: promhttp.ContinueOnError})
}

// nopObserver is what a nil *Metrics hands out.
type nopObserver struct{}

func (nopObserver) Observe(float64) {}

// AnalysisLatency returns the latency observer of one machine. Keep it: observing
// through it does not allocate.
func (m *Metrics) AnalysisLatency(machine string) prometheus.Observer {
	if m == nil {
		return nopObserver{}
	}
	return m.latency.WithLabelValues(machine)
}

// InitReceivers creates the notification counters of receivers at zero, so rates and
// alerts work before the first delivery.
func (m *Metrics) InitReceivers(receivers ...string) {
	if m == nil {
		return
	}
	for _, r := range receivers {
		m.notifications.WithLabelValues(r, OutcomeSuccess)
		m.notifications.WithLabelValues(r, OutcomeFailure)
	}
}

// Notified counts a delivery attempt to receiver and remembers it as the latest.
func (m *Metrics) Notified(receiver string, err error) {
	if m == nil {
		return
	}
	n := &wire.HealthNotification{Receiver: receiver, OK: err == nil, At: m.now().UTC()}
	outcome := OutcomeSuccess
	if err != nil {
		outcome, n.Error = OutcomeFailure, err.Error()
	}
	m.notifications.WithLabelValues(receiver, outcome).Inc()
	m.mu.Lock()
	m.lastNotify = n
	m.mu.Unlock()
}

// LastNotification returns the latest delivery attempt, nil if none yet.
func (m *Metrics) LastNotification() *wire.HealthNotification {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lastNotify == nil {
		return nil
	}
	n := *m.lastNotify
	return &n
}

// JobHandler wraps a job handler to count its runs by outcome (success, failure) under
// kind. Whether a failure is retried or dead-lettered shows in signalcraft_jobs{state}.
func (m *Metrics) JobHandler(kind string, h jobs.Handler) jobs.Handler {
	if m == nil {
		return h
	}
	ok := m.jobOutcomes.WithLabelValues(kind, OutcomeSuccess)
	failed := m.jobOutcomes.WithLabelValues(kind, OutcomeFailure)
	return func(ctx context.Context, j jobs.Job) error {
		err := h(ctx, j)
		if err == nil {
			ok.Inc()
		} else {
			failed.Inc()
		}
		return err
	}
}

// InitAPI creates the API's failure counters at zero for every pair of transport and
// auth failure reason, and of transport and connection limit, so rates and alerts work
// before the first failure.
func (m *Metrics) InitAPI(transports, reasons, limits []string) {
	if m == nil {
		return
	}
	for _, t := range transports {
		for _, r := range reasons {
			m.authFailures.WithLabelValues(t, r)
		}
		for _, l := range limits {
			m.connsRefused.WithLabelValues(t, l)
		}
	}
}

// AuthFailed counts an API request refused for its credentials.
func (m *Metrics) AuthFailed(transport, reason string) {
	if m == nil {
		return
	}
	m.authFailures.WithLabelValues(transport, reason).Inc()
}

// ConnRefused counts an API connection closed because limit was reached.
func (m *Metrics) ConnRefused(transport, limit string) {
	if m == nil {
		return
	}
	m.connsRefused.WithLabelValues(transport, limit).Inc()
}

// Replication is what a replicator reports.
type Replication struct {
	Lag         time.Duration // how far the replica is behind
	LastSync    time.Time     // when the replica last caught up
	LastError   string        // the latest failure, "" if none
	LastErrorAt time.Time
}

// SetReplication records the replication state; the first call marks replication
// configured (signalcraft_replication_configured 1) and exports the lag.
func (m *Metrics) SetReplication(r Replication) {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.repl, m.replSet = r, true
	m.mu.Unlock()
}

// SetReplicationLag records a successful sync at lastSync with the replica lag behind.
func (m *Metrics) SetReplicationLag(lag time.Duration, lastSync time.Time) {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.repl.Lag, m.repl.LastSync, m.replSet = lag, lastSync, true
	m.mu.Unlock()
}

// SetReplicationError records a replication failure at at.
func (m *Metrics) SetReplicationError(err error, at time.Time) {
	if m == nil || err == nil {
		return
	}
	m.mu.Lock()
	m.repl.LastError, m.repl.LastErrorAt, m.replSet = err.Error(), at, true
	m.mu.Unlock()
}

// HealthReplication returns the replication state in the health report's form.
func (m *Metrics) HealthReplication() wire.HealthReplication {
	h := wire.HealthReplication{Status: wire.ReplicationNotConfigured}
	if m == nil {
		return h
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.replSet {
		return h
	}
	lag := m.repl.Lag.Seconds()
	h.Configured, h.LagSeconds = true, &lag
	h.LastSync, h.LastError, h.LastErrorAt = m.repl.LastSync.UTC(), m.repl.LastError, m.repl.LastErrorAt.UTC()
	if m.repl.LastSync.IsZero() {
		h.LastSync, h.LagSeconds = time.Time{}, nil
	}
	if m.repl.LastErrorAt.IsZero() {
		h.LastErrorAt = time.Time{}
	}
	return h
}

var (
	replConfiguredDesc = prometheus.NewDesc(Namespace+"_replication_configured",
		"1 once a database replicator reports, 0 before.", nil, nil)
	replLagDesc = prometheus.NewDesc(Namespace+"_replication_lag_seconds",
		"How far the database replica is behind (only when replication is configured).", nil, nil)
	replLastSyncDesc = prometheus.NewDesc(Namespace+"_replication_last_sync_timestamp_seconds",
		"When the replica last caught up, as a Unix time (only when replication is configured).", nil, nil)
)

// replicationCollector exports the replication state SetReplication* recorded.
type replicationCollector struct{ m *Metrics }

func (c replicationCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- replConfiguredDesc
	ch <- replLagDesc
	ch <- replLastSyncDesc
}

func (c replicationCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.Lock()
	r, set := c.m.repl, c.m.replSet
	c.m.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(replConfiguredDesc, prometheus.GaugeValue, b2f(set))
	if !set {
		return
	}
	ch <- prometheus.MustNewConstMetric(replLagDesc, prometheus.GaugeValue, r.Lag.Seconds())
	if !r.LastSync.IsZero() {
		ch <- prometheus.MustNewConstMetric(replLastSyncDesc, prometheus.GaugeValue, float64(r.LastSync.UnixMilli())/1000)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Trained counts a retraining run of machine's model of task (detect: the normal model,
// diagnose: the fault classifier), started by trigger, with its outcome (promoted, rejected,
// skipped, failed), and the processor time it used.
func (m *Metrics) Trained(machine, task, trigger, outcome string, busy time.Duration) {
	if m == nil {
		return
	}
	m.trainings.WithLabelValues(machine, task, trigger, outcome).Inc()
	m.trainSeconds.WithLabelValues(machine).Add(busy.Seconds())
}

// SetDrift records a machine's latest drift measure (PSI).
func (m *Metrics) SetDrift(machine string, psi float64) {
	if m == nil {
		return
	}
	m.drift.WithLabelValues(machine).Set(psi)
}
