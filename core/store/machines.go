package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"
)

// Machine is a monitored machine; ID is the machine id from the configuration.
type Machine struct {
	ID        string
	Name      string
	Kind      string    // e.g. "pump", "fan"
	CreatedAt time.Time // set by the store
	UpdatedAt time.Time // set by the store
}

// UpsertMachine inserts m or updates the name and kind of the machine with
// m.ID. CreatedAt and UpdatedAt are taken from the DB clock.
func (db *DB) UpsertMachine(ctx context.Context, m Machine) error {
	if m.ID == "" {
		return fmt.Errorf("store: upsert machine: empty id: %w", ErrInvalid)
	}
	now := db.nowMS()
	_, err := db.w.ExecContext(ctx, `
		INSERT INTO machines (id, name, kind, created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, updated_at_ms = excluded.updated_at_ms
		WHERE name IS NOT excluded.name OR kind IS NOT excluded.kind`,
		m.ID, m.Name, m.Kind, now, now)
	if err != nil {
		return fmt.Errorf("store: upsert machine %q: %w", m.ID, err)
	}
	return nil
}

const machineCols = "id, name, kind, created_at_ms, updated_at_ms"

func scanMachine(s interface{ Scan(...any) error }) (Machine, error) {
	var m Machine
	var c, u int64
	if err := s.Scan(&m.ID, &m.Name, &m.Kind, &c, &u); err != nil {
		return Machine{}, err
	}
	m.CreatedAt, m.UpdatedAt = fromMS(c), fromMS(u)
	return m, nil
}

// Machine returns the machine with the given id, or ErrNotFound.
func (db *DB) Machine(ctx context.Context, id string) (Machine, error) {
	m, err := scanMachine(db.r.QueryRowContext(ctx, "SELECT "+machineCols+" FROM machines WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Machine{}, fmt.Errorf("store: machine %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Machine{}, fmt.Errorf("store: machine %q: %w", id, err)
	}
	return m, nil
}

// Machines returns every machine ordered by id.
func (db *DB) Machines(ctx context.Context) ([]Machine, error) {
	rows, err := db.r.QueryContext(ctx, "SELECT "+machineCols+" FROM machines ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("store: machines: %w", err)
	}
	defer rows.Close()
	var out []Machine
	for rows.Next() {
		m, err := scanMachine(rows)
		if err != nil {
			return nil, fmt.Errorf("store: machines: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: machines: %w", err)
	}
	return out, nil
}

// SensorUnknown is the state of a sensor whose health has not been assessed.
const SensorUnknown = "unknown"

// Sensor is one capture channel attached to a machine. State is the health
// state reported by core/sensor (ok, silent, clipping, stuck, ...).
type Sensor struct {
	ID         string
	MachineID  string
	Device     string
	Channel    int
	SampleRate int
	State      string    // SensorUnknown if empty on first upsert
	StateSince time.Time // DB clock if zero on first upsert
	Detail     string
}

// SensorEvent is one entry of a sensor's state history.
type SensorEvent struct {
	SensorID string
	State    string
	Since    time.Time
	Detail   string
}

// UpsertSensor inserts s or updates its machine, device, channel and sample
// rate. The state of an existing sensor is left alone (use SetSensorState);
// a new sensor starts in s.State (SensorUnknown if empty) and that first
// state is logged. The machine must exist (ErrNotFound otherwise).
func (db *DB) UpsertSensor(ctx context.Context, s Sensor) error {
	if s.ID == "" || s.MachineID == "" {
		return fmt.Errorf("store: upsert sensor %q of machine %q: empty id: %w", s.ID, s.MachineID, ErrInvalid)
	}
	if s.State == "" {
		s.State = SensorUnknown
	}
	now := db.nowMS()
	since := now
	if !s.StateSince.IsZero() {
		since = ms(s.StateSince)
	}
	err := db.Write(ctx, func(tx *sql.Tx) error {
		var exists int
		err := tx.QueryRowContext(ctx, "SELECT 1 FROM sensors WHERE id = ?", s.ID).Scan(&exists)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO sensors (id, machine_id, device, channel, sample_rate, state, state_since_ms, detail, created_at_ms, updated_at_ms)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				s.ID, s.MachineID, s.Device, s.Channel, s.SampleRate, s.State, since, s.Detail, now, now); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, "INSERT INTO sensor_events (sensor_id, state, since_ms, detail) VALUES (?, ?, ?, ?)",
				s.ID, s.State, since, s.Detail)
			return err
		case err != nil:
			return err
		}
		_, err = tx.ExecContext(ctx, `
			UPDATE sensors SET machine_id = ?, device = ?, channel = ?, sample_rate = ?, updated_at_ms = ?
			WHERE id = ? AND (machine_id, device, channel, sample_rate) IS NOT (?, ?, ?, ?)`,
			s.MachineID, s.Device, s.Channel, s.SampleRate, now, s.ID, s.MachineID, s.Device, s.Channel, s.SampleRate)
		return err
	})
	if isForeignKey(err) {
		return fmt.Errorf("store: upsert sensor %q: machine %q: %w", s.ID, s.MachineID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: upsert sensor %q: %w", s.ID, err)
	}
	return nil
}

