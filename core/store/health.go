package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"
)

// HealthRecord is one hour of a machine's health record (table health_records): sums over
// the windows the machine scored in the hour, so parts of an hour add up exactly.
type HealthRecord struct {
	MachineID   string
	Hour        time.Time // start of the hour, UTC
	Last        time.Time // the latest window added
	Windows     int
	SumSquares  float64 // Σ RMS² (full scale)
	SumKurtosis float64
	Peak        float64
	SumEnvelope float64 // Σ envelope energy at the bearing defect frequencies
	EnvelopeN   int     // windows measured for it; 0 without a shaft speed
	SumScore    float64 // Σ anomaly level (score/threshold) of monitored windows
	Scored      int
}

// RMS is the hour's level: the root of the mean squared window RMS.
func (r HealthRecord) RMS() float64 {
	if r.Windows == 0 {
		return 0
	}
	return math.Sqrt(r.SumSquares / float64(r.Windows))
}

// Kurtosis is the mean window kurtosis.
func (r HealthRecord) Kurtosis() float64 {
	if r.Windows == 0 {
		return 0
	}
	return r.SumKurtosis / float64(r.Windows)
}

// Envelope is the mean envelope energy, false when none was measured.
func (r HealthRecord) Envelope() (float64, bool) {
	if r.EnvelopeN == 0 {
		return 0, false
	}
	return r.SumEnvelope / float64(r.EnvelopeN), true
}

// Score is the mean anomaly level, false when no window was scored (learning).
func (r HealthRecord) Score() (float64, bool) {
	if r.Scored == 0 {
		return 0, false
	}
	return r.SumScore / float64(r.Scored), true
}

// AddHealth adds r (a part of an hour; r.Hour is truncated to the hour) into the machine's
// record of that hour, creating it if needed. The machine must exist (ErrNotFound).
func (db *DB) AddHealth(ctx context.Context, r HealthRecord) error {
	wrap := func(err error) error {
		return fmt.Errorf("store: add health of machine %q at %s: %w", r.MachineID, r.Hour.Format(time.RFC3339), err)
	}
	if r.MachineID == "" || r.Windows <= 0 || r.EnvelopeN < 0 || r.Scored < 0 {
		return wrap(fmt.Errorf("empty machine id or no windows: %w", ErrInvalid))
	}
	for _, v := range []float64{r.SumSquares, r.SumKurtosis, r.Peak, r.SumEnvelope, r.SumScore} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return wrap(fmt.Errorf("non-finite value: %w", ErrInvalid))
		}
	}
	hour := r.Hour.UTC().Truncate(time.Hour)
	err := db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO health_records (machine_id, hour_ms, last_ms, windows, sum_squares,
			sum_kurtosis, peak, sum_envelope, envelope_n, sum_score, scored_windows)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (machine_id, hour_ms) DO UPDATE SET
				last_ms = max(last_ms, excluded.last_ms), windows = windows + excluded.windows,
				sum_squares = sum_squares + excluded.sum_squares, sum_kurtosis = sum_kurtosis + excluded.sum_kurtosis,
				peak = max(peak, excluded.peak), sum_envelope = sum_envelope + excluded.sum_envelope,
				envelope_n = envelope_n + excluded.envelope_n, sum_score = sum_score + excluded.sum_score,
				scored_windows = scored_windows + excluded.scored_windows`,
			r.MachineID, hour.UnixMilli(), r.Last.UnixMilli(), r.Windows, r.SumSquares, r.SumKurtosis, r.Peak,
			r.SumEnvelope, r.EnvelopeN, r.SumScore, r.Scored)
		return err
	})
	if isForeignKey(err) {
		return wrap(fmt.Errorf("machine: %w", ErrNotFound))
	}
	if err != nil {
		return wrap(err)
	}
	return nil
}

// HealthRecords returns the machine's hourly records whose hour starts in [from, to), oldest
// first; a zero bound is unbounded; limit > 0 keeps the latest limit records.
func (db *DB) HealthRecords(ctx context.Context, machineID string, from, to time.Time, limit int) ([]HealthRecord, error) {
	lo, hi := timeRange(from, to)
	const cols = `machine_id, hour_ms, last_ms, windows, sum_squares, sum_kurtosis, peak, sum_envelope, envelope_n,
		sum_score, scored_windows`
	q := "SELECT " + cols + " FROM health_records WHERE machine_id = ? AND hour_ms >= ? AND hour_ms < ? ORDER BY hour_ms"
	args := []any{machineID, lo, hi}
	if limit > 0 {
		q = "SELECT * FROM (SELECT " + cols + ` FROM health_records WHERE machine_id = ? AND hour_ms >= ? AND hour_ms < ?
			ORDER BY hour_ms DESC LIMIT ?) ORDER BY hour_ms`
		args = append(args, limit)
	}
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: health of machine %q: %w", machineID, err)
	}
	defer rows.Close()
	var out []HealthRecord
	for rows.Next() {
		var r HealthRecord
		var hour, last int64
		if err := rows.Scan(&r.MachineID, &hour, &last, &r.Windows, &r.SumSquares, &r.SumKurtosis, &r.Peak,
			&r.SumEnvelope, &r.EnvelopeN, &r.SumScore, &r.Scored); err != nil {
			return nil, fmt.Errorf("store: health of machine %q: %w", machineID, err)
		}
		r.Hour, r.Last = fromMS(hour), fromMS(last)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: health of machine %q: %w", machineID, err)
	}
	return out, nil
}
