// Package health tells whether the appliance is alive, ready and well: a readiness tracker
// fed by the daemon as it starts, a Checker that probes the database, sensors, disk, job
// queue, notifications, replication and models into a core/api HealthReport with an
// overall status and its reasons, and the HTTP handlers for /healthz, /readyz and /health.
package health

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	wire "signalcraft/core/api"
	"signalcraft/core/jobs"
)

// Readiness parts the daemon marks as it starts.
const (
	PartDatabase = "database" // the database is open and migrated
	PartSources  = "sources"  // every source has been started
	PartAPI      = "api"      // the API listens (only when the configuration asks for it)
)

// Readiness tracks the parts that must be up before the appliance is ready. It is safe
// for concurrent use.
type Readiness struct {
	mu    sync.Mutex
	parts []string
	up    map[string]bool
}

// NewReadiness returns a tracker waiting for parts, none of them up.
func NewReadiness(parts ...string) *Readiness {
	return &Readiness{parts: slices.Clone(parts), up: map[string]bool{}}
}

// Set marks part up or down; a part not named at creation is added.
func (r *Readiness) Set(part string, up bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Contains(r.parts, part) {
		r.parts = append(r.parts, part)
	}
	r.up[part] = up
}

// Ready reports whether every part is up, and names those that are not, in order.
func (r *Readiness) Ready() (bool, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var missing []string
	for _, p := range r.parts {
		if !r.up[p] {
			missing = append(missing, p)
		}
	}
	return len(missing) == 0, missing
}

// Defaults for the disk limits (percent of the file system free).
const (
	DefaultDiskDegradedPct = 10
	DefaultDiskFailingPct  = 2
)

// DefaultReplicationMaxLag is the lag above which replication is reported as lagging.
const DefaultReplicationMaxLag = 5 * time.Minute

// Probes are where the Checker looks. Nil funcs leave their part of the report empty
// (and, for Database, report it not writable).
type Probes struct {
	// DatabasePath is reported as is.
	DatabasePath string
	// Database proves the database writable: a write transaction that changes a row and
	// is rolled back, and the outcome of the latest batch of scores.
	Database func(ctx context.Context) error
	// Sensors returns every bound sensor's state.
	Sensors func(ctx context.Context) ([]wire.HealthSensor, error)
	// Jobs returns the job queue's per-kind counts.
	Jobs func(ctx context.Context) ([]jobs.KindStats, error)
	// Models returns every machine's model state.
	Models func() []wire.HealthModel
	// LastNotification returns the latest delivery attempt, nil if none yet.
	LastNotification func() *wire.HealthNotification
	// Replication returns the replication state; nil means not configured.
	Replication func() wire.HealthReplication
	// DataDir is the directory whose file system's free space is checked.
	DataDir string
	// DiskUsage returns the free and total bytes of the file system holding path; nil
	// uses statfs(2).
	DiskUsage func(path string) (free, total uint64, err error)
	// Clips returns the audio clips' usage; nil (or a nil result) leaves it out.
	Clips func() *wire.HealthClips
}

// Options tune a Checker.
type Options struct {
	Now       func() time.Time
	Build     string
	StartedAt time.Time
	// DiskDegradedPct and DiskFailingPct are the free-space limits in percent (defaults
	// DefaultDiskDegradedPct, DefaultDiskFailingPct).
	DiskDegradedPct, DiskFailingPct float64
	// ReplicationMaxLag is the lag above which replication is lagging
	// (default DefaultReplicationMaxLag).
	ReplicationMaxLag time.Duration
	// ProbeTimeout bounds the whole check (default 5 s).
	ProbeTimeout time.Duration
}

// Checker assembles HealthReports. It is safe for concurrent use.
type Checker struct {
	p     Probes
	o     Options
	ready *Readiness
}

// NewChecker returns a Checker over p whose reports include ready's state.
func NewChecker(p Probes, ready *Readiness, o Options) *Checker {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.DiskDegradedPct == 0 {
		o.DiskDegradedPct = DefaultDiskDegradedPct
	}
	if o.DiskFailingPct == 0 {
		o.DiskFailingPct = DefaultDiskFailingPct
	}
	if o.ReplicationMaxLag == 0 {
		o.ReplicationMaxLag = DefaultReplicationMaxLag
	}
	if o.ProbeTimeout == 0 {
		o.ProbeTimeout = 5 * time.Second
	}
	if p.DiskUsage == nil {
		p.DiskUsage = Statfs
	}
	if ready == nil {
		ready = NewReadiness()
	}
	return &Checker{p: p, o: o, ready: ready}
}

