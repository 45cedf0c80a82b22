package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Model is a fitted normal model of a machine, as serialised by core/detect.
type Model struct {
	MachineID string
	Version   int64 // 1, 2, ... per machine, never reused
	Kind      string
	CreatedAt time.Time
	Threshold float64
	Blob      []byte // nil in the list returned by Models
	Active    bool
	Note      string
}

// SaveModel stores a new model version for machineID, makes it the active
// one (the previous active version becomes inactive) and returns its
// version. The machine must exist (ErrNotFound).
func (db *DB) SaveModel(ctx context.Context, machineID, kind string, threshold float64, blob []byte, note string) (int64, error) {
	wrap := func(err error) error {
		return fmt.Errorf("store: save %s model for machine %q: %w", kind, machineID, err)
	}
	switch {
	case machineID == "" || kind == "":
		return 0, wrap(fmt.Errorf("empty machine id or kind: %w", ErrInvalid))
	case !finite(threshold):
		return 0, wrap(fmt.Errorf("threshold %v: %w", threshold, ErrInvalid))
	case blob == nil:
		blob = []byte{}
	}
	var version int64
	err := db.Write(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) + 1 FROM models WHERE machine_id = ?",
			machineID).Scan(&version); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE models SET active = 0 WHERE machine_id = ? AND active = 1", machineID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO models (machine_id, version, kind, created_at_ms, threshold, blob, active, note)
			VALUES (?, ?, ?, ?, ?, ?, 1, ?)`, machineID, version, kind, db.nowMS(), threshold, blob, note)
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

// ActivateModel makes an earlier version the active model of machineID
// (a rollback). It returns ErrNotFound for an unknown version.
func (db *DB) ActivateModel(ctx context.Context, machineID string, version int64) error {
	err := db.Write(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, "SELECT 1 FROM models WHERE machine_id = ? AND version = ?", machineID, version).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE models SET active = 0 WHERE machine_id = ? AND active = 1", machineID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE models SET active = 1 WHERE machine_id = ? AND version = ?", machineID, version)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: activate model %d of machine %q: %w", version, machineID, err)
	}
	return nil
}

func scanModel(s interface{ Scan(...any) error }, withBlob bool) (Model, error) {
	var m Model
	var created int64
	dest := []any{&m.MachineID, &m.Version, &m.Kind, &created, &m.Threshold, &m.Active, &m.Note}
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
	return m, nil
}

const modelCols = "machine_id, version, kind, created_at_ms, threshold, active, note"

// ActiveModel returns the active model of machineID with its blob, or
// ErrNotFound if the machine has none.
func (db *DB) ActiveModel(ctx context.Context, machineID string) (Model, error) {
	m, err := scanModel(db.r.QueryRowContext(ctx,
		"SELECT "+modelCols+", blob FROM models WHERE machine_id = ? AND active = 1", machineID), true)
	if errors.Is(err, sql.ErrNoRows) {
		return Model{}, fmt.Errorf("store: active model of machine %q: %w", machineID, ErrNotFound)
	}
	if err != nil {
		return Model{}, fmt.Errorf("store: active model of machine %q: %w", machineID, err)
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

// Models lists the model versions of machineID, newest first, without
// their blobs (use Model or ActiveModel for those).
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
