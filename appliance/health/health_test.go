package health

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	wire "signalcraft/core/api"
	"signalcraft/core/jobs"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// world is what the fake probes answer; each test case changes a copy of healthy().
type world struct {
	dbErr       error
	sensors     []wire.HealthSensor
	sensorsErr  error
	jobs        []jobs.KindStats
	jobsErr     error
	last        *wire.HealthNotification
	repl        wire.HealthReplication
	free, total uint64
	diskErr     error
	models      []wire.HealthModel
	notReady    bool
	clips       *wire.HealthClips
}

func healthy() world {
	return world{
		sensors: []wire.HealthSensor{
			{ID: "mic/0", MachineID: "fan-1", State: wire.SensorOK, Since: t0},
			{ID: "wav/0", MachineID: "pump-2", State: wire.SensorEnded, Since: t0}, // a finished replay is fine
		},
		jobs:   []jobs.KindStats{{Kind: "notify", Queued: 1, Done: 7, OldestReady: 3 * time.Second}, {Kind: "other", Failed: 2}},
		last:   &wire.HealthNotification{Receiver: "ops", OK: true, At: t0},
		repl:   wire.HealthReplication{Status: wire.ReplicationNotConfigured},
		free:   50 << 30,
		total:  100 << 30,
		models: []wire.HealthModel{{MachineID: "fan-1", State: wire.StateMonitoring, Version: 3, Progress: 1}},
	}
}

func (w world) checker() *Checker {
	ready := NewReadiness(PartDatabase, PartSources)
	ready.Set(PartDatabase, true)
	ready.Set(PartSources, !w.notReady)
	return NewChecker(Probes{
		DatabasePath:     "/data/signalcraft.db",
		Database:         func(context.Context) error { return w.dbErr },
		Sensors:          func(context.Context) ([]wire.HealthSensor, error) { return w.sensors, w.sensorsErr },
		Jobs:             func(context.Context) ([]jobs.KindStats, error) { return w.jobs, w.jobsErr },
		Models:           func() []wire.HealthModel { return w.models },
		LastNotification: func() *wire.HealthNotification { return w.last },
		Replication:      func() wire.HealthReplication { return w.repl },
		DataDir:          "/data",
		DiskUsage:        func(string) (uint64, uint64, error) { return w.free, w.total, w.diskErr },
		Clips:            func() *wire.HealthClips { return w.clips },
	}, ready, Options{Now: func() time.Time { return t0 }, Build: "v1.2.3", StartedAt: t0.Add(-time.Hour)})
}

