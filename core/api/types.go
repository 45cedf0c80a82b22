package api

import (
	"encoding/json"
	"net/url"
	"strconv"
	"time"
)

// Machine states reported in Live.State.
const (
	StateLearning   = "learning"
	StateMonitoring = "monitoring"
	StateAnomaly    = "anomaly"
)

// Sensor states reported in Sensor.State and Live.Sensor.
const (
	SensorOK           = "ok"
	SensorSilent       = "silent"
	SensorClipping     = "clipping"
	SensorOffset       = "offset" // a DC offset: the signal sits far from zero
	SensorStuck        = "stuck"
	SensorLost         = "lost"
	SensorReconnecting = "reconnecting"
	SensorEnded        = "ended" // a replayed recording has finished
)

// Model states reported in Model.State.
const (
	ModelActive    = "active"    // the model scoring the machine now
	ModelRetired   = "retired"   // an earlier version, kept for rollback
	ModelLearning  = "learning"  // being learned (version 0, not stored yet)
	ModelCandidate = "candidate" // trained, not (yet) promoted; never scored the machine
)

// Model registry stages reported in Model.Stage. The champion is the active model.
const (
	StageCandidate = "candidate"
	StageChampion  = "champion"
	StageRetired   = "retired"
)

// LabelFalseAlarm is the event label for an alarm that was not a fault.
// Other labels name the fault type (FaultLabels).
const LabelFalseAlarm = "false_alarm"

// FaultLabels are the fault types clients offer when labelling an event: the taxonomy the
// learning loop's datasets use (core/dataset.Faults, per machine kind FaultsFor). The server
// accepts any label of lowercase letters, digits, '_', '.' and '-' so sites can add their own
// (and labels of earlier versions, such as "bearing", stay valid).
var FaultLabels = []string{"bearing_outer_race", "bearing_inner_race", "bearing_ball", "imbalance",
	"misalignment", "looseness", "cavitation", "leak", "belt", "electrical", "other"}

// Health is GET /api/v1/health.
type Health struct {
	Status     string    `json:"status"`          // "ok"
	APIVersion string    `json:"api_version"`     // Version
	Build      string    `json:"build,omitempty"` // the appliance's software version
	Time       time.Time `json:"time"`            // the appliance's clock
	StartedAt  time.Time `json:"started_at"`
	Machines   int       `json:"machines"`
	// Report is the appliance's detailed health (database, sensors, replication, disk, jobs,
	// notifications, models), when the appliance provides it.
	Report *HealthReport `json:"report,omitempty"`
}

// Identity is GET /api/v1/me: who the appliance takes the caller for.
type Identity struct {
	Actor string `json:"actor"` // token name, or "local:<user>" over the unix socket
	Role  Role   `json:"role"`
}

// Machine is one monitored machine's configuration.
type Machine struct {
	ID        string        `json:"id"`
	Name      string        `json:"name"`
	Kind      string        `json:"kind"` // fan, pump, valve, motor, bearing, ...
	Line      string        `json:"line"` // production line, for grouping
	Sensor    SensorBinding `json:"sensor"`
	Detection Detection     `json:"detection"`
	// Diagnosis is the machine's fault classifier setting; nil when it has none. A PUT
	// without it keeps the current one.
	Diagnosis *MachineDiagnosis `json:"diagnosis,omitempty"`
}

// MachineDiagnosis configures a machine's fault classifier (docs/MODELS.md): the shaft speed
// its fault frequencies are orders of, and the classifier the learning loop trains.
type MachineDiagnosis struct {
	ShaftRPM float64 `json:"shaft_rpm"`       // 0 turns the classifier off
	Model    string  `json:"model,omitempty"` // svm, rf, rf+svm ["svm"]
	// Bearing is the monitored bearing's defect frequencies in orders of the shaft speed;
	// absent: an SKF 6205.
	Bearing *BearingOrders `json:"bearing,omitempty"`
}

// BearingOrders are a bearing's defect frequencies in orders of the shaft speed.
type BearingOrders struct {
	BPFO float64 `json:"bpfo"`
	BPFI float64 `json:"bpfi"`
	BSF  float64 `json:"bsf"`
	FTF  float64 `json:"ftf"`
}

