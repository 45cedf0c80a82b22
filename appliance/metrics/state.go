package metrics

import (
	"context"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"signalcraft/core/alert"
	wire "signalcraft/core/api"
	"signalcraft/core/jobs"
	"signalcraft/core/store"
)

// MachineStats is one machine's state at scrape time.
type MachineStats struct {
	Machine      string
	State        string  // learning, monitoring, anomaly
	Progress     float64 // learning progress, 0..1
	Score        float64 // smoothed anomaly score
	Threshold    float64 // 0 while learning
	ModelVersion int64   // active model version, 0 while learning
	Events       uint64  // anomaly events opened since the machine's analysis started
}

// SensorStats is one sensor channel's state and counters at scrape time.
type SensorStats struct {
	Sensor   string // source/channel
	Machine  string
	State    string // ok, silent, clipping, stuck, lost, reconnecting, ended
	Captured uint64 // sample frames handed to the analysis since it started
	Dropped  uint64 // sample frames overwritten in the ring before they were analysed
}

// CaptureStats is one capture device's counters at scrape time.
type CaptureStats struct {
	Source     string
	Overflows  uint64 // reads that reported an input overflow (frames lost in the driver)
	Reconnects uint64
}

// Sources are the daemon's state readers the collector calls at scrape time. Nil funcs
// export nothing for their part.
type Sources struct {
	Machines     func() []MachineStats
	Sensors      func() []SensorStats
	Captures     func() []CaptureStats
	Alerts       func() []alert.Alert
	AlertDropped func() uint64 // observations the alert engine dropped when its queue was full
	Jobs         func(ctx context.Context) ([]jobs.KindStats, error)
	Store        func() store.BatcherStats
	Unsaved      func() Unsaved // what waits in memory for the database to be writable
	Health       func(ctx context.Context) wire.HealthReport
}

// Unsaved is what the daemon holds in memory because the database cannot be written (a
// full disk): written once it can, the oldest dropped beyond a bound. Scores are in
// store.BatcherStats.
type Unsaved struct {
	Events               int    // anomaly events (opened, peak raised or closed) not yet written
	EventsDropped        uint64 // held events dropped, oldest first
	Notifications        int    // notifications (with the alert state) not yet in the job queue
	NotificationsDropped uint64 // held notifications dropped, oldest first
}

// ScrapeTimeout bounds the queries one scrape makes (job queue, health probes).
const ScrapeTimeout = 5 * time.Second

// Known label values exported even at zero, so dashboards and alerts see every series.
var (
	MachineStates = []string{wire.StateLearning, wire.StateMonitoring, wire.StateAnomaly}
	SensorStates  = []string{wire.SensorOK, wire.SensorSilent, wire.SensorClipping, wire.SensorOffset, wire.SensorStuck,
		wire.SensorLost, wire.SensorReconnecting, wire.SensorEnded}
	AlertStates     = []string{string(alert.StatusPending), string(alert.StatusFiring), string(alert.StatusResolved)}
	AlertSeverities = []string{string(alert.SeverityWarning), string(alert.SeverityCritical)}
	JobStates       = []string{string(jobs.StateQueued), string(jobs.StateRunning), string(jobs.StateFailed),
		string(jobs.StateDead), string(jobs.StateDone), string(jobs.StateCancelled)}
	HealthStates = []string{wire.HealthOK, wire.HealthDegraded, wire.HealthFailing}
)

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(Namespace+"_"+name, help, labels, nil)
}

