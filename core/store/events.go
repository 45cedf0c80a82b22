package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// EventAnomaly is the kind of event the detector opens when a machine
// crosses its threshold.
const EventAnomaly = "anomaly"

// Event is a period during which a machine was judged anomalous.
type Event struct {
	ID             int64
	MachineID      string
	Kind           string // EventAnomaly if empty on OpenEvent
	Start          time.Time
	End            time.Time // zero while the event is open
	PeakScore      float64
	Threshold      float64
	Snapshot       json.RawMessage // optional JSON context captured at open (features, levels, ...)
	AcknowledgedBy string          // empty until acknowledged
	AcknowledgedAt time.Time
	Label          string // operator's label, empty if none
	// Diagnosis is what the machine's fault classifier said the event was; nil when the
	// machine has none (or it has not judged the event yet).
	Diagnosis *Diagnosis
}

// Diagnosis is a fault classifier's verdict on an event.
type Diagnosis struct {
	Label      string             `json:"label"`      // a fault type, "normal", or "unknown" below the model's confidence
	Confidence float64            `json:"confidence"` // probability of Label's class (of the best class when unknown)
	Probs      map[string]float64 `json:"probs"`      // every class's probability
	Model      string             `json:"model"`      // the model that judged, e.g. "rf+svm v3"
}

func (d *Diagnosis) value() (any, error) {
	if d == nil {
		return nil, nil
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("diagnosis: %w: %w", ErrInvalid, err)
	}
	return string(b), nil
}

// IsOpen reports whether the event has not ended.
func (e Event) IsOpen() bool { return e.End.IsZero() }

// OpenEvent inserts an open event (End is ignored) and returns its id. A
// machine has at most one open event of each kind: ErrConflict otherwise.
func (db *DB) OpenEvent(ctx context.Context, e Event) (int64, error) {
	if e.Kind == "" {
		e.Kind = EventAnomaly
	}
	wrap := func(err error) error {
		return fmt.Errorf("store: open %s event for machine %q: %w", e.Kind, e.MachineID, err)
	}
	switch {
	case e.MachineID == "":
		return 0, wrap(fmt.Errorf("empty machine id: %w", ErrInvalid))
	case e.Start.IsZero():
		return 0, wrap(fmt.Errorf("zero start: %w", ErrInvalid))
	case !finite(e.PeakScore) || !finite(e.Threshold):
		return 0, wrap(fmt.Errorf("peak %v, threshold %v: %w", e.PeakScore, e.Threshold, ErrInvalid))
	case len(e.Snapshot) > 0 && !json.Valid(e.Snapshot):
		return 0, wrap(fmt.Errorf("snapshot is not valid JSON: %w", ErrInvalid))
	}
	var snap any
	if len(e.Snapshot) > 0 {
		snap = string(e.Snapshot)
	}
	var id int64
	err := db.Write(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO events (machine_id, kind, start_ms, peak_score, threshold, snapshot_json)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			e.MachineID, e.Kind, ms(e.Start), e.PeakScore, e.Threshold, snap).Scan(&id)
	})
	switch {
	case isUnique(err):
		return 0, wrap(fmt.Errorf("an event is already open: %w", ErrConflict))
	case isForeignKey(err):
		return 0, wrap(fmt.Errorf("machine: %w", ErrNotFound))
	case err != nil:
		return 0, wrap(err)
	}
	return id, nil
}

