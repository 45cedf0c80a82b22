package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"signalcraft/core/alert"
	wire "signalcraft/core/api"
	"signalcraft/core/jobs"
	"signalcraft/core/store"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func newTest() *Metrics { return New(Options{Version: "v9", Now: func() time.Time { return t0 }}) }

// series returns the value of the series of family name whose labels include want, and
// whether there is one.
func series(t *testing.T, m *Metrics, name string, want map[string]string) (float64, bool) {
	t.Helper()
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	next:
		for _, mt := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range mt.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if have[k] != v {
					continue next
				}
			}
			return value(mt), true
		}
	}
	return 0, false
}

func value(mt *dto.Metric) float64 {
	switch {
	case mt.Counter != nil:
		return mt.Counter.GetValue()
	case mt.Gauge != nil:
		return mt.Gauge.GetValue()
	case mt.Histogram != nil:
		return float64(mt.Histogram.GetSampleCount())
	}
	return -1
}

func expect(t *testing.T, m *Metrics, name string, labels map[string]string, want float64) {
	t.Helper()
	got, ok := series(t, m, name, labels)
	if !ok {
		t.Errorf("%s%v: no such series", name, labels)
		return
	}
	if got != want {
		t.Errorf("%s%v = %g; want %g", name, labels, got, want)
	}
}

func TestStandardCollectors(t *testing.T) {
	m := newTest()
	expect(t, m, "signalcraft_build_info", map[string]string{"version": "v9"}, 1)
	for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_resident_memory_bytes"} {
		if _, ok := series(t, m, name, nil); !ok {
			t.Errorf("%s missing", name)
		}
	}
	expect(t, m, "signalcraft_replication_configured", nil, 0)
	if _, ok := series(t, m, "signalcraft_replication_lag_seconds", nil); ok {
		t.Error("replication lag exported before any replicator reported")
	}
}

func TestNilMetricsDoNothing(t *testing.T) {
	var m *Metrics
	m.AnalysisLatency("x").Observe(1)
	m.Notified("r", nil)
	m.InitReceivers("r")
	m.SetReplicationLag(time.Second, t0)
	m.SetReplicationError(errors.New("x"), t0)
	m.InitAPI([]string{"tls"}, []string{"unknown"}, []string{"client"})
	m.AuthFailed("tls", "unknown")
	m.ConnRefused("tls", "client")
	if m.LastNotification() != nil || m.HealthReplication().Configured {
		t.Error("nil Metrics reported state")
	}
	h := http.NotFoundHandler()
	if got := m.InstrumentAPI(h); got == nil {
		t.Error("InstrumentAPI on nil returned nil")
	}
	if err := m.Watch(Sources{}); err != nil {
		t.Error(err)
	}
	called := false
	jh := m.JobHandler("k", func(context.Context, jobs.Job) error { called = true; return nil })
	if jh(context.Background(), jobs.Job{}) != nil || !called {
		t.Error("JobHandler on nil does not call the handler")
	}
}