// Paths of a Machine's fields as FieldError.Field names them, so forms can put each error
// under its field.
const (
	FieldName          = "name"
	FieldSensorSource  = "sensor.source"
	FieldSensorChannel = "sensor.channel"
	FieldLearning      = "detection.learning"
	FieldModel         = "detection.model"
	FieldQuantile      = "detection.quantile"
	FieldSmoothing     = "detection.smoothing"
	FieldWindow        = "detection.window"
	FieldHop           = "detection.hop"
	FieldPooling       = "detection.pooling"
	FieldPersistence   = "detection.persistence"
	FieldShaftRPM      = "diagnosis.shaft_rpm"
	FieldDiagnosis     = "diagnosis.model"
)

// SensorBinding ties a machine to one channel of a configured source.
type SensorBinding struct {
	Source  string `json:"source"`
	Channel int    `json:"channel"` // 0-based
}

// Detection configures a machine's normal model and how it is listened to. Window, hop,
// pooling and persistence left empty take the defaults of the machine's kind.
type Detection struct {
	Model     string  `json:"model"`     // mahalanobis, gmm, knn
	Learning  string  `json:"learning"`  // Go duration: how long to learn normal sound, e.g. "10m0s"
	Quantile  float64 `json:"quantile"`  // threshold quantile of the learning scores, [0.5, 1)
	Smoothing int     `json:"smoothing"` // windows in the score smoother (1: none)
	// Window is the analysis window (Go duration, e.g. "10s"); Hop the distance between
	// windows; Pooling the statistics of a window's frames (max, mean, std, min, delta);
	// Persistence how long a sound must stay anomalous to open an event.
	Window      string   `json:"window,omitempty"`
	Hop         string   `json:"hop,omitempty"`
	Pooling     []string `json:"pooling,omitempty"`
	Persistence string   `json:"persistence,omitempty"`
}

// Sensor is one capture channel and its health.
type Sensor struct {
	ID         string    `json:"id"` // "<source>/<channel>"
	MachineID  string    `json:"machine_id"`
	Device     string    `json:"device"`
	Channel    int       `json:"channel"`
	SampleRate int       `json:"sample_rate"`
	State      string    `json:"state"` // SensorOK, SensorSilent, ...
	StateSince time.Time `json:"state_since"`
	Detail     string    `json:"detail"`
	Overruns   uint64    `json:"overruns"`   // blocks lost because analysis fell behind
	Reconnects uint64    `json:"reconnects"` // device losses recovered from
}

// Device is a capture device the appliance can open.
type Device struct {
	Name              string  `json:"name"` // exact name for a source's device
	HostAPI           string  `json:"host_api"`
	MaxInputChannels  int     `json:"max_input_channels"`
	DefaultSampleRate float64 `json:"default_sample_rate"`
	SupportedRates    []int   `json:"supported_rates"`
}

// Live is one machine's state at one moment: what the live stream carries
// several times a second.
type Live struct {
	MachineID string    `json:"machine_id"`
	Time      time.Time `json:"time"`
	State     string    `json:"state"`    // StateLearning, StateMonitoring, StateAnomaly
	Progress  float64   `json:"progress"` // learning progress 0..1 (1 once monitoring)
	Sensor    string    `json:"sensor"`   // sensor state
	LevelDBFS float64   `json:"level_dbfs"`
	Score     float64   `json:"score"`
	Smoothed  float64   `json:"smoothed"`
	Threshold float64   `json:"threshold"` // 0 while learning
	// Spectrum is the level in dB of ~64 log-spaced bands from
	// SpectrumFMinHz to SpectrumFMaxHz.
	Spectrum       []float32 `json:"spectrum"`
	SpectrumFMinHz float64   `json:"spectrum_fmin_hz,omitempty"`
	SpectrumFMaxHz float64   `json:"spectrum_fmax_hz,omitempty"`
	// OpenEvent is the id of the machine's open event, 0 if none.
	OpenEvent int64 `json:"open_event,omitempty"`
	// SampleArrived is when the last sample of the newest scored window reached the
	// appliance: a client's receive time minus it is the end-to-end latency of the score.
	SampleArrived time.Time `json:"sample_arrived,omitzero"`
	// Seq numbers the updates of one appliance across all machines; it
	// increases strictly, also across restarts, and is the SSE event id.
	Seq uint64 `json:"seq"`
}

