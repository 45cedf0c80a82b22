package api

import "time"

// Paths of the health and metrics endpoints. They sit outside Prefix and need no token:
// PathHealthz and PathReadyz are served on the API's listeners and on the metrics
// listener; PathHealthReport and PathMetrics only on the metrics listener (loopback by
// default), since they describe the appliance's insides.
const (
	PathHealthz      = "/healthz" // liveness: 200 while the process runs
	PathReadyz       = "/readyz"  // readiness: 200 once started, 503 before (plain text)
	PathHealthReport = "/health"  // HealthReport as JSON; 503 when failing
	PathMetrics      = "/metrics" // Prometheus text exposition
)

// Overall health states, worst last.
const (
	HealthOK       = "ok"
	HealthDegraded = "degraded" // the appliance works, but something needs attention
	HealthFailing  = "failing"  // it cannot do its job (the database is not writable, the disk is full)
)

// Replication states in HealthReplication.Status.
const (
	ReplicationNotConfigured = "not configured"
	ReplicationOK            = "ok"
	ReplicationLagging       = "lagging"
	ReplicationError         = "error"
)

// HealthReport is the appliance's detailed health (GET /health on the metrics listener).
type HealthReport struct {
	Status string `json:"status"` // HealthOK, HealthDegraded, HealthFailing
	// Reasons say what made Status worse than ok, one line each, worst first.
	Reasons   []string  `json:"reasons"`
	Ready     bool      `json:"ready"`
	Build     string    `json:"build,omitempty"`
	Time      time.Time `json:"time"`
	StartedAt time.Time `json:"started_at"`

	Database         HealthDatabase      `json:"database"`
	Sensors          []HealthSensor      `json:"sensors"`
	Replication      HealthReplication   `json:"replication"`
	Disk             HealthDisk          `json:"disk"`
	Jobs             HealthJobs          `json:"jobs"`
	LastNotification *HealthNotification `json:"last_notification"` // null until the first delivery
	Models           []HealthModel       `json:"models"`
}

// HealthDatabase is the result of a write probe on the SQLite file.
type HealthDatabase struct {
	Path     string  `json:"path"`
	Writable bool    `json:"writable"`
	Error    string  `json:"error,omitempty"`
	ProbeMS  float64 `json:"probe_ms"` // how long the probe took
}

// HealthSensor is one sensor channel's state.
type HealthSensor struct {
	ID        string    `json:"id"`
	MachineID string    `json:"machine_id"`
	State     string    `json:"state"` // Sensor* constants
	Since     time.Time `json:"since"`
	Detail    string    `json:"detail,omitempty"`
}

// HealthReplication is the state of the database's replication. Configured is false and
// Status ReplicationNotConfigured until a replicator reports.
type HealthReplication struct {
	Configured bool   `json:"configured"`
	Status     string `json:"status"`
	// LagSeconds is how far the replica is behind; null when unknown.
	LagSeconds  *float64  `json:"lag_seconds"`
	LastSync    time.Time `json:"last_sync,omitzero"`
	LastError   string    `json:"last_error"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
}

// HealthDisk is the free space of the file system holding the data directory, against the
// limits below which the appliance reports degraded and failing.
type HealthDisk struct {
	Path             string  `json:"path"`
	FreeBytes        uint64  `json:"free_bytes"`
	TotalBytes       uint64  `json:"total_bytes"`
	FreePercent      float64 `json:"free_percent"`
	DegradedBelowPct float64 `json:"degraded_below_percent"`
	FailingBelowPct  float64 `json:"failing_below_percent"`
	Error            string  `json:"error,omitempty"`
	// Clips is the space the audio clips take against their quota; null when the
	// appliance saves no clips.
	Clips *HealthClips `json:"clips,omitempty"`
}

// HealthClips is the audio clips' disk usage. Saving is false while new clips are refused
// (the hard limit is reached or the file system is nearly full); Reason says why.
type HealthClips struct {
	Path           string `json:"path"`
	Count          int64  `json:"count"`
	Bytes          int64  `json:"bytes"`
	QuotaBytes     int64  `json:"quota_bytes"`
	HardLimitBytes int64  `json:"hard_limit_bytes"`
	MinFreeBytes   int64  `json:"min_free_bytes"`
	Saving         bool   `json:"saving"`
	Reason         string `json:"reason,omitempty"`
	Saved          uint64 `json:"saved"`   // since the daemon started
	Refused        uint64 `json:"refused"` // not saved because of the limits, since the daemon started
	Dropped        uint64 `json:"dropped"` // lost to a full write queue or a failed write
}

// HealthJobs is the durable job queue's backlog, all kinds together.
type HealthJobs struct {
	Queued             int64   `json:"queued"`
	Running            int64   `json:"running"`
	Failed             int64   `json:"failed"` // waiting for a retry
	Dead               int64   `json:"dead"`
	OldestReadySeconds float64 `json:"oldest_ready_seconds"` // how long the longest-waiting due job has waited
	Error              string  `json:"error,omitempty"`
}

// HealthNotification is the outcome of the latest notification delivery attempt.
type HealthNotification struct {
	Receiver string    `json:"receiver"`
	OK       bool      `json:"ok"`
	Error    string    `json:"error,omitempty"`
	At       time.Time `json:"at"`
}

// HealthModel is one machine's model state.
type HealthModel struct {
	MachineID string  `json:"machine_id"`
	State     string  `json:"state"`   // StateLearning, StateMonitoring, StateAnomaly
	Version   int64   `json:"version"` // active model version; 0 while learning
	Progress  float64 `json:"progress"`
}