func TestLatencyAndOutcomes(t *testing.T) {
	m := newTest()
	obs := m.AnalysisLatency("fan-1")
	for _, s := range []float64{0.002, 0.004, 3} {
		obs.Observe(s)
	}
	expect(t, m, "signalcraft_analysis_latency_seconds", map[string]string{"machine": "fan-1"}, 3)

	m.InitReceivers("ops", "phone")
	expect(t, m, "signalcraft_notifications_total", map[string]string{"receiver": "phone", "outcome": OutcomeFailure}, 0)
	m.Notified("ops", nil)
	m.Notified("ops", nil)
	if n := m.LastNotification(); n == nil || !n.OK || n.Receiver != "ops" || !n.At.Equal(t0) {
		t.Errorf("last notification %+v", n)
	}
	m.Notified("phone", errors.New("sens: 401 unauthorized"))
	expect(t, m, "signalcraft_notifications_total", map[string]string{"receiver": "ops", "outcome": OutcomeSuccess}, 2)
	expect(t, m, "signalcraft_notifications_total", map[string]string{"receiver": "phone", "outcome": OutcomeFailure}, 1)
	if n := m.LastNotification(); n == nil || n.OK || n.Error != "sens: 401 unauthorized" {
		t.Errorf("last notification %+v", n)
	}

	errs := []error{nil, errors.New("timeout"), jobs.Permanent(errors.New("bad payload")), nil}
	i := 0
	h := m.JobHandler("notify", func(context.Context, jobs.Job) error { err := errs[i]; i++; return err })
	for range errs {
		_ = h(context.Background(), jobs.Job{})
	}
	expect(t, m, "signalcraft_job_outcomes_total", map[string]string{"kind": "notify", "outcome": OutcomeSuccess}, 2)
	expect(t, m, "signalcraft_job_outcomes_total", map[string]string{"kind": "notify", "outcome": OutcomeFailure}, 2)
}

func TestReplication(t *testing.T) {
	m := newTest()
	m.SetReplicationLag(90*time.Second, t0)
	expect(t, m, "signalcraft_replication_configured", nil, 1)
	expect(t, m, "signalcraft_replication_lag_seconds", nil, 90)
	expect(t, m, "signalcraft_replication_last_sync_timestamp_seconds", nil, float64(t0.Unix()))
	h := m.HealthReplication()
	if !h.Configured || h.LagSeconds == nil || *h.LagSeconds != 90 || !h.LastSync.Equal(t0) || h.LastError != "" || !h.LastErrorAt.IsZero() {
		t.Errorf("health replication %+v", h)
	}
	m.SetReplicationError(errors.New("s3: access denied"), t0.Add(time.Minute))
	if h := m.HealthReplication(); h.LastError != "s3: access denied" || !h.LastErrorAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("health replication %+v", h)
	}
	m2 := newTest()
	m2.SetReplicationError(errors.New("no replica yet"), t0)
	if h := m2.HealthReplication(); !h.Configured || h.LagSeconds != nil || !h.LastSync.IsZero() {
		t.Errorf("error before any sync: %+v; want configured, unknown lag", h)
	}
}

