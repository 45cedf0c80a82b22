package daemon

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"signalcraft/appliance/capture"
	"signalcraft/appliance/health"
	"signalcraft/appliance/metrics"
	"signalcraft/core/alert"
	wire "signalcraft/core/api"
	"signalcraft/core/store"
)

// observability is the daemon's health and metrics: readiness marks, the health checker,
// the metrics registry's collector of the daemon's state, and the metrics listener.
type observability struct {
	metrics *metrics.Metrics
	ready   *health.Readiness
	checker *health.Checker

	mu        sync.Mutex
	addr      string // the metrics listener's address once it listens
	apiAddr   string // the API's TLS listener's address once it listens
	flushErr  error  // the latest score batch's outcome
	flushedAt time.Time
}

// setupObservability builds the readiness tracker, the health checker and the metrics
// collector; New calls it once the database is open and the machines built.
func (m *Main) setupObservability() error {
	o := &m.obs
	o.metrics = m.o.Metrics // set by Options.defaults
	parts := []string{health.PartDatabase, health.PartSources}
	if m.cfg.API.Socket != "" || m.cfg.API.Listen != "" {
		parts = append(parts, health.PartAPI)
	}
	o.ready = health.NewReadiness(parts...)
	o.ready.Set(health.PartDatabase, true)
	o.checker = health.NewChecker(health.Probes{
		DatabasePath:     m.DatabasePath(),
		Database:         m.probeDatabase,
		Sensors:          m.healthSensors,
		Jobs:             m.alerts.queue.Stats,
		Models:           m.healthModels,
		LastNotification: o.metrics.LastNotification,
		Replication:      o.metrics.HealthReplication,
		DataDir:          m.cfg.DataDir,
		DiskUsage:        m.o.DiskUsage,
		Clips:            m.healthClips,
	}, o.ready, health.Options{Now: m.o.Now, Build: m.o.Version, StartedAt: m.o.Now()})
	var receivers []string
	for _, r := range m.cfg.Receivers {
		receivers = append(receivers, r.Name)
	}
	o.metrics.InitReceivers(receivers...)
	return o.metrics.Watch(metrics.Sources{
		Machines:     m.machineStats,
		Sensors:      m.sensorStats,
		Captures:     m.captureStats,
		Alerts:       m.alerts.alertList,
		AlertDropped: m.alerts.droppedCount,
		Jobs:         m.alerts.queue.Stats,
		Store:        m.batch.Stats,
		Unsaved:      m.unsaved,
		Health:       o.checker.Check,
	})
}

// Metrics returns the daemon's metrics (never nil once New has returned).
func (m *Main) Metrics() *metrics.Metrics { return m.obs.metrics }

// Health probes the appliance and returns its health report.
func (m *Main) Health(ctx context.Context) wire.HealthReport { return m.obs.checker.Check(ctx) }

// Ready reports whether the appliance is ready, and names the parts it waits for.
func (m *Main) Ready() (bool, []string) { return m.obs.ready.Ready() }

// MetricsAddr returns the address the metrics listener listens on, "" before it listens
// (or when it is disabled or could not listen).
func (m *Main) MetricsAddr() string {
	m.obs.mu.Lock()
	defer m.obs.mu.Unlock()
	return m.obs.addr
}

// APIAddr returns the address the API's TLS listener listens on, "" before it listens or
// when api.listen is not set (a configured ":0" picks a free port: this reports it).
func (m *Main) APIAddr() string {
	m.obs.mu.Lock()
	defer m.obs.mu.Unlock()
	return m.obs.apiAddr
}

func (m *Main) noteAPIAddrs(addrs []net.Addr) {
	m.obs.mu.Lock()
	defer m.obs.mu.Unlock()
	for _, a := range addrs {
		if a.Network() == "tcp" {
			m.obs.apiAddr = a.String()
		}
	}
}

// noteFlush records the outcome of a score batch for the database health check.
func (m *Main) noteFlush(r store.FlushResult) {
	m.obs.mu.Lock()
	m.obs.flushErr, m.obs.flushedAt = r.Err, m.o.Now()
	m.obs.mu.Unlock()
}

// errProbeRollback undoes the database probe's write.
var errProbeRollback = errors.New("health probe: roll back")

// probeKey is the row the database probe writes and rolls back.
const probeKey = "health.probe"

