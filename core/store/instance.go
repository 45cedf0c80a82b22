package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Instance identifies one database: an id made once when the database is created (migration
// 0007), kept across restarts and upgrades. The alert engine puts it in every notification's
// idempotency key, so a receiver that de-duplicates by key never mistakes a fresh install's
// first alert (its sequence starts at 1 again) for one an earlier install sent.
type Instance struct {
	ID        string
	CreatedAt time.Time
	// Previous is the id a restore replaced ([DB.RenewInstance]); empty otherwise.
	Previous string
}

// Instance returns the database's instance id.
func (db *DB) Instance(ctx context.Context) (Instance, error) {
	var in Instance
	var at int64
	var prev sql.NullString
	err := db.r.QueryRowContext(ctx, "SELECT instance_id, created_at_ms, previous_id FROM instance WHERE id = 1").Scan(&in.ID, &at, &prev)
	if errors.Is(err, sql.ErrNoRows) {
		return Instance{}, fmt.Errorf("store: instance: %w", ErrNotFound)
	}
	if err != nil {
		return Instance{}, fmt.Errorf("store: instance: %w", err)
	}
	in.CreatedAt, in.Previous = fromMS(at), prev.String
	return in, nil
}

// RenewInstance gives the database a new instance id, keeping the old one as Previous.
// `signalcraftd restore` calls it on the restored copy: the original appliance may have
// sent notifications after the replica's last sync, under keys the restored alert state
// (whose sequence is older) would otherwise derive again for different alerts. Notifications
// already in the restored state or job queue keep the keys they were stored with, so a
// receiver still drops the ones the original delivered.
func (db *DB) RenewInstance(ctx context.Context) (Instance, error) {
	id, err := newInstanceID()
	if err != nil {
		return Instance{}, fmt.Errorf("store: renew instance: %w", err)
	}
	err = db.Write(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, "UPDATE instance SET previous_id = instance_id, instance_id = ?, created_at_ms = ? WHERE id = 1",
			id, db.nowMS())
		if err != nil {
			return err
		}
		if n, err := r.RowsAffected(); err != nil || n != 1 {
			return errors.Join(err, ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return Instance{}, fmt.Errorf("store: renew instance: %w", err)
	}
	return db.Instance(ctx)
}

// newInstanceID returns 16 lowercase hex digits, as the migration makes.
func newInstanceID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}
