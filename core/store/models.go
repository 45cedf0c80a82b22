package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Model stages: a model is trained as a candidate (or saved straight as the
// champion by learning, retuning and adaptation), becomes the champion when
// promoted, and retired when another takes its place.
const (
	StageCandidate = "candidate"
	StageChampion  = "champion"
	StageRetired   = "retired"
)

// Model tasks: a normal model that scores a machine's sound, and a fault classifier
// (core/diagnose) that names the fault of its anomaly events. Each task of a machine has its
// own champion, candidates and rollback history; versions are one series per machine.
const (
	TaskDetect   = "detect"
	TaskDiagnose = "diagnose"
)

// checkTask returns the task with the default applied, or ErrInvalid.
func checkTask(task string) (string, error) {
	switch task {
	case "":
		return TaskDetect, nil
	case TaskDetect, TaskDiagnose:
		return task, nil
	}
	return "", fmt.Errorf("task %q (want %s or %s): %w", task, TaskDetect, TaskDiagnose, ErrInvalid)
}

// Model is a fitted model of a machine — a normal model serialised by core/detect (Task
// TaskDetect) or a fault classifier serialised by core/diagnose (TaskDiagnose) — and its
// registry record. Active is true exactly when Stage is StageChampion: the store keeps the
// two together, per task.
type Model struct {
	MachineID string
	Version   int64 // 1, 2, ... per machine, never reused
	Task      string
	Kind      string
	CreatedAt time.Time
	// Threshold is a normal model's alarm threshold, a fault classifier's confidence below
	// which it answers "unknown".
	Threshold float64
	Blob      []byte // nil in the list returned by Models
	Active    bool
	Note      string

	Stage       string          // StageCandidate, StageChampion, StageRetired
	Dataset     string          // dataset version id it was trained on, "" when none
	Params      json.RawMessage // model kind parameters and feature config (JSON), nil when unknown
	CodeVersion string          // the software version that trained it
	Metrics     *ModelMetrics   // nil until evaluated
	Reason      string          // why it was (not) promoted or was rolled back
	TrainedFor  time.Duration   // training wall time, 0 when unknown
	PromotedAt  *time.Time      // when it last became champion; nil if never
	// RolledBackAt is when a rollback took it off the champion history (nil
	// if none since its last promotion): Rollback does not return to it.
	RolledBackAt *time.Time
	TrainKey     string // idempotency key of the train job that made it, "" when none
}

// ModelMetrics is a model's evaluation on the held-back test items of a
// dataset version: a normal model's false alarms and faults found, a fault
// classifier's accuracy over the items' windows.
type ModelMetrics struct {
	TestDataset        string   `json:"test_dataset"`          // dataset version whose Test items were used
	NormalHours        float64  `json:"normal_hours"`          // normal test audio scored
	FalseAlarms        int      `json:"false_alarms"`          // events opened on it
	FalseAlarmsPerHour float64  `json:"false_alarms_per_hour"` // FalseAlarms / NormalHours
	Faults             int      `json:"faults"`                // labelled fault test items
	Detected           int      `json:"detected"`              // of them, with an event
	Recall             *float64 `json:"recall,omitempty"`      // Detected / Faults; nil when Faults == 0

	// Fault classifiers (TaskDiagnose) only.
	Windows   int      `json:"windows,omitempty"`   // held-back windows classified
	Accuracy  *float64 `json:"accuracy,omitempty"`  // share classified right ("unknown" is wrong)
	MacroF1   *float64 `json:"macro_f1,omitempty"`  // mean F1 over the labels
	Unknown   int      `json:"unknown,omitempty"`   // windows answered "unknown"
	Classes   []string `json:"classes,omitempty"`   // labels of Confusion's rows and first columns
	Confusion [][]int  `json:"confusion,omitempty"` // [true][predicted], the last column "unknown"
}

// ModelInfo is what a model records about its training, besides the model.
type ModelInfo struct {
	Task        string // TaskDetect ("" too) or TaskDiagnose
	Dataset     string
	CodeVersion string
	Params      json.RawMessage // JSON or nil
	Metrics     *ModelMetrics
	TrainedFor  time.Duration
}

func (in ModelInfo) validate() error {
	if len(in.Params) > 0 && !json.Valid(in.Params) {
		return fmt.Errorf("params are not JSON: %w", ErrInvalid)
	}
	if in.TrainedFor < 0 {
		return fmt.Errorf("negative training time %v: %w", in.TrainedFor, ErrInvalid)
	}
	if m := in.Metrics; m != nil {
		if !finite(m.NormalHours) || !finite(m.FalseAlarmsPerHour) || !finitePtr(m.Recall) || !finitePtr(m.Accuracy) || !finitePtr(m.MacroF1) {
			return fmt.Errorf("metrics not finite: %w", ErrInvalid)
		}
	}
	return nil
}

func finitePtr(v *float64) bool { return v == nil || finite(*v) }

func metricsText(m *ModelMetrics) (string, error) {
	if m == nil {
		return "", nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// SaveModel stores a new normal model version for machineID as its champion
// (the active model; the previous champion is retired) and returns its version.
// Learning, retuning and adaptation save their models this way; a trained
// challenger goes through SaveCandidate and Promote instead. The machine must
// exist (ErrNotFound).
func (db *DB) SaveModel(ctx context.Context, machineID, kind string, threshold float64, blob []byte, note string) (int64, error) {
	return db.SaveModelInfo(ctx, machineID, kind, threshold, blob, note, ModelInfo{})
}

// SaveModelInfo is SaveModel with the model's training record; info.Task
// TaskDiagnose saves a fault classifier as the champion of that task.
func (db *DB) SaveModelInfo(ctx context.Context, machineID, kind string, threshold float64, blob []byte, note string, info ModelInfo) (int64, error) {
	return db.insertModel(ctx, machineID, kind, threshold, blob, note, info, StageChampion, "")
}

// SaveCandidate stores a trained challenger as a candidate: inactive, not
// scoring, until Promote. With a non-empty key (the train job's idempotency
// key), a second call with the same key saves nothing and returns the version
// the first call saved, so a train job that restarts after saving does not
// make a second candidate; a key already used for another machine is
// ErrConflict.
func (db *DB) SaveCandidate(ctx context.Context, machineID, kind string, threshold float64, blob []byte, info ModelInfo, key string) (int64, error) {
	return db.insertModel(ctx, machineID, kind, threshold, blob, "", info, StageCandidate, key)
}

func (db *DB) insertModel(ctx context.Context, machineID, kind string, threshold float64, blob []byte, note string,
	info ModelInfo, stage, key string) (int64, error) {
	wrap := func(err error) error {
		return fmt.Errorf("store: save %s %s model for machine %q: %w", stage, kind, machineID, err)
	}
	switch {
	case machineID == "" || kind == "":
		return 0, wrap(fmt.Errorf("empty machine id or kind: %w", ErrInvalid))
	case !finite(threshold):
		return 0, wrap(fmt.Errorf("threshold %v: %w", threshold, ErrInvalid))
	case blob == nil:
		blob = []byte{}
	}
	if err := info.validate(); err != nil {
		return 0, wrap(err)
	}
	task, err := checkTask(info.Task)
	if err != nil {
		return 0, wrap(err)
	}
	metrics, err := metricsText(info.Metrics)
	if err != nil {
		return 0, wrap(err)
	}
	var version int64
	err = db.Write(ctx, func(tx *sql.Tx) error {
		if key != "" {
			var owner string
			err := tx.QueryRowContext(ctx, "SELECT machine_id, version FROM models WHERE train_key = ?", key).Scan(&owner, &version)
			switch {
			case err == nil && owner != machineID:
				return fmt.Errorf("train key %q belongs to a model of machine %q: %w", key, owner, ErrConflict)
			case err == nil:
				return nil
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) + 1 FROM models WHERE machine_id = ?",
			machineID).Scan(&version); err != nil {
			return err
		}
		now := db.nowMS()
		active := 0
		var promoted any
		if stage == StageChampion {
			if err := retireChampion(ctx, tx, machineID, task); err != nil {
				return err
			}
			active, promoted = 1, now
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO models (machine_id, version, task, kind, created_at_ms, threshold, blob, active, note,
				stage, dataset, params, code_version, metrics, trained_ms, promoted_at_ms, train_key)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			machineID, version, task, kind, now, threshold, blob, active, note,
			stage, info.Dataset, string(info.Params), info.CodeVersion, metrics, info.TrainedFor.Milliseconds(), promoted, nullString(key))
		return err
	})
	if isForeignKey(err) {
		return 0, wrap(fmt.Errorf("machine: %w", ErrNotFound))
	}
	if err != nil {
		return 0, wrap(err)
	}
	return version, nil
}

// retireChampion retires machineID's champion of task, if it has one.
func retireChampion(ctx context.Context, tx *sql.Tx, machineID, task string) error {
	_, err := tx.ExecContext(ctx, "UPDATE models SET active = 0, stage = 'retired' WHERE machine_id = ? AND task = ? AND stage = 'champion'",
		machineID, task)
	return err
}

// crown makes version the champion of machineID for its task, retiring the previous one.
func (db *DB) crown(ctx context.Context, tx *sql.Tx, machineID string, version int64) error {
	_, task, err := modelStage(ctx, tx, machineID, version)
	if err != nil {
		return err
	}
	if err := retireChampion(ctx, tx, machineID, task); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE models SET active = 1, stage = 'champion', promoted_at_ms = ?, rolled_back_at_ms = NULL
		WHERE machine_id = ? AND version = ?`, db.nowMS(), machineID, version)
	return err
}

func modelStage(ctx context.Context, tx *sql.Tx, machineID string, version int64) (stage, task string, err error) {
	err = tx.QueryRowContext(ctx, "SELECT stage, task FROM models WHERE machine_id = ? AND version = ?", machineID, version).
		Scan(&stage, &task)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", ErrNotFound
	}
	return stage, task, err
}

// SetModelMetrics records the evaluation of a model. ErrNotFound for an
// unknown version.
func (db *DB) SetModelMetrics(ctx context.Context, machineID string, version int64, m ModelMetrics) error {
	wrap := func(err error) error {
		return fmt.Errorf("store: set metrics of model %d of machine %q: %w", version, machineID, err)
	}
	if err := (ModelInfo{Metrics: &m}).validate(); err != nil {
		return wrap(err)
	}
	text, err := metricsText(&m)
	if err != nil {
		return wrap(err)
	}
	err = db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE models SET metrics = ? WHERE machine_id = ? AND version = ?", text, machineID, version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return wrap(err)
	}
	return nil
}

// RejectCandidate records why a candidate was not promoted; it stays a
// candidate (an administrator may still promote it). ErrNotFound for an
// unknown version, ErrConflict for a model that is not a candidate.
func (db *DB) RejectCandidate(ctx context.Context, machineID string, version int64, reason string) error {
	err := db.Write(ctx, func(tx *sql.Tx) error {
		stage, _, err := modelStage(ctx, tx, machineID, version)
		if err != nil {
			return err
		}
		if stage != StageCandidate {
			return fmt.Errorf("model is the %s, not a candidate: %w", stage, ErrConflict)
		}
		_, err = tx.ExecContext(ctx, "UPDATE models SET reason = ? WHERE machine_id = ? AND version = ?", reason, machineID, version)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: reject candidate %d of machine %q: %w", version, machineID, err)
	}
	return nil
}

// auditDetail prefixes the detail of each audit entry with the change of
// champion, which the caller of Rollback does not know beforehand:
// "champion 3 → 2: <detail>".
func auditDetail(audit []AuditEntry, from, to int64) []AuditEntry {
	out := make([]AuditEntry, len(audit))
	for i, a := range audit {
		prefix := fmt.Sprintf("champion %d → %d", from, to)
		if from == 0 {
			prefix = fmt.Sprintf("champion none → %d", to)
		}
		if a.Detail != "" {
			prefix += ": " + a.Detail
		}
		a.Detail = prefix
		out[i] = a
	}
	return out
}

func championVersion(ctx context.Context, tx *sql.Tx, machineID, task string) (int64, error) {
	var v int64
	err := tx.QueryRowContext(ctx, "SELECT version FROM models WHERE machine_id = ? AND task = ? AND stage = 'champion'",
		machineID, task).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, err
}

// Promote makes version (a candidate or a retired model) the champion of
// machineID for its task, the active model the running daemon picks up; the
// previous champion of that task is retired. reason is recorded with the model, and the audit
// entries in the same transaction, their Detail prefixed with "champion
// <old> → <new>". ErrNotFound for an unknown version; promoting the
// champion is ErrConflict (nothing changes, nothing is audited).
func (db *DB) Promote(ctx context.Context, machineID string, version int64, reason string, audit ...AuditEntry) error {
	err := db.Write(ctx, func(tx *sql.Tx) error {
		stage, task, err := modelStage(ctx, tx, machineID, version)
		if err != nil {
			return err
		}
		if stage == StageChampion {
			return fmt.Errorf("already the champion: %w", ErrConflict)
		}
		from, err := championVersion(ctx, tx, machineID, task)
		if err != nil {
			return err
		}
		if err := db.crown(ctx, tx, machineID, version); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE models SET reason = ? WHERE machine_id = ? AND version = ?", reason, machineID, version); err != nil {
			return err
		}
		return db.insertAudits(ctx, tx, auditDetail(audit, from, version))
	})
	if err != nil {
		return fmt.Errorf("store: promote model %d of machine %q: %w", version, machineID, err)
	}
	return nil
}

// Rollback re-promotes the champion of task ("" is TaskDetect) before the
// current one: the retired
// model with the latest promoted_at before the current champion's (ties by
// version) that no rollback has taken off the history. The current champion
// is retired with "rolled back: <reason>" as its reason and marked rolled
// back, so calling Rollback again walks further back (3 → 2 → 1) rather
// than returning to it; promoting it explicitly puts it back on the history.
// The re-promoted model's promoted_at becomes now (it is when a model last
// became champion) and its reason is kept.
// It returns the new champion's version, or ErrNotFound when the machine
// has no champion or no earlier one. Audit entries as in Promote.
func (db *DB) Rollback(ctx context.Context, machineID, task, reason string, audit ...AuditEntry) (int64, error) {
	var to int64
	task, err := checkTask(task)
	if err != nil {
		return 0, fmt.Errorf("store: roll back the model of machine %q: %w", machineID, err)
	}
	err = db.Write(ctx, func(tx *sql.Tx) error {
		var from, fromPromoted int64
		err := tx.QueryRowContext(ctx, `SELECT version, COALESCE(promoted_at_ms, created_at_ms) FROM models
			WHERE machine_id = ? AND task = ? AND stage = 'champion'`, machineID, task).Scan(&from, &fromPromoted)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("no champion: %w", ErrNotFound)
		}
		if err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `SELECT version FROM models
			WHERE machine_id = ? AND task = ? AND stage = 'retired' AND promoted_at_ms IS NOT NULL AND rolled_back_at_ms IS NULL
				AND (promoted_at_ms < ? OR (promoted_at_ms = ? AND version < ?))
			ORDER BY promoted_at_ms DESC, version DESC LIMIT 1`, machineID, task, fromPromoted, fromPromoted, from).Scan(&to)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("no earlier champion than version %d: %w", from, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE models SET rolled_back_at_ms = ?, reason = ? WHERE machine_id = ? AND version = ?",
			db.nowMS(), "rolled back: "+reason, machineID, from); err != nil {
			return err
		}
		if err := db.crown(ctx, tx, machineID, to); err != nil {
			return err
		}
		return db.insertAudits(ctx, tx, auditDetail(audit, from, to))
	})
	if err != nil {
		return 0, fmt.Errorf("store: roll back the model of machine %q: %w", machineID, err)
	}
	return to, nil
}

// ActivateModel makes an earlier version the champion of machineID, as
// Promote without a reason or audit entry; a model that is already the
// champion is left as it is. It returns ErrNotFound for an unknown version.
func (db *DB) ActivateModel(ctx context.Context, machineID string, version int64) error {
	err := db.Write(ctx, func(tx *sql.Tx) error {
		stage, _, err := modelStage(ctx, tx, machineID, version)
		if err != nil || stage == StageChampion {
			return err
		}
		return db.crown(ctx, tx, machineID, version)
	})
	if err != nil {
		return fmt.Errorf("store: activate model %d of machine %q: %w", version, machineID, err)
	}
	return nil
}

func scanModel(s interface{ Scan(...any) error }, withBlob bool) (Model, error) {
	var m Model
	var created, trained int64
	var params, metrics string
	var promoted, rolledBack sql.NullInt64
	var key sql.NullString
	dest := []any{&m.MachineID, &m.Version, &m.Task, &m.Kind, &created, &m.Threshold, &m.Active, &m.Note,
		&m.Stage, &m.Dataset, &params, &m.CodeVersion, &metrics, &m.Reason, &trained, &promoted, &rolledBack, &key}
	if withBlob {
		dest = append(dest, &m.Blob)
	}
	if err := s.Scan(dest...); err != nil {
		return Model{}, err
	}
	m.CreatedAt = fromMS(created)
	if withBlob && m.Blob == nil {
		m.Blob = []byte{}
	}
	if params != "" {
		m.Params = json.RawMessage(params)
	}
	if metrics != "" {
		m.Metrics = new(ModelMetrics)
		if err := json.Unmarshal([]byte(metrics), m.Metrics); err != nil {
			return Model{}, fmt.Errorf("metrics of model %d: %w", m.Version, err)
		}
	}
	m.TrainedFor = time.Duration(trained) * time.Millisecond
	if promoted.Valid {
		t := fromMS(promoted.Int64)
		m.PromotedAt = &t
	}
	if rolledBack.Valid {
		t := fromMS(rolledBack.Int64)
		m.RolledBackAt = &t
	}
	m.TrainKey = key.String
	return m, nil
}

const modelCols = "machine_id, version, task, kind, created_at_ms, threshold, active, note, " +
	"stage, dataset, params, code_version, metrics, reason, trained_ms, promoted_at_ms, rolled_back_at_ms, train_key"

// ActiveModel returns the active normal model of machineID with its blob, or
// ErrNotFound if the machine has none.
func (db *DB) ActiveModel(ctx context.Context, machineID string) (Model, error) {
	return db.ActiveModelFor(ctx, machineID, TaskDetect)
}

// ActiveModelFor returns the champion of machineID for task with its blob, or
// ErrNotFound if the machine has none.
func (db *DB) ActiveModelFor(ctx context.Context, machineID, task string) (Model, error) {
	m, err := scanModel(db.r.QueryRowContext(ctx,
		"SELECT "+modelCols+", blob FROM models WHERE machine_id = ? AND task = ? AND active = 1", machineID, task), true)
	if errors.Is(err, sql.ErrNoRows) {
		return Model{}, fmt.Errorf("store: active %s model of machine %q: %w", task, machineID, ErrNotFound)
	}
	if err != nil {
		return Model{}, fmt.Errorf("store: active %s model of machine %q: %w", task, machineID, err)
	}
	return m, nil
}

// Model returns one model version of machineID with its blob, or ErrNotFound.
func (db *DB) Model(ctx context.Context, machineID string, version int64) (Model, error) {
	m, err := scanModel(db.r.QueryRowContext(ctx,
		"SELECT "+modelCols+", blob FROM models WHERE machine_id = ? AND version = ?", machineID, version), true)
	if errors.Is(err, sql.ErrNoRows) {
		return Model{}, fmt.Errorf("store: model %d of machine %q: %w", version, machineID, ErrNotFound)
	}
	if err != nil {
		return Model{}, fmt.Errorf("store: model %d of machine %q: %w", version, machineID, err)
	}
	return m, nil
}

// Models lists the model versions of machineID of every task, newest first,
// without their blobs (use Model or ActiveModel for those).
func (db *DB) Models(ctx context.Context, machineID string) ([]Model, error) {
	rows, err := db.r.QueryContext(ctx,
		"SELECT "+modelCols+" FROM models WHERE machine_id = ? ORDER BY version DESC", machineID)
	if err != nil {
		return nil, fmt.Errorf("store: models of machine %q: %w", machineID, err)
	}
	defer rows.Close()
	var out []Model
	for rows.Next() {
		m, err := scanModel(rows, false)
		if err != nil {
			return nil, fmt.Errorf("store: models of machine %q: %w", machineID, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: models of machine %q: %w", machineID, err)
	}
	return out, nil
}