// ScorePoint is one analysis window of a machine's history, so a client can draw the score
// chart at once instead of waiting for the live stream to fill it.
type ScorePoint struct {
	Time      time.Time `json:"time"`
	State     string    `json:"state"` // learning, monitoring
	Score     float64   `json:"score"`
	Smoothed  float64   `json:"smoothed"`
	Threshold float64   `json:"threshold"`
	Anomalous bool      `json:"anomalous"`
	LevelDBFS float64   `json:"level_dbfs"`
}

// ScoreFilter selects score history: [From, To), and only the latest Limit points if set.
type ScoreFilter struct {
	From, To time.Time
	Limit    int
}

// Query encodes the filter as URL parameters.
func (f ScoreFilter) Query() url.Values {
	q := url.Values{}
	if !f.From.IsZero() {
		q.Set("from", f.From.UTC().Format(time.RFC3339Nano))
	}
	if !f.To.IsZero() {
		q.Set("to", f.To.UTC().Format(time.RFC3339Nano))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	return q
}

// Event is a period during which a machine was judged anomalous.
type Event struct {
	ID             int64           `json:"id"`
	MachineID      string          `json:"machine_id"`
	Kind           string          `json:"kind"` // "anomaly"
	Start          time.Time       `json:"start"`
	End            *time.Time      `json:"end"` // null while open
	PeakScore      float64         `json:"peak_score"`
	Threshold      float64         `json:"threshold"`
	Snapshot       json.RawMessage `json:"snapshot,omitempty"` // context captured when it opened
	AcknowledgedBy string          `json:"acknowledged_by,omitempty"`
	AcknowledgedAt *time.Time      `json:"acknowledged_at"`
	AckComment     string          `json:"ack_comment,omitempty"`
	Label          string          `json:"label,omitempty"` // fault type or LabelFalseAlarm
	// Diagnosis is what the machine's fault classifier said the event was; null when the
	// machine has no diagnosis model.
	Diagnosis *Diagnosis `json:"diagnosis"`
	// Cause is "plant" when the cross-sensor correlation judged the event part of a
	// plant-wide disturbance (a common cause); HeardFrom names the machine whose fault this
	// machine's microphone heard. Both are empty otherwise.
	Cause     string `json:"cause,omitempty"`
	HeardFrom string `json:"heard_from,omitempty"`
}

// DiagnosisUnknown is a Diagnosis label: the classifier was not confident enough.
const DiagnosisUnknown = "unknown"

// Diagnosis is a fault classifier's verdict on an event ("outer-race bearing fault, 87 %").
type Diagnosis struct {
	Label      string             `json:"label"`      // a fault type (FaultLabels), "normal" or DiagnosisUnknown
	Confidence float64            `json:"confidence"` // 0–1
	Probs      map[string]float64 `json:"probs"`      // every class's probability
	Model      string             `json:"model"`      // which model judged, e.g. "rf+svm v3"
}

// Open reports whether the event has not ended.
func (e Event) Open() bool { return e.End == nil }

// EventFilter selects events for GET /api/v1/events. Zero fields do not filter.
type EventFilter struct {
	Machine        string
	Kind           string
	From, To       time.Time // events overlapping [From, To)
	Open           bool      // only open events
	Unacknowledged bool      // only unacknowledged events
	Limit          int       // newest first; 0: the server's default (100)
}

// AcknowledgeRequest is the body of POST /api/v1/events/{id}/acknowledge.
type AcknowledgeRequest struct {
	Comment string `json:"comment"`
}

// LabelRequest is the body of POST /api/v1/events/{id}/label. An empty label
// clears it.
type LabelRequest struct {
	Label string `json:"label"`
}

// Model is one learned model version of a machine and its registry record.
type Model struct {
	MachineID string `json:"machine_id"`
	Version   int64  `json:"version"` // 1, 2, ...; 0 for the model being learned
	// Task is TaskDetect for a normal model, TaskDiagnose for a fault classifier; each has
	// its own champion.
	Task      string    `json:"task"`
	Kind      string    `json:"kind"`
	CreatedAt time.Time `json:"created_at"`
	Threshold float64   `json:"threshold"`
	Active    bool      `json:"active"`
	Note      string    `json:"note"`
	State     string    `json:"state"` // ModelActive, ModelRetired, ModelCandidate, ModelLearning

	Stage       string          `json:"stage"`        // StageCandidate, StageChampion, StageRetired; "" while learning
	Dataset     string          `json:"dataset"`      // dataset version id it was trained on, "" when none
	CodeVersion string          `json:"code_version"` // software version that trained it
	Params      json.RawMessage `json:"params,omitempty"`
	Metrics     *ModelMetrics   `json:"metrics"` // null until evaluated
	Reason      string          `json:"reason"`  // why it was (not) promoted, or rolled back
	// TrainedSeconds is the training wall time, 0 when unknown.
	TrainedSeconds float64    `json:"trained_seconds"`
	PromotedAt     *time.Time `json:"promoted_at"` // when it last became champion; null if never
	// RolledBackAt is when a rollback retired it (a later rollback does not return to it).
	RolledBackAt *time.Time `json:"rolled_back_at,omitempty"`
}

// ModelMetrics is a model's evaluation on the held-back test items of a dataset version.
type ModelMetrics struct {
	TestDataset        string   `json:"test_dataset"`          // dataset version whose Test items were used
	NormalHours        float64  `json:"normal_hours"`          // normal test audio scored
	FalseAlarms        int      `json:"false_alarms"`          // events opened on it
	FalseAlarmsPerHour float64  `json:"false_alarms_per_hour"` // FalseAlarms / NormalHours
	Faults             int      `json:"faults"`                // labelled fault test items
	Detected           int      `json:"detected"`              // of them, with an event
	Recall             *float64 `json:"recall,omitempty"`      // Detected / Faults; absent when Faults == 0

	// Fault classifiers only: the held-back items' windows.
	Windows   int      `json:"windows,omitempty"`   // windows classified
	Accuracy  *float64 `json:"accuracy,omitempty"`  // share classified right ("unknown" is wrong)
	MacroF1   *float64 `json:"macro_f1,omitempty"`  // mean F1 over the labels
	Unknown   int      `json:"unknown,omitempty"`   // windows answered "unknown"
	Classes   []string `json:"classes,omitempty"`   // labels of Confusion's rows and first columns
	Confusion [][]int  `json:"confusion,omitempty"` // [true][predicted], the last column "unknown"
}

// Model tasks (Model.Task, ModelChangeRequest.Task).
const (
	TaskDetect   = "detect"   // a normal model: scores the sound
	TaskDiagnose = "diagnose" // a fault classifier: names an anomaly event's fault
)

// ModelChangeRequest is the body of POST /api/v1/machines/{id}/models/{version}/promote and
// POST /api/v1/machines/{id}/models/rollback: why, for the model's record and the audit log.
type ModelChangeRequest struct {
	Reason string `json:"reason"`
	// Task is which champion a rollback walks back: TaskDetect (the default) or TaskDiagnose.
	// A promotion takes the model's own task and ignores it.
	Task string `json:"task,omitempty"`
}

// RelearnRequest is the body of POST /api/v1/machines/{id}/relearn.
type RelearnRequest struct {
	Note string `json:"note,omitempty"` // kept with the new model, e.g. "new bearing fitted"
}

// Token is an API token as listed; its secret is never shown again after
// creation.
type Token struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Role       Role       `json:"role"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	ExpiresAt  *time.Time `json:"expires_at"` // null: never
}

// CreateTokenRequest is the body of POST /api/v1/tokens.
type CreateTokenRequest struct {
	Name      string     `json:"name"`
	Role      Role       `json:"role"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// CreatedToken answers POST /api/v1/tokens: the token and its secret, which
// goes in "Authorization: Bearer <secret>".
type CreatedToken struct {
	Token  Token  `json:"token"`
	Secret string `json:"secret"` // "sc_..." — store it now; it cannot be shown again
}

// AuditEntry records one change made through the API or the token command.
type AuditEntry struct {
	ID     int64     `json:"id"`
	Time   time.Time `json:"time"`
	Actor  string    `json:"actor"`  // token name, or "local:<user>"
	Action string    `json:"action"` // e.g. "event.acknowledge", "token.create"
	Target string    `json:"target"` // e.g. "event/42", "machine/pump-1"
	Detail string    `json:"detail"` // human-readable, or JSON
}

// AuditFilter selects audit entries for GET /api/v1/audit.
type AuditFilter struct {
	Actor  string
	Action string
	Target string
	Before int64 // entries with id below Before (paging); 0: from the newest
	Limit  int   // 0: the server's default (100)
}