const sensorCols = "id, machine_id, device, channel, sample_rate, state, state_since_ms, detail"

func scanSensor(sc interface{ Scan(...any) error }) (Sensor, error) {
	var s Sensor
	var since int64
	if err := sc.Scan(&s.ID, &s.MachineID, &s.Device, &s.Channel, &s.SampleRate, &s.State, &since, &s.Detail); err != nil {
		return Sensor{}, err
	}
	s.StateSince = fromMS(since)
	return s, nil
}

// Sensor returns the sensor with the given id, or ErrNotFound.
func (db *DB) Sensor(ctx context.Context, id string) (Sensor, error) {
	s, err := scanSensor(db.r.QueryRowContext(ctx, "SELECT "+sensorCols+" FROM sensors WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Sensor{}, fmt.Errorf("store: sensor %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Sensor{}, fmt.Errorf("store: sensor %q: %w", id, err)
	}
	return s, nil
}

// Sensors returns the sensors of machineID, or of every machine when
// machineID is empty, ordered by machine id then sensor id.
func (db *DB) Sensors(ctx context.Context, machineID string) ([]Sensor, error) {
	rows, err := db.r.QueryContext(ctx,
		"SELECT "+sensorCols+" FROM sensors WHERE ? = '' OR machine_id = ? ORDER BY machine_id, id", machineID, machineID)
	if err != nil {
		return nil, fmt.Errorf("store: sensors: %w", err)
	}
	defer rows.Close()
	var out []Sensor
	for rows.Next() {
		s, err := scanSensor(rows)
		if err != nil {
			return nil, fmt.Errorf("store: sensors: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: sensors: %w", err)
	}
	return out, nil
}

// SetSensorState records the sensor's current health. A change of state
// updates the sensor and appends to its history; the same state again only
// refreshes the detail text (the history keeps the detail of the change).
// It returns ErrNotFound for an unknown sensor.
func (db *DB) SetSensorState(ctx context.Context, id, state string, since time.Time, detail string) error {
	if state == "" {
		return fmt.Errorf("store: set state of sensor %q: empty state: %w", id, ErrInvalid)
	}
	err := db.Write(ctx, func(tx *sql.Tx) error {
		var cur string
		err := tx.QueryRowContext(ctx, "SELECT state FROM sensors WHERE id = ?", id).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		now := db.nowMS()
		if cur == state {
			_, err = tx.ExecContext(ctx, "UPDATE sensors SET detail = ?, updated_at_ms = ? WHERE id = ? AND detail IS NOT ?",
				detail, now, id, detail)
			return err
		}
		if _, err := tx.ExecContext(ctx,
			"UPDATE sensors SET state = ?, state_since_ms = ?, detail = ?, updated_at_ms = ? WHERE id = ?",
			state, ms(since), detail, now, id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO sensor_events (sensor_id, state, since_ms, detail) VALUES (?, ?, ?, ?)",
			id, state, ms(since), detail)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: set state of sensor %q to %q: %w", id, state, err)
	}
	return nil
}

// SensorStates returns the state changes of sensorID at or after since,
// oldest first. A zero since returns the whole history.
func (db *DB) SensorStates(ctx context.Context, sensorID string, since time.Time) ([]SensorEvent, error) {
	lo := int64(math.MinInt64)
	if !since.IsZero() {
		lo = ms(since)
	}
	rows, err := db.r.QueryContext(ctx,
		"SELECT sensor_id, state, since_ms, detail FROM sensor_events WHERE sensor_id = ? AND since_ms >= ? ORDER BY since_ms, id",
		sensorID, lo)
	if err != nil {
		return nil, fmt.Errorf("store: states of sensor %q: %w", sensorID, err)
	}
	defer rows.Close()
	var out []SensorEvent
	for rows.Next() {
		var e SensorEvent
		var t int64
		if err := rows.Scan(&e.SensorID, &e.State, &t, &e.Detail); err != nil {
			return nil, fmt.Errorf("store: states of sensor %q: %w", sensorID, err)
		}
		e.Since = fromMS(t)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: states of sensor %q: %w", sensorID, err)
	}
	return out, nil
}

// timeRange maps [from, to) to milliseconds; a zero bound is unbounded.
func timeRange(from, to time.Time) (lo, hi int64) {
	lo, hi = math.MinInt64, math.MaxInt64
	if !from.IsZero() {
		lo = ms(from)
	}
	if !to.IsZero() {
		hi = ms(to)
	}
	return lo, hi
}
