package metrics

import "github.com/prometheus/client_golang/prometheus"

// Central logging (appliance/loki) and error tracking (appliance/errtrack) outcomes.
type observeMetrics struct {
	logShipped prometheus.Counter
	logDropped *prometheus.CounterVec
	logPushes  *prometheus.CounterVec
	errReports *prometheus.CounterVec
}

// Log drop reasons and error report kinds and outcomes, as the shipper and the tracker
// name them (loki.DropBufferFull…, errtrack.KindPanic…, errtrack.OutcomeSent…).
var (
	logDropReasons   = []string{"buffer_full", "push_failed"}
	errorReportKinds = []string{"panic", "error"}
	errorOutcomes    = []string{"sent", "rate_limited", "dropped"}
)

func newObserveMetrics() observeMetrics {
	o := observeMetrics{
		logShipped: prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace,
			Name: "log_lines_shipped_total",
			Help: "Log lines Grafana Loki accepted (logging.loki)."}),
		logDropped: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace,
			Name: "log_lines_dropped_total",
			Help: "Log lines not shipped to Loki, by reason (buffer_full: the queue was full; push_failed: Loki refused the batch or every retry failed)."},
			[]string{"reason"}),
		logPushes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace,
			Name: "log_pushes_total",
			Help: "Push requests to Loki by outcome (success, failure), retries included."}, []string{"outcome"}),
		errReports: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace,
			Name: "error_reports_total",
			Help: "Events for error tracking (error_tracking) by kind (panic, error) and outcome (sent, rate_limited, dropped)."},
			[]string{"kind", "outcome"}),
	}
	for _, r := range logDropReasons {
		o.logDropped.WithLabelValues(r)
	}
	o.logPushes.WithLabelValues(OutcomeSuccess)
	o.logPushes.WithLabelValues(OutcomeFailure)
	for _, k := range errorReportKinds {
		for _, out := range errorOutcomes {
			o.errReports.WithLabelValues(k, out)
		}
	}
	return o
}

func (o observeMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{o.logShipped, o.logDropped, o.logPushes, o.errReports}
}

// LogShipped counts n lines Loki accepted.
func (m *Metrics) LogShipped(n int) {
	if m != nil {
		m.obs.logShipped.Add(float64(n))
	}
}

// LogDropped counts n lines not shipped, and why.
func (m *Metrics) LogDropped(reason string, n int) {
	if m != nil {
		m.obs.logDropped.WithLabelValues(reason).Add(float64(n))
	}
}

// LogPushed counts a push attempt.
func (m *Metrics) LogPushed(ok bool) {
	if m == nil {
		return
	}
	outcome := OutcomeSuccess
	if !ok {
		outcome = OutcomeFailure
	}
	m.obs.logPushes.WithLabelValues(outcome).Inc()
}

// ErrorReported counts an error-tracking event by kind and outcome.
func (m *Metrics) ErrorReported(kind, outcome string) {
	if m != nil {
		m.obs.errReports.WithLabelValues(kind, outcome).Inc()
	}
}
