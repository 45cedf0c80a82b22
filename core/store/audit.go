package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// AuditEntry records one change made by a person or a program: who (Actor),
// what (Action, Target, Detail) and when.
type AuditEntry struct {
	ID     int64
	Time   time.Time // the DB clock if zero when appended
	Actor  string    // token name, or local:<user>
	Action string    // e.g. "event.acknowledge"
	Target string    // e.g. "event/42"
	Detail string
}

func (db *DB) insertAudit(ctx context.Context, tx *sql.Tx, a AuditEntry) (int64, error) {
	if a.Actor == "" || a.Action == "" {
		return 0, fmt.Errorf("audit entry without actor or action: %w", ErrInvalid)
	}
	at := db.nowMS()
	if !a.Time.IsZero() {
		at = ms(a.Time)
	}
	var id int64
	err := tx.QueryRowContext(ctx, "INSERT INTO audit_log (ts_ms, actor, action, target, detail) VALUES (?, ?, ?, ?, ?) RETURNING id",
		at, a.Actor, a.Action, a.Target, a.Detail).Scan(&id)
	return id, err
}

// insertAudits appends the entries inside tx: a change and its audit record
// commit or roll back together.
func (db *DB) insertAudits(ctx context.Context, tx *sql.Tx, as []AuditEntry) error {
	for _, a := range as {
		if _, err := db.insertAudit(ctx, tx, a); err != nil {
			return fmt.Errorf("audit %s: %w", a.Action, err)
		}
	}
	return nil
}

// AppendAudit appends an entry to the audit log and returns its id.
func (db *DB) AppendAudit(ctx context.Context, a AuditEntry) (int64, error) {
	var id int64
	err := db.Write(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = db.insertAudit(ctx, tx, a)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: append audit %s by %q: %w", a.Action, a.Actor, err)
	}
	return id, nil
}

// WriteAudited runs fn like Write and appends the audit entries in the same
// transaction, so a change is never committed without its record (and a
// failed change leaves no record).
func (db *DB) WriteAudited(ctx context.Context, fn func(tx *sql.Tx) error, audit ...AuditEntry) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return db.insertAudits(ctx, tx, audit)
	})
}

// AuditFilter selects audit entries. Zero fields do not filter.
type AuditFilter struct {
	Actor, Action, Target string
	Before                int64 // only entries with id < Before (paging backwards)
	Limit                 int   // newest first; 0 means no limit
}

// Audit returns the entries selected by f, newest first.
func (db *DB) Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	var where []string
	var args []any
	for _, c := range []struct{ col, v string }{{"actor", f.Actor}, {"action", f.Action}, {"target", f.Target}} {
		if c.v != "" {
			where, args = append(where, c.col+" = ?"), append(args, c.v)
		}
	}
	if f.Before > 0 {
		where, args = append(where, "id < ?"), append(args, f.Before)
	}
	q := "SELECT id, ts_ms, actor, action, target, detail FROM audit_log"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC"
	if f.Limit > 0 {
		q, args = q+" LIMIT ?", append(args, f.Limit)
	}
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: audit: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var a AuditEntry
		var at int64
		if err := rows.Scan(&a.ID, &at, &a.Actor, &a.Action, &a.Target, &a.Detail); err != nil {
			return nil, fmt.Errorf("store: audit: %w", err)
		}
		a.Time = fromMS(at)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: audit: %w", err)
	}
	return out, nil
}