// Readiness returns the tracker the Checker reports.
func (c *Checker) Readiness() *Readiness { return c.ready }

// report collects the reasons for a status, keeping the worst.
type verdict struct {
	failing, degraded []string
}

func (v *verdict) fail(format string, a ...any) {
	v.failing = append(v.failing, fmt.Sprintf(format, a...))
}
func (v *verdict) degrade(format string, a ...any) {
	v.degraded = append(v.degraded, fmt.Sprintf(format, a...))
}

// Check probes everything and returns the report. The overall status is failing when the
// database is not writable or the disk is (nearly) full; degraded when the appliance is
// not ready, a sensor is not ok (a finished recording is fine), dead jobs wait, the
// latest notification failed, replication lags or fails, disk space runs low or a probe
// failed; ok otherwise.
func (c *Checker) Check(ctx context.Context) wire.HealthReport {
	ctx, cancel := context.WithTimeout(ctx, c.o.ProbeTimeout)
	defer cancel()
	var v verdict
	r := wire.HealthReport{Time: c.o.Now().UTC(), Build: c.o.Build, StartedAt: c.o.StartedAt.UTC(),
		Sensors: []wire.HealthSensor{}, Models: []wire.HealthModel{}}

	ready, missing := c.ready.Ready()
	r.Ready = ready
	if !ready {
		v.degrade("not ready: waiting for %s", strings.Join(missing, ", "))
	}

	r.Database = c.database(ctx)
	if !r.Database.Writable {
		v.fail("database not writable: %s", r.Database.Error)
	}

	r.Disk = c.disk()
	switch {
	case r.Disk.Error != "":
		v.degrade("disk: %s", r.Disk.Error)
	case r.Disk.FreePercent < r.Disk.FailingBelowPct:
		v.fail("disk almost full: %.1f%% free on %s (failing below %g%%)", r.Disk.FreePercent, r.Disk.Path, r.Disk.FailingBelowPct)
	case r.Disk.FreePercent < r.Disk.DegradedBelowPct:
		v.degrade("disk space low: %.1f%% free on %s (degraded below %g%%)", r.Disk.FreePercent, r.Disk.Path, r.Disk.DegradedBelowPct)
	}
	if c.p.Clips != nil {
		if cl := c.p.Clips(); cl != nil {
			cp := *cl
			r.Disk.Clips = &cp
			if !cl.Saving {
				v.degrade("audio clips not saved: %s", cl.Reason)
			}
		}
	}

	if c.p.Sensors != nil {
		ss, err := c.p.Sensors(ctx)
		if err != nil {
			v.degrade("sensors: %v", err)
		}
		for _, s := range ss {
			r.Sensors = append(r.Sensors, s)
			if s.State != wire.SensorOK && s.State != wire.SensorEnded {
				v.degrade("sensor %s (machine %s) %s since %s", s.ID, s.MachineID, s.State, s.Since.UTC().Format(time.RFC3339))
			}
		}
	}

	r.Jobs = c.jobs(ctx)
	switch {
	case r.Jobs.Error != "":
		v.degrade("job queue: %s", r.Jobs.Error)
	case r.Jobs.Dead > 0:
		v.degrade("job queue: %d dead job(s) need attention", r.Jobs.Dead)
	}

	if c.p.LastNotification != nil {
		if n := c.p.LastNotification(); n != nil {
			cp := *n
			r.LastNotification = &cp
			if !n.OK {
				v.degrade("notifications failing: receiver %s: %s", n.Receiver, n.Error)
			}
		}
	}

	r.Replication = wire.HealthReplication{Status: wire.ReplicationNotConfigured}
	if c.p.Replication != nil {
		r.Replication = c.p.Replication()
	}
	if r.Replication.Configured {
		r.Replication.Status = wire.ReplicationOK
		switch {
		case r.Replication.LastError != "" && !r.Replication.LastErrorAt.Before(r.Replication.LastSync):
			r.Replication.Status = wire.ReplicationError
			v.degrade("replication failing: %s", r.Replication.LastError)
		case r.Replication.LagSeconds != nil && *r.Replication.LagSeconds > c.o.ReplicationMaxLag.Seconds():
			r.Replication.Status = wire.ReplicationLagging
			v.degrade("replication lagging: %.0f s behind (more than %s)", *r.Replication.LagSeconds, c.o.ReplicationMaxLag)
		}
	} else {
		r.Replication.Status = wire.ReplicationNotConfigured
	}

	if c.p.Models != nil {
		r.Models = append(r.Models, c.p.Models()...)
	}

	r.Reasons = append(v.failing, v.degraded...)
	switch {
	case len(v.failing) > 0:
		r.Status = wire.HealthFailing
	case len(v.degraded) > 0:
		r.Status = wire.HealthDegraded
	default:
		r.Status = wire.HealthOK
		r.Reasons = []string{}
	}
	return r
}