var (
	framesCapturedDesc = desc("sensor_frames_captured_total", "Sample frames a sensor channel handed to its machine's analysis.", "machine", "sensor")
	framesDroppedDesc  = desc("sensor_frames_dropped_total", "Sample frames overwritten in a sensor's ring buffer before the analysis read them (overruns).", "machine", "sensor")
	sensorStateDesc    = desc("sensor_state", "1 for a sensor's current state (ok, silent, clipping, stuck, lost, reconnecting, ended), 0 for the others.", "machine", "sensor", "state")
	overflowsDesc      = desc("capture_overflows_total", "Capture device reads that reported an input overflow (frames lost before the appliance saw them).", "source")
	reconnectsDesc     = desc("capture_reconnects_total", "Times a capture device was opened again after it was lost.", "source")
	scoreDesc          = desc("machine_score", "A machine's smoothed anomaly score of the latest window.", "machine")
	thresholdDesc      = desc("machine_threshold", "A machine's anomaly threshold (0 while learning).", "machine")
	machineStateDesc   = desc("machine_state", "1 for a machine's current state (learning, monitoring, anomaly), 0 for the others.", "machine", "state")
	progressDesc       = desc("machine_learning_progress_ratio", "How much of its learning period a machine has heard, 0 to 1.", "machine")
	modelVersionDesc   = desc("machine_model_version", "Version of a machine's active model (0 while learning).", "machine")
	eventsDesc         = desc("anomaly_events_total", "Anomaly events opened for a machine since its analysis started.", "machine")
	alertsDesc         = desc("alerts", "Alerts the alert engine holds, by state (pending, firing, resolved) and severity.", "state", "severity")
	alertDroppedDesc   = desc("alert_observations_dropped_total", "Observations the alert engine dropped because its queue was full.")
	jobsDesc           = desc("jobs", "Jobs in the durable queue by kind and state (queued, running, failed, dead, done, cancelled).", "kind", "state")
	jobsOldestDesc     = desc("jobs_oldest_ready_seconds", "How long the longest-waiting due job of a kind has waited.", "kind")
	storeCommitted     = desc("store_rows_committed_total", "Score rows committed to the database.")
	storeDropped       = desc("store_rows_dropped_total", "Score rows discarded (pending overflow or a batch rejected as invalid).")
	storeFailures      = desc("store_commit_failures_total", "Failed score batch commits.")
	storePending       = desc("store_pending_rows", "Score rows waiting to be committed.")
	unsavedEvents      = desc("unsaved_events", "Anomaly events held in memory because the database could not be written; written once it can.")
	unsavedEventsDrop  = desc("unsaved_events_dropped_total", "Held anomaly events dropped, oldest first, because the database could not be written for too long.")
	unsavedNotes       = desc("unsaved_notifications", "Notifications held in memory (with the alert state) because the database could not be written; queued once it can.")
	unsavedNotesDrop   = desc("unsaved_notifications_dropped_total", "Held notifications dropped, oldest first, because the database could not be written for too long.")
	healthDesc         = desc("health_status", "1 for the appliance's overall health (ok, degraded, failing), 0 for the others.", "status")
	readyDesc          = desc("ready", "1 once the database is open, the sources started and the API listens.")
	dbWritableDesc     = desc("database_writable", "1 when the latest write probe on the database succeeded.")
	diskFreeDesc       = desc("disk_free_bytes", "Free bytes (for unprivileged users) on the file system holding data_dir.", "path")
	diskSizeDesc       = desc("disk_size_bytes", "Size in bytes of the file system holding data_dir.", "path")
	clipsBytesDesc     = desc("clips_bytes", "Bytes taken by the saved audio clips.")
	clipsCountDesc     = desc("clips", "Saved audio clips.")
	clipsQuotaDesc     = desc("clips_quota_bytes", "Size the audio clips are pruned to (clips.quota).")
	clipsLimitDesc     = desc("clips_hard_limit_bytes", "Size above which no new audio clip is saved (clips.hard_limit).")
	clipsSavingDesc    = desc("clips_saving", "1 while new audio clips are saved, 0 while they are refused (hard limit or free space).")
	clipsSavedDesc     = desc("clips_saved_total", "Audio clips saved since the daemon started.")
	clipsRefusedDesc   = desc("clips_refused_total", "Audio clips not saved because of the hard limit or the free-space floor.")
)

// stateCollector reads the daemon's state at scrape time.
type stateCollector struct {
	s Sources
}