func lag(s float64) *float64 { return &s }

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		change func(*world)
		status string
		reason string // a substring of the first reason; "" when ok
		check  func(t *testing.T, r wire.HealthReport)
	}{
		{"healthy", func(*world) {}, wire.HealthOK, "", func(t *testing.T, r wire.HealthReport) {
			if !r.Database.Writable || r.Database.Path != "/data/signalcraft.db" || r.Database.Error != "" {
				t.Errorf("database %+v", r.Database)
			}
			if len(r.Sensors) != 2 || r.Sensors[0].ID != "mic/0" || !r.Sensors[0].Since.Equal(t0) {
				t.Errorf("sensors %+v", r.Sensors)
			}
			if r.Jobs != (wire.HealthJobs{Queued: 1, Failed: 2, OldestReadySeconds: 3}) {
				t.Errorf("jobs %+v", r.Jobs)
			}
			if r.Disk.FreePercent != 50 || r.Disk.FreeBytes != 50<<30 || r.Disk.DegradedBelowPct != DefaultDiskDegradedPct ||
				r.Disk.FailingBelowPct != DefaultDiskFailingPct || r.Disk.Path != "/data" {
				t.Errorf("disk %+v", r.Disk)
			}
			if r.LastNotification == nil || r.LastNotification.Receiver != "ops" || !r.LastNotification.OK {
				t.Errorf("last notification %+v", r.LastNotification)
			}
			if r.Replication.Configured || r.Replication.Status != wire.ReplicationNotConfigured || r.Replication.LagSeconds != nil {
				t.Errorf("replication %+v", r.Replication)
			}
			if len(r.Models) != 1 || r.Models[0].Version != 3 || r.Models[0].State != wire.StateMonitoring {
				t.Errorf("models %+v", r.Models)
			}
			if !r.Ready || r.Build != "v1.2.3" || !r.Time.Equal(t0) || !r.StartedAt.Equal(t0.Add(-time.Hour)) || len(r.Reasons) != 0 {
				t.Errorf("report %+v", r)
			}
		}},
		{"database read-only", func(w *world) { w.dbErr = errors.New("attempt to write a readonly database") },
			wire.HealthFailing, "database not writable: attempt to write a readonly database", func(t *testing.T, r wire.HealthReport) {
				if r.Database.Writable || !strings.Contains(r.Database.Error, "readonly") {
					t.Errorf("database %+v", r.Database)
				}
			}},
		{"failing outranks degraded", func(w *world) {
			w.dbErr = errors.New("disk I/O error")
			w.sensors[0].State = wire.SensorLost
		}, wire.HealthFailing, "database not writable", func(t *testing.T, r wire.HealthReport) {
			if len(r.Reasons) != 2 || !strings.Contains(r.Reasons[1], "sensor mic/0") {
				t.Errorf("reasons %q; want the database first, then the sensor", r.Reasons)
			}
		}},
		{"sensor lost", func(w *world) { w.sensors[0].State, w.sensors[0].Detail = wire.SensorLost, "device unplugged" },
			wire.HealthDegraded, "sensor mic/0 (machine fan-1) lost since 2025-03-01T12:00:00Z", func(t *testing.T, r wire.HealthReport) {
				if r.Sensors[0].State != wire.SensorLost || r.Sensors[0].Detail != "device unplugged" {
					t.Errorf("sensor %+v", r.Sensors[0])
				}
			}},
		{"sensor silent", func(w *world) { w.sensors[0].State = wire.SensorSilent }, wire.HealthDegraded, "silent", nil},
		{"sensors unreadable", func(w *world) { w.sensors, w.sensorsErr = nil, errors.New("database is locked") },
			wire.HealthDegraded, "sensors: database is locked", nil},
		{"dead jobs", func(w *world) { w.jobs[0].Dead = 3 }, wire.HealthDegraded, "3 dead job(s)", func(t *testing.T, r wire.HealthReport) {
			if r.Jobs.Dead != 3 {
				t.Errorf("jobs %+v", r.Jobs)
			}
		}},
		{"job queue unreadable", func(w *world) { w.jobsErr = errors.New("no such table: jobs") }, wire.HealthDegraded, "job queue: no such table", nil},
		{"notification failed", func(w *world) {
			w.last = &wire.HealthNotification{Receiver: "ops", Error: "webhook: 503 Service Unavailable", At: t0}
		}, wire.HealthDegraded, "notifications failing: receiver ops: webhook: 503", func(t *testing.T, r wire.HealthReport) {
			if r.LastNotification.OK || r.LastNotification.Error == "" {
				t.Errorf("last notification %+v", r.LastNotification)
			}
		}},
		{"no notification yet", func(w *world) { w.last = nil }, wire.HealthOK, "", func(t *testing.T, r wire.HealthReport) {
			if r.LastNotification != nil {
				t.Errorf("last notification %+v; want nil", r.LastNotification)
			}
		}},
		{"replication ok", func(w *world) {
			w.repl = wire.HealthReplication{Configured: true, LagSeconds: lag(2), LastSync: t0}
		}, wire.HealthOK, "", func(t *testing.T, r wire.HealthReport) {
			if r.Replication.Status != wire.ReplicationOK || *r.Replication.LagSeconds != 2 {
				t.Errorf("replication %+v", r.Replication)
			}
		}},
		{"replication lagging", func(w *world) {
			w.repl = wire.HealthReplication{Configured: true, LagSeconds: lag(600), LastSync: t0.Add(-10 * time.Minute)}
		}, wire.HealthDegraded, "replication lagging: 600 s behind", func(t *testing.T, r wire.HealthReport) {
			if r.Replication.Status != wire.ReplicationLagging {
				t.Errorf("replication %+v", r.Replication)
			}
		}},
		{"replication failing", func(w *world) {
			w.repl = wire.HealthReplication{Configured: true, LagSeconds: lag(1), LastSync: t0.Add(-time.Minute),
				LastError: "s3: access denied", LastErrorAt: t0}
		}, wire.HealthDegraded, "replication failing: s3: access denied", func(t *testing.T, r wire.HealthReport) {
			if r.Replication.Status != wire.ReplicationError {
				t.Errorf("replication %+v", r.Replication)
			}
		}},
		{"replication recovered since its error", func(w *world) {
			w.repl = wire.HealthReplication{Configured: true, LagSeconds: lag(1), LastSync: t0,
				LastError: "s3: timeout", LastErrorAt: t0.Add(-time.Minute)}
		}, wire.HealthOK, "", nil},
		{"disk low", func(w *world) { w.free = 5 << 30 }, wire.HealthDegraded, "disk space low: 5.0% free on /data", nil},
		{"disk almost full", func(w *world) { w.free = 1 << 30 }, wire.HealthFailing, "disk almost full: 1.0% free on /data", nil},
		{"disk unreadable", func(w *world) { w.diskErr = errors.New("statfs /data: no such file or directory") },
			wire.HealthDegraded, "disk: statfs /data", nil},
		{"no clips", func(w *world) { w.clips = nil }, wire.HealthOK, "", func(t *testing.T, r wire.HealthReport) {
			if r.Disk.Clips != nil {
				t.Errorf("clips %+v; want nil", r.Disk.Clips)
			}
		}},
		{"clips under quota", func(w *world) {
			w.clips = &wire.HealthClips{Path: "/data/clips", Count: 3, Bytes: 1 << 20, QuotaBytes: 2e9, HardLimitBytes: 25e8, Saving: true}
		}, wire.HealthOK, "", func(t *testing.T, r wire.HealthReport) {
			if c := r.Disk.Clips; c == nil || c.Bytes != 1<<20 || c.QuotaBytes != 2e9 || !c.Saving {
				t.Errorf("clips %+v", c)
			}
		}},
		{"clips at the hard limit", func(w *world) {
			w.clips = &wire.HealthClips{Path: "/data/clips", Bytes: 25e8, QuotaBytes: 2e9, HardLimitBytes: 25e8,
				Reason: "over clips.hard_limit 2500MB", Refused: 4}
		}, wire.HealthDegraded, "audio clips not saved: over clips.hard_limit", func(t *testing.T, r wire.HealthReport) {
			if c := r.Disk.Clips; c == nil || c.Saving || c.Refused != 4 {
				t.Errorf("clips %+v", c)
			}
		}},
		{"not ready", func(w *world) { w.notReady = true }, wire.HealthDegraded, "not ready: waiting for sources", func(t *testing.T, r wire.HealthReport) {
			if r.Ready {
				t.Error("ready while sources are not started")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := healthy()
			w.sensors = append([]wire.HealthSensor(nil), w.sensors...)
			w.jobs = append([]jobs.KindStats(nil), w.jobs...)
			tt.change(&w)
			r := w.checker().Check(context.Background())
			if r.Status != tt.status {
				t.Errorf("status %q (reasons %q); want %q", r.Status, r.Reasons, tt.status)
			}
			if tt.reason == "" && len(r.Reasons) != 0 {
				t.Errorf("reasons %q; want none", r.Reasons)
			}
			if tt.reason != "" && (len(r.Reasons) == 0 || !strings.Contains(r.Reasons[0], tt.reason)) {
				t.Errorf("reasons %q; want the first to contain %q", r.Reasons, tt.reason)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

// TestReportJSON checks the wire form clients decode: every part present, null for what
// is unknown, and a round trip that loses nothing.
func TestReportJSON(t *testing.T) {
	w := healthy()
	w.last = nil
	r := w.checker().Check(context.Background())
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"status", "reasons", "ready", "time", "started_at", "database", "sensors", "replication",
		"disk", "jobs", "last_notification", "models"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("field %q missing from %s", k, b)
		}
	}
	if string(raw["last_notification"]) != "null" || string(raw["reasons"]) != "[]" {
		t.Errorf("last_notification %s, reasons %s; want null and []", raw["last_notification"], raw["reasons"])
	}
	var repl map[string]any
	if err := json.Unmarshal(raw["replication"], &repl); err != nil {
		t.Fatal(err)
	}
	if repl["status"] != wire.ReplicationNotConfigured || repl["lag_seconds"] != nil || repl["last_error"] != "" {
		t.Errorf("replication %s; want not configured, null lag, empty last_error", raw["replication"])
	}
	var back wire.HealthReport
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, r) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, r)
	}
}

