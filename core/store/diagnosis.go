package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// DiagnosisModel is a machine's fault classifier, as serialised by core/diagnose.
type DiagnosisModel struct {
	MachineID string
	Version   int64
	Kind      string
	CreatedAt time.Time
	Dataset   string
	Note      string
	Blob      []byte
	Active    bool
}

// SaveDiagnosisModel stores a new fault classifier of machineID and makes it the active one;
// it returns its version. The machine must exist (ErrNotFound).
func (db *DB) SaveDiagnosisModel(ctx context.Context, machineID, kind string, blob []byte, dataset, note string) (int64, error) {
	wrap := func(err error) error {
		return fmt.Errorf("store: save %s diagnosis model of machine %q: %w", kind, machineID, err)
	}
	if machineID == "" || kind == "" || len(blob) == 0 {
		return 0, wrap(fmt.Errorf("empty machine id, kind or model: %w", ErrInvalid))
	}
	var v int64
	err := db.Write(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) + 1 FROM diagnosis_models WHERE machine_id = ?",
			machineID).Scan(&v); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE diagnosis_models SET active = 0 WHERE machine_id = ? AND active = 1", machineID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO diagnosis_models (machine_id, version, kind, created_at_ms, dataset, note, blob, active)
			VALUES (?, ?, ?, ?, ?, ?, ?, 1)`, machineID, v, kind, db.nowMS(), dataset, note, blob)
		return err
	})
	if isForeignKey(err) {
		return 0, wrap(fmt.Errorf("machine: %w", ErrNotFound))
	}
	if err != nil {
		return 0, wrap(err)
	}
	return v, nil
}

// ActiveDiagnosisModel returns machineID's active fault classifier with its blob, or
// ErrNotFound when it has none.
func (db *DB) ActiveDiagnosisModel(ctx context.Context, machineID string) (DiagnosisModel, error) {
	var m DiagnosisModel
	var created int64
	err := db.r.QueryRowContext(ctx, `SELECT machine_id, version, kind, created_at_ms, dataset, note, blob, active
		FROM diagnosis_models WHERE machine_id = ? AND active = 1`, machineID).
		Scan(&m.MachineID, &m.Version, &m.Kind, &created, &m.Dataset, &m.Note, &m.Blob, &m.Active)
	if errors.Is(err, sql.ErrNoRows) {
		return DiagnosisModel{}, fmt.Errorf("store: diagnosis model of machine %q: %w", machineID, ErrNotFound)
	}
	if err != nil {
		return DiagnosisModel{}, fmt.Errorf("store: diagnosis model of machine %q: %w", machineID, err)
	}
	m.CreatedAt = fromMS(created)
	return m, nil
}