func TestStateCollector(t *testing.T) {
	m := newTest()
	health := wire.HealthReport{Status: wire.HealthDegraded, Ready: true, Database: wire.HealthDatabase{Writable: true},
		Disk: wire.HealthDisk{Path: "/data", FreeBytes: 10, TotalBytes: 100,
			Clips: &wire.HealthClips{Count: 2, Bytes: 5000, QuotaBytes: 4000, HardLimitBytes: 5000, Saved: 3, Refused: 1}}}
	err := m.Watch(Sources{
		Machines: func() []MachineStats {
			return []MachineStats{{Machine: "pump-2", State: wire.StateAnomaly, Progress: 1, Score: 12.5, Threshold: 8, ModelVersion: 4, Events: 2}}
		},
		Sensors: func() []SensorStats {
			return []SensorStats{{Sensor: "sim/1", Machine: "pump-2", State: wire.SensorLost, Captured: 16000, Dropped: 320}}
		},
		Captures: func() []CaptureStats { return []CaptureStats{{Source: "mic", Overflows: 3, Reconnects: 1}} },
		Alerts: func() []alert.Alert {
			return []alert.Alert{
				{Status: alert.StatusFiring, Labels: alert.Labels{"severity": "critical"}},
				{Status: alert.StatusFiring, Labels: alert.Labels{"severity": "critical"}},
				{Status: alert.StatusPending, Labels: alert.Labels{"severity": "page"}},
			}
		},
		AlertDropped: func() uint64 { return 5 },
		Jobs: func(context.Context) ([]jobs.KindStats, error) {
			return []jobs.KindStats{{Kind: "notify", Queued: 2, Dead: 1, Done: 9, OldestReady: 1500 * time.Millisecond}}, nil
		},
		Store: func() store.BatcherStats {
			return store.BatcherStats{Committed: 100, Dropped: 1, Failures: 2, Pending: 7}
		},
		Unsaved: func() Unsaved { return Unsaved{Events: 2, EventsDropped: 1, Notifications: 3, NotificationsDropped: 4} },
		Health:  func(context.Context) wire.HealthReport { return health },
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"signalcraft_machine_score", map[string]string{"machine": "pump-2"}, 12.5},
		{"signalcraft_machine_threshold", map[string]string{"machine": "pump-2"}, 8},
		{"signalcraft_machine_state", map[string]string{"machine": "pump-2", "state": "anomaly"}, 1},
		{"signalcraft_machine_state", map[string]string{"machine": "pump-2", "state": "learning"}, 0},
		{"signalcraft_machine_learning_progress_ratio", map[string]string{"machine": "pump-2"}, 1},
		{"signalcraft_machine_model_version", map[string]string{"machine": "pump-2"}, 4},
		{"signalcraft_anomaly_events_total", map[string]string{"machine": "pump-2"}, 2},
		{"signalcraft_sensor_frames_captured_total", map[string]string{"sensor": "sim/1", "machine": "pump-2"}, 16000},
		{"signalcraft_sensor_frames_dropped_total", map[string]string{"sensor": "sim/1"}, 320},
		{"signalcraft_sensor_state", map[string]string{"sensor": "sim/1", "state": "lost"}, 1},
		{"signalcraft_sensor_state", map[string]string{"sensor": "sim/1", "state": "ok"}, 0},
		{"signalcraft_capture_overflows_total", map[string]string{"source": "mic"}, 3},
		{"signalcraft_capture_reconnects_total", map[string]string{"source": "mic"}, 1},
		{"signalcraft_alerts", map[string]string{"state": "firing", "severity": "critical"}, 2},
		{"signalcraft_alerts", map[string]string{"state": "firing", "severity": "warning"}, 0},
		{"signalcraft_alerts", map[string]string{"state": "pending", "severity": "page"}, 1},
		{"signalcraft_alert_observations_dropped_total", nil, 5},
		{"signalcraft_jobs", map[string]string{"kind": "notify", "state": "queued"}, 2},
		{"signalcraft_jobs", map[string]string{"kind": "notify", "state": "dead"}, 1},
		{"signalcraft_jobs", map[string]string{"kind": "notify", "state": "running"}, 0},
		{"signalcraft_jobs_oldest_ready_seconds", map[string]string{"kind": "notify"}, 1.5},
		{"signalcraft_store_rows_committed_total", nil, 100},
		{"signalcraft_store_rows_dropped_total", nil, 1},
		{"signalcraft_store_commit_failures_total", nil, 2},
		{"signalcraft_store_pending_rows", nil, 7},
		{"signalcraft_unsaved_events", nil, 2},
		{"signalcraft_unsaved_events_dropped_total", nil, 1},
		{"signalcraft_unsaved_notifications", nil, 3},
		{"signalcraft_unsaved_notifications_dropped_total", nil, 4},
		{"signalcraft_health_status", map[string]string{"status": "degraded"}, 1},
		{"signalcraft_health_status", map[string]string{"status": "ok"}, 0},
		{"signalcraft_ready", nil, 1},
		{"signalcraft_database_writable", nil, 1},
		{"signalcraft_disk_free_bytes", map[string]string{"path": "/data"}, 10},
		{"signalcraft_disk_size_bytes", map[string]string{"path": "/data"}, 100},
		{"signalcraft_clips_bytes", nil, 5000},
		{"signalcraft_clips", nil, 2},
		{"signalcraft_clips_quota_bytes", nil, 4000},
		{"signalcraft_clips_hard_limit_bytes", nil, 5000},
		{"signalcraft_clips_saving", nil, 0},
		{"signalcraft_clips_saved_total", nil, 3},
		{"signalcraft_clips_refused_total", nil, 1},
	}
	for _, tt := range tests {
		expect(t, m, tt.name, tt.labels, tt.want)
	}
}

