package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// SaveAlertStateTx stores the alert engine's state inside tx, so it commits together with
// the notification jobs enqueued in the same transaction.
func (db *DB) SaveAlertStateTx(ctx context.Context, tx *sql.Tx, state []byte) error {
	if !json.Valid(state) {
		return fmt.Errorf("store: save alert state: not JSON: %w", ErrInvalid)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO alert_state (id, state, updated_at_ms) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET state = excluded.state, updated_at_ms = excluded.updated_at_ms`,
		string(state), db.nowMS())
	if err != nil {
		return fmt.Errorf("store: save alert state: %w", err)
	}
	return nil
}

// AlertState returns the stored alert engine state, or ErrNotFound before the first save.
func (db *DB) AlertState(ctx context.Context) ([]byte, error) {
	var s string
	err := db.Read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT state FROM alert_state WHERE id = 1`).Scan(&s)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: alert state: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: alert state: %w", err)
	}
	return []byte(s), nil
}

// SaveSetting stores an appliance-wide setting (JSON) changed through the API, with audit
// entries in the same transaction.
func (db *DB) SaveSetting(ctx context.Context, key string, value []byte, by string, audit ...AuditEntry) error {
	if key == "" || !json.Valid(value) {
		return fmt.Errorf("store: save setting %q: empty key or invalid JSON: %w", key, ErrInvalid)
	}
	err := db.WriteAudited(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO appliance_settings (key, value, updated_at_ms, updated_by) VALUES (?, ?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at_ms = excluded.updated_at_ms, updated_by = excluded.updated_by`,
			key, string(value), db.nowMS(), by)
		return err
	}, audit...)
	if err != nil {
		return fmt.Errorf("store: save setting %q: %w", key, err)
	}
	return nil
}

// Setting returns a stored setting, or ErrNotFound.
func (db *DB) Setting(ctx context.Context, key string) ([]byte, error) {
	var s string
	err := db.Read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT value FROM appliance_settings WHERE key = ?`, key).Scan(&s)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: setting %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: setting %q: %w", key, err)
	}
	return []byte(s), nil
}