// probeDatabase proves the database writable: it takes the write lock (BEGIN IMMEDIATE),
// writes a row and rolls it back, so a read-only file or file system fails it without the
// probe leaving anything behind; and the latest batch of scores must have been committed
// (which catches a full disk, which only a commit reveals).
func (m *Main) probeDatabase(ctx context.Context) error {
	err := m.db.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO appliance_settings (key, value, updated_at_ms, updated_by)
			VALUES (?, '{}', 0, 'health') ON CONFLICT (key) DO UPDATE SET updated_at_ms = excluded.updated_at_ms`, probeKey); err != nil {
			return err
		}
		return errProbeRollback
	})
	if !errors.Is(err, errProbeRollback) {
		return fmt.Errorf("write probe: %w", err)
	}
	m.obs.mu.Lock()
	ferr, at := m.obs.flushErr, m.obs.flushedAt
	m.obs.mu.Unlock()
	if ferr != nil {
		return fmt.Errorf("score batch at %s: %w", at.UTC().Format(time.RFC3339), ferr)
	}
	return nil
}

func (m *Main) healthSensors(ctx context.Context) ([]wire.HealthSensor, error) {
	ss, err := m.Sensors(ctx)
	out := make([]wire.HealthSensor, len(ss))
	for i, s := range ss {
		out[i] = wire.HealthSensor{ID: s.ID, MachineID: s.MachineID, State: s.State, Since: s.StateSince, Detail: s.Detail}
	}
	return out, err
}

// activeVersion returns the version of a machine's active model, 0 when it is learning or
// has none.
func (m *Main) activeVersion(ctx context.Context, machine, state string) int64 {
	if state == wire.StateLearning {
		return 0
	}
	saved, err := m.db.ActiveModel(ctx, machine)
	if err != nil {
		return 0
	}
	return saved.Version
}

func (m *Main) healthModels() []wire.HealthModel {
	ctx, cancel := context.WithTimeout(context.Background(), metrics.ScrapeTimeout)
	defer cancel()
	st := m.Status()
	out := make([]wire.HealthModel, len(st))
	for i, s := range st {
		out[i] = wire.HealthModel{MachineID: s.Machine, State: s.State, Progress: s.Progress,
			Version: m.activeVersion(ctx, s.Machine, s.State)}
	}
	return out
}

func (m *Main) machineStats() []metrics.MachineStats {
	ctx, cancel := context.WithTimeout(context.Background(), metrics.ScrapeTimeout)
	defer cancel()
	st := m.Status()
	out := make([]metrics.MachineStats, len(st))
	for i, s := range st {
		out[i] = metrics.MachineStats{Machine: s.Machine, State: s.State, Progress: s.Progress, Score: s.Smoothed,
			Threshold: s.Threshold, ModelVersion: m.activeVersion(ctx, s.Machine, s.State), Events: uint64(s.Events)}
	}
	return out
}

func (m *Main) sensorStats() []metrics.SensorStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]metrics.SensorStats, len(m.machines))
	for i, mm := range m.machines {
		rs := mm.ring.Stats()
		mm.mu.Lock()
		state, id := string(mm.view.Sensor), mm.cfg.ID
		mm.mu.Unlock()
		out[i] = metrics.SensorStats{Sensor: mm.sensorID, Machine: id, State: state, Captured: rs.Written, Dropped: rs.Overruns}
	}
	return out
}

func (m *Main) captureStats() []metrics.CaptureStats {
	var out []metrics.CaptureStats
	for i, s := range m.sources {
		if c, ok := s.(*capture.Source); ok {
			st := c.Stats()
			out = append(out, metrics.CaptureStats{Source: m.cfg.Sources[i].ID, Overflows: st.Overflows, Reconnects: st.Reconnects})
		}
	}
	return out
}

// alertList returns the engine's alerts.
func (a *alerting) alertList() []alert.Alert {
	a.mu.Lock()
	e := a.engine
	a.mu.Unlock()
	return e.Alerts()
}

// unsaved reports what waits in memory for the database to be writable.
func (m *Main) unsaved() metrics.Unsaved {
	var u metrics.Unsaved
	u.Events, u.EventsDropped = m.events.stats()
	m.alerts.mu.Lock()
	u.Notifications, u.NotificationsDropped = len(m.alerts.engine.Pending()), m.alerts.engine.OutboxDropped()
	m.alerts.mu.Unlock()
	return u
}

// droppedCount returns how many observations the engine's queue dropped.
func (a *alerting) droppedCount() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.dropped
}

// serveMetrics serves /metrics, /healthz, /readyz and /health on the configured address
// until ctx ends. Not being able to listen is logged, not fatal: the machines are still
// monitored.
func (m *Main) serveMetrics(ctx context.Context) {
	addr := m.cfg.Metrics.Listen
	if addr == "" {
		return
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		m.log.Error("metrics: cannot listen; /metrics and /health are not served", "addr", addr, "err", err)
		return
	}
	m.obs.mu.Lock()
	m.obs.addr = ln.Addr().String()
	m.obs.mu.Unlock()
	m.log.Info("metrics listening", "addr", ln.Addr().String())
	srv := &http.Server{Handler: m.obs.checker.Mux(m.obs.metrics.Handler()), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		m.log.Error("metrics: serve", "err", err)
		return
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	<-errc
}