func TestJobsErrorFailsOnlyItsFamily(t *testing.T) {
	m := newTest()
	if err := m.Watch(Sources{
		Jobs:  func(context.Context) ([]jobs.KindStats, error) { return nil, errors.New("database is locked") },
		Store: func() store.BatcherStats { return store.BatcherStats{Pending: 3} },
	}); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), "signalcraft_store_pending_rows 3") {
		t.Errorf("a failing job query hid the other metrics:\n%s", rec.Body.String())
	}
}

func TestInstrumentAPI(t *testing.T) {
	m := newTest()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/events/{id}", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("{}")) })
	mux.HandleFunc("POST /api/v1/events/{id}/acknowledge", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "conflict", http.StatusConflict)
	})
	mux.HandleFunc("GET /api/v1/live", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flush through the instrumented writer: %v", err)
		}
		_, _ = w.Write([]byte("data: x\n\n"))
	})
	srv := httptest.NewServer(m.InstrumentAPI(mux))
	defer srv.Close()
	do := func(method, path string) int {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	do("GET", "/api/v1/events/1")
	do("GET", "/api/v1/events/2")
	do("POST", "/api/v1/events/2/acknowledge")
	do("GET", "/api/v1/live")
	do("GET", "/no/such/path/123")
	do("BREW", "/api/v1/events/1")
	expect(t, m, "signalcraft_api_requests_total", map[string]string{"method": "GET", "route": "/api/v1/events/{id}", "code": "200"}, 2)
	expect(t, m, "signalcraft_api_requests_total", map[string]string{"method": "POST", "route": "/api/v1/events/{id}/acknowledge", "code": "409"}, 1)
	expect(t, m, "signalcraft_api_requests_total", map[string]string{"method": "GET", "route": "/api/v1/live", "code": "200"}, 1)
	expect(t, m, "signalcraft_api_requests_total", map[string]string{"method": "GET", "route": routeOther, "code": "404"}, 1)
	expect(t, m, "signalcraft_api_requests_total", map[string]string{"method": "OTHER", "route": routeOther, "code": "405"}, 1)
	expect(t, m, "signalcraft_api_request_duration_seconds", map[string]string{"method": "GET", "route": "/api/v1/events/{id}"}, 2)
}

func TestAPIFailures(t *testing.T) {
	m := newTest()
	m.InitAPI([]string{"tls"}, []string{"missing", "unknown", "revoked", "expired"}, []string{"client", "total"})
	expect(t, m, "signalcraft_api_auth_failures_total", map[string]string{"transport": "tls", "reason": "revoked"}, 0)
	expect(t, m, "signalcraft_api_connections_refused_total", map[string]string{"transport": "tls", "limit": "total"}, 0)
	m.AuthFailed("tls", "unknown")
	m.AuthFailed("tls", "unknown")
	m.AuthFailed("tcp", "missing")
	m.ConnRefused("unix", "total")
	expect(t, m, "signalcraft_api_auth_failures_total", map[string]string{"transport": "tls", "reason": "unknown"}, 2)
	expect(t, m, "signalcraft_api_auth_failures_total", map[string]string{"transport": "tcp", "reason": "missing"}, 1)
	expect(t, m, "signalcraft_api_connections_refused_total", map[string]string{"transport": "unix", "limit": "total"}, 1)
}

func BenchmarkAnalysisLatencyObserve(b *testing.B) {
	obs := newTest().AnalysisLatency("fan-1")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		obs.Observe(float64(i%100) / 1000)
	}
}

func BenchmarkInstrumentAPI(b *testing.B) {
	m := newTest()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/events/{id}", func(w http.ResponseWriter, r *http.Request) {})
	h := m.InstrumentAPI(mux)
	req := httptest.NewRequest("GET", "/api/v1/events/7", nil)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}