func TestReadiness(t *testing.T) {
	r := NewReadiness(PartDatabase, PartSources, PartAPI)
	steps := []struct {
		part    string
		up      bool
		ready   bool
		missing []string
	}{
		{"", false, false, []string{PartDatabase, PartSources, PartAPI}},
		{PartDatabase, true, false, []string{PartSources, PartAPI}},
		{PartAPI, true, false, []string{PartSources}},
		{PartSources, true, true, nil},
		{PartSources, false, false, []string{PartSources}}, // stopping
		{"metrics", false, false, []string{PartSources, "metrics"}},
	}
	for i, s := range steps {
		if s.part != "" {
			r.Set(s.part, s.up)
		}
		ready, missing := r.Ready()
		if ready != s.ready || !reflect.DeepEqual(missing, s.missing) {
			t.Errorf("step %d: Ready() = %v %q; want %v %q", i, ready, missing, s.ready, s.missing)
		}
	}
}

func TestHandlers(t *testing.T) {
	w := healthy()
	c := w.checker()
	c.Readiness().Set(PartSources, false)
	mux := c.Mux(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("# metrics\n")) }))
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec.Code, rec.Body.String()
	}
	type want struct {
		code int
		body string
	}
	check := func(path string, w want) {
		t.Helper()
		code, body := get(path)
		if code != w.code || !strings.Contains(body, w.body) {
			t.Errorf("GET %s = %d %q; want %d containing %q", path, code, body, w.code, w.body)
		}
	}
	check(wire.PathHealthz, want{200, "ok"})
	check(wire.PathReadyz, want{503, "not ready: waiting for sources"})
	check(wire.PathHealthReport, want{200, `"status": "degraded"`})
	check(wire.PathMetrics, want{200, "# metrics"})
	check("/nothing", want{404, ""})

	c.Readiness().Set(PartSources, true)
	check(wire.PathReadyz, want{200, "ready"})
	check(wire.PathHealthReport, want{200, `"status": "ok"`})

	w.dbErr = errors.New("readonly")
	check(wire.PathHealthReport, want{200, `"status": "ok"`}) // w is a copy: c still sees the old world
	failing := w.checker()
	rec := httptest.NewRecorder()
	failing.Handler().ServeHTTP(rec, httptest.NewRequest("GET", wire.PathHealthReport, nil))
	var r wire.HealthReport
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusServiceUnavailable || r.Status != wire.HealthFailing || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("failing report: %d %q %q", rec.Code, r.Status, rec.Header().Get("Content-Type"))
	}
}

func TestStatfs(t *testing.T) {
	free, total, err := Statfs(t.TempDir())
	if err != nil || total == 0 || free > total {
		t.Fatalf("Statfs = %d free of %d, %v", free, total, err)
	}
	if _, _, err := Statfs("/no/such/dir"); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Statfs of a missing dir: %v; want not exist", err)
	}
}
