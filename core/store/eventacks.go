package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// AcknowledgeEventComment is AcknowledgeEvent with the operator's comment
// and audit entries written in the same transaction. It returns ErrNotFound
// for an unknown id and ErrConflict if the event was already acknowledged.
func (db *DB) AcknowledgeEventComment(ctx context.Context, id int64, by, comment string, audit ...AuditEntry) error {
	err := db.WriteAudited(ctx, func(tx *sql.Tx) error { return db.AcknowledgeEventTx(ctx, tx, id, by, comment) }, audit...)
	if err != nil {
		return fmt.Errorf("store: acknowledge event %d: %w", id, err)
	}
	return nil
}

// AcknowledgeEventTx acknowledges an event inside tx, so that it commits together with
// other changes (the daemon acknowledges an event and its alerts as one). It returns
// ErrNotFound for an unknown id and ErrConflict if the event was already acknowledged.
func (db *DB) AcknowledgeEventTx(ctx context.Context, tx *sql.Tx, id int64, by, comment string) error {
	if by == "" {
		return fmt.Errorf("empty operator: %w", ErrInvalid)
	}
	var ackBy sql.NullString
	err := tx.QueryRowContext(ctx, "SELECT acknowledged_by FROM events WHERE id = ?", id).Scan(&ackBy)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	if ackBy.Valid {
		return fmt.Errorf("already acknowledged by %q: %w", ackBy.String, ErrConflict)
	}
	_, err = tx.ExecContext(ctx, "UPDATE events SET acknowledged_by = ?, acknowledged_at_ms = ?, ack_comment = ? WHERE id = ?",
		by, db.nowMS(), nullString(comment), id)
	return err
}

// LabelEventAudited is SetEventLabel with audit entries written in the same
// transaction, which also keeps the machine's dataset working set in step (the event's clip
// becomes a normal item when labelled false_alarm, a fault item otherwise; see
// labelDatasetItemTx).
func (db *DB) LabelEventAudited(ctx context.Context, id int64, label string, audit ...AuditEntry) error {
	err := db.WriteAudited(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, "UPDATE events SET label = ? WHERE id = ?", nullString(label), id)
		if err != nil {
			return err
		}
		n, err := r.RowsAffected()
		if err == nil && n == 0 {
			err = ErrNotFound
		}
		if err != nil {
			return err
		}
		return db.labelDatasetItemTx(ctx, tx, id, label)
	}, audit...)
	if err != nil {
		return fmt.Errorf("store: label event %d: %w", id, err)
	}
	return nil
}

// AckComments returns the acknowledgement comments of those of the given
// events that have one.
func (db *DB) AckComments(ctx context.Context, ids ...int64) (map[int64]string, error) {
	out := make(map[int64]string)
	if len(ids) == 0 {
		return out, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("store: ack comments: %w", err)
	}
	rows, err := db.r.QueryContext(ctx,
		"SELECT id, ack_comment FROM events WHERE ack_comment IS NOT NULL AND id IN (SELECT value FROM json_each(?))", string(list))
	if err != nil {
		return nil, fmt.Errorf("store: ack comments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var c string
		if err := rows.Scan(&id, &c); err != nil {
			return nil, fmt.Errorf("store: ack comments: %w", err)
		}
		out[id] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: ack comments: %w", err)
	}
	return out, nil
}