// Watch registers a collector that reads s at every scrape.
func (m *Metrics) Watch(s Sources) error {
	if m == nil {
		return nil
	}
	return m.Registry.Register(&stateCollector{s: s})
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{framesCapturedDesc, framesDroppedDesc, sensorStateDesc, overflowsDesc,
		reconnectsDesc, scoreDesc, thresholdDesc, machineStateDesc, progressDesc, modelVersionDesc, eventsDesc,
		alertsDesc, alertDroppedDesc, jobsDesc, jobsOldestDesc, storeCommitted, storeDropped, storeFailures,
		storePending, unsavedEvents, unsavedEventsDrop, unsavedNotes, unsavedNotesDrop, healthDesc, readyDesc, dbWritableDesc, diskFreeDesc, diskSizeDesc, clipsBytesDesc, clipsCountDesc,
		clipsQuotaDesc, clipsLimitDesc, clipsSavingDesc, clipsSavedDesc, clipsRefusedDesc} {
		ch <- d
	}
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), ScrapeTimeout)
	defer cancel()
	if c.s.Sensors != nil {
		for _, s := range c.s.Sensors() {
			counter(ch, framesCapturedDesc, float64(s.Captured), s.Machine, s.Sensor)
			counter(ch, framesDroppedDesc, float64(s.Dropped), s.Machine, s.Sensor)
			for _, st := range SensorStates {
				gauge(ch, sensorStateDesc, b2f(st == s.State), s.Machine, s.Sensor, st)
			}
		}
	}
	if c.s.Captures != nil {
		for _, s := range c.s.Captures() {
			counter(ch, overflowsDesc, float64(s.Overflows), s.Source)
			counter(ch, reconnectsDesc, float64(s.Reconnects), s.Source)
		}
	}
	if c.s.Machines != nil {
		for _, m := range c.s.Machines() {
			gauge(ch, scoreDesc, m.Score, m.Machine)
			gauge(ch, thresholdDesc, m.Threshold, m.Machine)
			for _, st := range MachineStates {
				gauge(ch, machineStateDesc, b2f(st == m.State), m.Machine, st)
			}
			gauge(ch, progressDesc, m.Progress, m.Machine)
			gauge(ch, modelVersionDesc, float64(m.ModelVersion), m.Machine)
			counter(ch, eventsDesc, float64(m.Events), m.Machine)
		}
	}
	if c.s.Alerts != nil {
		c.collectAlerts(ch)
	}
	if c.s.AlertDropped != nil {
		counter(ch, alertDroppedDesc, float64(c.s.AlertDropped()))
	}
	if c.s.Jobs != nil {
		c.collectJobs(ctx, ch)
	}
	if c.s.Store != nil {
		st := c.s.Store()
		counter(ch, storeCommitted, float64(st.Committed))
		counter(ch, storeDropped, float64(st.Dropped))
		counter(ch, storeFailures, float64(st.Failures))
		gauge(ch, storePending, float64(st.Pending))
	}
	if c.s.Unsaved != nil {
		u := c.s.Unsaved()
		gauge(ch, unsavedEvents, float64(u.Events))
		counter(ch, unsavedEventsDrop, float64(u.EventsDropped))
		gauge(ch, unsavedNotes, float64(u.Notifications))
		counter(ch, unsavedNotesDrop, float64(u.NotificationsDropped))
	}
	if c.s.Health != nil {
		h := c.s.Health(ctx)
		for _, st := range HealthStates {
			gauge(ch, healthDesc, b2f(st == h.Status), st)
		}
		gauge(ch, readyDesc, b2f(h.Ready))
		gauge(ch, dbWritableDesc, b2f(h.Database.Writable))
		if h.Disk.Error == "" && h.Disk.Path != "" {
			gauge(ch, diskFreeDesc, float64(h.Disk.FreeBytes), h.Disk.Path)
			gauge(ch, diskSizeDesc, float64(h.Disk.TotalBytes), h.Disk.Path)
		}
		if cl := h.Disk.Clips; cl != nil {
			gauge(ch, clipsBytesDesc, float64(cl.Bytes))
			gauge(ch, clipsCountDesc, float64(cl.Count))
			gauge(ch, clipsQuotaDesc, float64(cl.QuotaBytes))
			gauge(ch, clipsLimitDesc, float64(cl.HardLimitBytes))
			gauge(ch, clipsSavingDesc, b2f(cl.Saving))
			counter(ch, clipsSavedDesc, float64(cl.Saved))
			counter(ch, clipsRefusedDesc, float64(cl.Refused))
		}
	}
}

func (c *stateCollector) collectAlerts(ch chan<- prometheus.Metric) {
	type key struct{ state, severity string }
	n := map[key]int{}
	sevs := slices.Clone(AlertSeverities)
	for _, a := range c.s.Alerts() {
		sev := a.Labels["severity"]
		if !slices.Contains(sevs, sev) {
			sevs = append(sevs, sev)
		}
		n[key{string(a.Status), sev}]++
	}
	for _, st := range AlertStates {
		for _, sev := range sevs {
			gauge(ch, alertsDesc, float64(n[key{st, sev}]), st, sev)
		}
	}
}

func (c *stateCollector) collectJobs(ctx context.Context, ch chan<- prometheus.Metric) {
	stats, err := c.s.Jobs(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(jobsDesc, err)
		return
	}
	for _, s := range stats {
		counts := []int64{s.Queued, s.Running, s.Failed, s.Dead, s.Done, s.Cancelled}
		for i, st := range JobStates {
			gauge(ch, jobsDesc, float64(counts[i]), s.Kind, st)
		}
		gauge(ch, jobsOldestDesc, s.OldestReady.Seconds(), s.Kind)
	}
}
