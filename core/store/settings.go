package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// MachineSettings are a machine's settings as changed through the API, stored as JSON so the
// store does not depend on the configuration's types.
type MachineSettings struct {
	MachineID string
	Settings  json.RawMessage
	UpdatedAt time.Time
	UpdatedBy string
}

// SaveMachineSettings stores (replaces) a machine's settings.
func (db *DB) SaveMachineSettings(ctx context.Context, s MachineSettings) error {
	if s.MachineID == "" || !json.Valid(s.Settings) {
		return fmt.Errorf("store: save settings of machine %q: empty id or invalid JSON: %w", s.MachineID, ErrInvalid)
	}
	err := db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO machine_settings (machine_id, settings, updated_at_ms, updated_by)
			VALUES (?, ?, ?, ?)
			ON CONFLICT (machine_id) DO UPDATE SET settings = excluded.settings,
				updated_at_ms = excluded.updated_at_ms, updated_by = excluded.updated_by`,
			s.MachineID, string(s.Settings), db.nowMS(), s.UpdatedBy)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: save settings of machine %q: %w", s.MachineID, err)
	}
	return nil
}

// AllMachineSettings returns every stored machine's settings, by machine id.
func (db *DB) AllMachineSettings(ctx context.Context) (map[string]MachineSettings, error) {
	out := map[string]MachineSettings{}
	err := db.Read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT machine_id, settings, updated_at_ms, updated_by FROM machine_settings`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s MachineSettings
			var js string
			var at int64
			if err := rows.Scan(&s.MachineID, &js, &at, &s.UpdatedBy); err != nil {
				return err
			}
			s.Settings, s.UpdatedAt = json.RawMessage(js), fromMS(at)
			out[s.MachineID] = s
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: machine settings: %w", err)
	}
	return out, nil
}