// SaveEvent writes e under its own ID, which the caller reserved (above [DB.LastEventID]):
// it inserts the event — open while e.End is zero — or, when the row exists, raises its
// peak score to e.PeakScore if higher and sets its end and snapshot if e has them. Writing the same event
// twice changes nothing, so a caller can hold events in memory while the database cannot be
// written (a full disk) and write them, in order, once it can. A second open event for the
// machine is ErrConflict; an unknown machine ErrNotFound.
func (db *DB) SaveEvent(ctx context.Context, e Event) error {
	if e.Kind == "" {
		e.Kind = EventAnomaly
	}
	wrap := func(err error) error {
		return fmt.Errorf("store: save %s event %d of machine %q: %w", e.Kind, e.ID, e.MachineID, err)
	}
	switch {
	case e.ID <= 0:
		return wrap(fmt.Errorf("id %d: %w", e.ID, ErrInvalid))
	case e.MachineID == "":
		return wrap(fmt.Errorf("empty machine id: %w", ErrInvalid))
	case e.Start.IsZero():
		return wrap(fmt.Errorf("zero start: %w", ErrInvalid))
	case !finite(e.PeakScore) || !finite(e.Threshold):
		return wrap(fmt.Errorf("peak %v, threshold %v: %w", e.PeakScore, e.Threshold, ErrInvalid))
	case len(e.Snapshot) > 0 && !json.Valid(e.Snapshot):
		return wrap(fmt.Errorf("snapshot is not valid JSON: %w", ErrInvalid))
	}
	var snap, end any
	if len(e.Snapshot) > 0 {
		snap = string(e.Snapshot)
	}
	if !e.End.IsZero() {
		end = ms(e.End)
	}
	diag, err := e.Diagnosis.value()
	if err != nil {
		return wrap(err)
	}
	err = db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO events (id, machine_id, kind, start_ms, end_ms, peak_score, threshold, snapshot_json, diagnosis_json)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET peak_score = max(peak_score, excluded.peak_score),
				end_ms = COALESCE(excluded.end_ms, events.end_ms),
				snapshot_json = COALESCE(excluded.snapshot_json, events.snapshot_json),
				diagnosis_json = COALESCE(excluded.diagnosis_json, events.diagnosis_json)`,
			e.ID, e.MachineID, e.Kind, ms(e.Start), end, e.PeakScore, e.Threshold, snap, diag)
		return err
	})
	switch {
	case isUnique(err):
		return wrap(fmt.Errorf("an event is already open: %w", ErrConflict))
	case isForeignKey(err):
		return wrap(fmt.Errorf("machine: %w", ErrNotFound))
	case err != nil:
		return wrap(err)
	}
	return nil
}

// LastEventID returns the highest event id in the database (0 when there is none), for a
// caller that reserves the ids of the events it writes with [DB.SaveEvent].
func (db *DB) LastEventID(ctx context.Context) (int64, error) {
	var id int64
	if err := db.r.QueryRowContext(ctx, "SELECT COALESCE(max(id), 0) FROM events").Scan(&id); err != nil {
		return 0, fmt.Errorf("store: last event id: %w", err)
	}
	return id, nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// CloseEvent ends the open event id at end, raising its peak score to peak
// if higher. It returns ErrNotFound for an unknown id and ErrConflict if the
// event is already closed.
func (db *DB) CloseEvent(ctx context.Context, id int64, end time.Time, peak float64) error {
	wrap := func(err error) error { return fmt.Errorf("store: close event %d: %w", id, err) }
	if end.IsZero() || !finite(peak) {
		return wrap(fmt.Errorf("end %v, peak %v: %w", end, peak, ErrInvalid))
	}
	err := db.Write(ctx, func(tx *sql.Tx) error {
		if err := requireOpen(ctx, tx, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "UPDATE events SET end_ms = ?, peak_score = max(peak_score, ?) WHERE id = ?",
			ms(end), peak, id)
		return err
	})
	if err != nil {
		return wrap(err)
	}
	return nil
}

// CloseStaleEvents ends every event still open — events a process that was killed, or lost
// power, could not close — at the last window stored for its machine (the time of its
// latest score), or at its start when no window after the start was stored. Only one daemon
// writes events, so at its start-up every open event is stale; closing them lets the
// machines open new ones (a machine has at most one open event). It returns the events it
// closed, as they are now.
func (db *DB) CloseStaleEvents(ctx context.Context) ([]Event, error) {
	var ids []int64
	err := db.Write(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE events SET end_ms = max(start_ms,
				COALESCE((SELECT max(ts_ms) FROM scores WHERE scores.machine_id = events.machine_id), start_ms))
			WHERE end_ms IS NULL RETURNING id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: close stale events: %w", err)
	}
	out := make([]Event, 0, len(ids))
	for _, id := range ids {
		e, err := db.Event(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("store: close stale events: %w", err)
		}
		out = append(out, e)
	}
	return out, nil
}

// CloseOpenEventsBefore ends, at at, the open events of machineID that started before at,
// and returns how many it ended: an event whose end a writer lost (see [DB.SaveEvent]) ends
// at the latest when the machine's next event starts.
func (db *DB) CloseOpenEventsBefore(ctx context.Context, machineID string, at time.Time) (int64, error) {
	var n int64
	err := db.Write(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, "UPDATE events SET end_ms = ? WHERE machine_id = ? AND end_ms IS NULL AND start_ms < ?",
			ms(at), machineID, ms(at))
		if err != nil {
			return err
		}
		n, err = r.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: close open events of machine %q: %w", machineID, err)
	}
	return n, nil
}

// UpdateEventPeak raises the peak score of the open event id to peak if
// higher. It returns ErrNotFound for an unknown id and ErrConflict if the
// event is closed.
func (db *DB) UpdateEventPeak(ctx context.Context, id int64, peak float64) error {
	wrap := func(err error) error { return fmt.Errorf("store: update peak of event %d: %w", id, err) }
	if !finite(peak) {
		return wrap(fmt.Errorf("peak %v: %w", peak, ErrInvalid))
	}
	err := db.Write(ctx, func(tx *sql.Tx) error {
		if err := requireOpen(ctx, tx, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "UPDATE events SET peak_score = max(peak_score, ?) WHERE id = ?", peak, id)
		return err
	})
	if err != nil {
		return wrap(err)
	}
	return nil
}

func requireOpen(ctx context.Context, tx *sql.Tx, id int64) error {
	var end sql.NullInt64
	err := tx.QueryRowContext(ctx, "SELECT end_ms FROM events WHERE id = ?", id).Scan(&end)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	if end.Valid {
		return fmt.Errorf("event closed at %s: %w", fromMS(end.Int64).Format(time.RFC3339), ErrConflict)
	}
	return nil
}

// AcknowledgeEvent records that the event was seen by the named operator,
// at the DB clock's time. It returns ErrConflict if it was already
// acknowledged. AcknowledgeEventComment also keeps a comment and audit entries.
func (db *DB) AcknowledgeEvent(ctx context.Context, id int64, by string) error {
	return db.AcknowledgeEventComment(ctx, id, by, "")
}

// SetEventLabel sets (or, with "", clears) an event's label: a fault type or
// "false_alarm". It returns ErrNotFound for an unknown id.
// LabelEventAudited also writes audit entries.
func (db *DB) SetEventLabel(ctx context.Context, id int64, label string) error {
	return db.LabelEventAudited(ctx, id, label)
}

// EventFilter selects events. Zero fields do not filter.
type EventFilter struct {
	MachineID string
	Kind      string
	// From and To select events overlapping [From, To): started before To
	// and not ended before From.
	From, To       time.Time
	OpenOnly       bool
	Unacknowledged bool
	Limit          int // newest first; 0 means no limit
}

const eventCols = "id, machine_id, kind, start_ms, end_ms, peak_score, threshold, snapshot_json, acknowledged_by, acknowledged_at_ms, label, diagnosis_json"

func scanEvent(s interface{ Scan(...any) error }) (Event, error) {
	var e Event
	var start int64
	var end, ackAt sql.NullInt64
	var snap, ackBy, label, diag sql.NullString
	if err := s.Scan(&e.ID, &e.MachineID, &e.Kind, &start, &end, &e.PeakScore, &e.Threshold, &snap, &ackBy, &ackAt, &label, &diag); err != nil {
		return Event{}, err
	}
	if diag.Valid {
		e.Diagnosis = new(Diagnosis)
		if err := json.Unmarshal([]byte(diag.String), e.Diagnosis); err != nil {
			return Event{}, fmt.Errorf("diagnosis of event %d: %w", e.ID, err)
		}
	}
	e.Start, e.End, e.AcknowledgedAt = fromMS(start), nullMS(end), nullMS(ackAt)
	if snap.Valid {
		e.Snapshot = json.RawMessage(snap.String)
	}
	e.AcknowledgedBy, e.Label = ackBy.String, label.String
	return e, nil
}

// Event returns the event with the given id, or ErrNotFound.
func (db *DB) Event(ctx context.Context, id int64) (Event, error) {
	e, err := scanEvent(db.r.QueryRowContext(ctx, "SELECT "+eventCols+" FROM events WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Event{}, fmt.Errorf("store: event %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Event{}, fmt.Errorf("store: event %d: %w", id, err)
	}
	return e, nil
}

// Events returns the events selected by f, newest start first.
func (db *DB) Events(ctx context.Context, f EventFilter) ([]Event, error) {
	var where []string
	var args []any
	if f.MachineID != "" {
		where, args = append(where, "machine_id = ?"), append(args, f.MachineID)
	}
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, f.Kind)
	}
	if !f.To.IsZero() {
		where, args = append(where, "start_ms < ?"), append(args, ms(f.To))
	}
	if !f.From.IsZero() {
		where, args = append(where, "(end_ms IS NULL OR end_ms >= ?)"), append(args, ms(f.From))
	}
	if f.OpenOnly {
		where = append(where, "end_ms IS NULL")
	}
	if f.Unacknowledged {
		where = append(where, "acknowledged_by IS NULL")
	}
	q := "SELECT " + eventCols + " FROM events"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY start_ms DESC, id DESC"
	if f.Limit > 0 {
		q, args = q+" LIMIT ?", append(args, f.Limit)
	}
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("store: events: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: events: %w", err)
	}
	return out, nil
}