func (c *Checker) database(ctx context.Context) wire.HealthDatabase {
	d := wire.HealthDatabase{Path: c.p.DatabasePath}
	if c.p.Database == nil {
		d.Error = "no probe"
		return d
	}
	t0 := time.Now() // the probe's duration is measured, not asserted: the real clock is right here
	err := c.p.Database(ctx)
	d.ProbeMS = float64(time.Since(t0).Microseconds()) / 1000
	if err != nil {
		d.Error = err.Error()
		return d
	}
	d.Writable = true
	return d
}

func (c *Checker) disk() wire.HealthDisk {
	d := wire.HealthDisk{Path: c.p.DataDir, DegradedBelowPct: c.o.DiskDegradedPct, FailingBelowPct: c.o.DiskFailingPct}
	if c.p.DataDir == "" {
		d.Error = "no data directory"
		return d
	}
	free, total, err := c.p.DiskUsage(c.p.DataDir)
	if err != nil {
		d.Error = err.Error()
		return d
	}
	d.FreeBytes, d.TotalBytes = free, total
	if total > 0 {
		d.FreePercent = 100 * float64(free) / float64(total)
	}
	return d
}

func (c *Checker) jobs(ctx context.Context) wire.HealthJobs {
	var j wire.HealthJobs
	if c.p.Jobs == nil {
		return j
	}
	stats, err := c.p.Jobs(ctx)
	if err != nil {
		j.Error = err.Error()
		return j
	}
	for _, s := range stats {
		j.Queued += s.Queued
		j.Running += s.Running
		j.Failed += s.Failed
		j.Dead += s.Dead
		j.OldestReadySeconds = max(j.OldestReadySeconds, s.OldestReady.Seconds())
	}
	return j
}

// Statfs returns the free (available to unprivileged users) and total bytes of the file
// system holding path.
func Statfs(path string) (free, total uint64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, 0, fmt.Errorf("statfs %s: %w", path, err)
	}
	bs := uint64(st.Bsize) //nolint:gosec // block sizes are positive
	return st.Bavail * bs, st.Blocks * bs, nil
}

// Healthz answers 200 "ok" while the process runs.
func Healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// ReadyzHandler answers 200 "ready" once every part of ready is up, 503 naming the parts
// still missing before.
func ReadyzHandler(ready *Readiness) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		ok, missing := ready.Ready()
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = fmt.Fprintf(w, "not ready: waiting for %s\n", strings.Join(missing, ", "))
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
}

// Handler serves the report as JSON: 200 when ok or degraded, 503 when failing.
func (c *Checker) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep := c.Check(r.Context())
		status := http.StatusOK
		if rep.Status == wire.HealthFailing {
			status = http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_ = writeIndented(w, rep)
	})
}

func writeIndented(w http.ResponseWriter, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Mux serves /healthz, /readyz and /health, and metrics at /metrics when it is not nil:
// the metrics listener's handler. Other paths answer 404.
func (c *Checker) Mux(metrics http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+wire.PathHealthz, Healthz)
	mux.Handle("GET "+wire.PathReadyz, ReadyzHandler(c.ready))
	mux.Handle("GET "+wire.PathHealthReport, c.Handler())
	if metrics != nil {
		mux.Handle("GET "+wire.PathMetrics, metrics)
	}
	return mux
}
