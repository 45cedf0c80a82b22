// Package store provides SignalCraft's SQLite persistence: machines, sensors
// and their state history, window scores with incrementally maintained
// rollups, anomaly events and fitted models, all in one database file
// (modernc.org/sqlite, pure Go) with versioned migrations.
//
// # Connections
//
// A DB holds two database/sql pools on the same file:
//
//   - a write pool limited to exactly one connection whose transactions begin
//     with BEGIN IMMEDIATE (_txlock=immediate), and
//   - a read pool of several connections opened with PRAGMA query_only.
//
// SQLite allows one writer at a time. Funnelling every write through a single
// connection makes writers queue inside database/sql instead of spinning in
// busy_timeout against each other, and BEGIN IMMEDIATE takes the write lock
// up front, so a transaction never fails half-way with SQLITE_BUSY when it
// upgrades from reading to writing (which matters once another process, such
// as Litestream or the sqlite3 shell, touches the file). In WAL mode readers
// never block the writer and the writer never blocks readers, so a separate
// read pool lets dashboards and the API query while a score batch commits. A
// single pool with SetMaxOpenConns(1) would serialise those reads behind the
// writes; a single pool with many connections would let writes contend
// through busy_timeout. query_only on the read pool turns an accidental write
// through the wrong pool into an error instead of a lock fight.
//
// Every time is stored as UTC Unix milliseconds in an INTEGER column whose
// name ends in _ms.
//
// # Scores, rollups and retention
//
// Window scores arrive through a [Batcher] (or [DB.WriteScores] directly),
// one transaction per batch. The 1m and 1h rollups are maintained
// incrementally inside that same transaction (an aggregating upsert per
// bucket touched, storing sums so adding is exact) rather than by a periodic
// rollup job: they are always current, need no scheduler or high-water mark,
// cannot disagree with the raw rows after a crash, and make [DB.PruneScores]
// safe at any moment. The cost is one or two upserts per batch.
// Retention is the caller's policy: PruneScores drops raw rows older than a
// cut-off (rollups stay), PruneRollups thins the 1m buckets.
//
// # Shared file
//
// Later subsystems (the durable job queue, API tokens, audit log, clips) keep
// their tables in this same file, so Litestream replicates one consistent
// database. They add their schema as further numbered files under
// migrations/ (one ordered history per file) and run their statements through
// [DB.Write] and [DB.Read].
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Sentinel errors. Every error returned by this package that matches one of
// them wraps it with context, so use errors.Is.
var (
	// ErrNotFound reports that a row (machine, sensor, event, model) does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict reports that the change contradicts the current state, such
	// as opening a second event for a machine that has one open, or closing a
	// closed event.
	ErrConflict = errors.New("conflict")
	// ErrInvalid reports an argument the store refuses to persist (empty id,
	// NaN score, malformed snapshot JSON, ...).
	ErrInvalid = errors.New("invalid argument")
	// ErrSchemaTooNew reports a database migrated by a newer program than this one.
	ErrSchemaTooNew = errors.New("database schema is newer than this program")
	// ErrClosed reports use of a closed DB or Batcher.
	ErrClosed = errors.New("closed")
	// ErrRevoked reports a revoked token. It wraps ErrNotFound: a revoked
	// token is not a live one, and callers that only test for ErrNotFound
	// keep working.
	ErrRevoked = fmt.Errorf("revoked: %w", ErrNotFound)
)

// Default pool and timing parameters.
const (
	DefaultReadConns   = 4
	DefaultBusyTimeout = 5 * time.Second
)

// DB is an open SignalCraft database. It is safe for concurrent use.
type DB struct {
	path string
	now  func() time.Time
	w    *sql.DB // exactly one connection; all writes
	r    *sql.DB // query_only connections; all reads

	mu       sync.Mutex
	closed   bool
	batchers map[*Batcher]struct{}
}

type options struct {
	now        func() time.Time
	readConns  int
	busy       time.Duration
	migrations fs.FS
}

// Option configures Open.
type Option func(*options)

// WithNow injects the clock used for the timestamps the store makes itself
// (created_at, updated_at, applied_at, acknowledged_at). Default time.Now.
func WithNow(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithReadConns sets the size of the read pool (default DefaultReadConns).
func WithReadConns(n int) Option { return func(o *options) { o.readConns = n } }

// WithBusyTimeout sets how long a connection waits for a lock held by
// another process before failing with SQLITE_BUSY (default 5 s).
func WithBusyTimeout(d time.Duration) Option { return func(o *options) { o.busy = d } }

// withMigrations replaces the embedded migrations (tests only).
func withMigrations(fsys fs.FS) Option { return func(o *options) { o.migrations = fsys } }

// Open opens (creating if needed) the database file at path, applies any
// pending migrations and returns the DB. It refuses, with ErrSchemaTooNew, a
// database whose schema version is newer than the migrations compiled in.
func Open(ctx context.Context, path string, opts ...Option) (*DB, error) {
	o := options{now: time.Now, readConns: DefaultReadConns, busy: DefaultBusyTimeout, migrations: embeddedMigrations}
	for _, opt := range opts {
		opt(&o)
	}
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") || strings.ContainsRune(path, '?') {
		// An in-memory database would be a different database per
		// connection, and '?' would be taken for the DSN query.
		return nil, fmt.Errorf("store: open %q: path must be a plain file path: %w", path, ErrInvalid)
	}
	if o.readConns < 1 {
		return nil, fmt.Errorf("store: open %q: read connections %d < 1: %w", path, o.readConns, ErrInvalid)
	}
	migs, err := loadMigrations(o.migrations)
	if err != nil {
		return nil, fmt.Errorf("store: open %q: %w", path, err)
	}

	common := url.Values{}
	common.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", o.busy.Milliseconds()))
	common.Add("_pragma", "foreign_keys(ON)")
	common.Add("_pragma", "synchronous(NORMAL)")

	wq := cloneValues(common)
	wq.Add("_pragma", "journal_mode(WAL)")
	wq.Set("_txlock", "immediate")
	w, err := sql.Open("sqlite", path+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open %q: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// The first connection switches the file to WAL before any reader opens it.
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %q: %w", path, err)
	}

	rq := cloneValues(common)
	rq.Add("_pragma", "query_only(1)")
	r, err := sql.Open("sqlite", path+"?"+rq.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %q: %w", path, err)
	}
	r.SetMaxOpenConns(o.readConns)
	r.SetMaxIdleConns(o.readConns)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)

	db := &DB{path: path, now: o.now, w: w, r: r, batchers: map[*Batcher]struct{}{}}
	if err := db.migrate(ctx, migs); err != nil {
		db.w.Close()
		db.r.Close()
		return nil, fmt.Errorf("store: open %q: %w", path, err)
	}
	return db, nil
}

func cloneValues(v url.Values) url.Values {
	c := url.Values{}
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}

// Path returns the database file path given to Open.
func (db *DB) Path() string { return db.path }

// Close flushes and stops every Batcher created from db, checkpoints the WAL
// into the main file, and closes both pools. It is safe to call twice.
func (db *DB) Close() error {
	db.mu.Lock()
	if db.closed {
		db.mu.Unlock()
		return nil
	}
	db.closed = true
	bs := make([]*Batcher, 0, len(db.batchers))
	for b := range db.batchers {
		bs = append(bs, b)
	}
	db.mu.Unlock()

	var errs []error
	for _, b := range bs {
		if err := b.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := db.r.Close(); err != nil {
		errs = append(errs, err)
	}
	ctx := context.Background()
	// Best effort: optimize refreshes planner statistics; the TRUNCATE
	// checkpoint leaves a self-contained main file and an empty WAL.
	if _, err := db.w.ExecContext(ctx, "PRAGMA optimize"); err != nil {
		errs = append(errs, fmt.Errorf("optimize: %w", err))
	}
	if _, err := db.w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		errs = append(errs, fmt.Errorf("checkpoint: %w", err))
	}
	if err := db.w.Close(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: close %q: %w", db.path, err)
	}
	return nil
}

func (db *DB) isClosed() bool {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.closed
}

// Write runs fn in a write transaction (BEGIN IMMEDIATE) on the single writer
// connection and commits if fn returns nil. fn must not call other DB
// methods: the writer connection is busy with fn's transaction.
func (db *DB) Write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Read runs fn in a read-only transaction: every query in fn sees the same
// consistent snapshot of the database.
func (db *DB) Read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // read-only; nothing to undo
	return fn(tx)
}

// IntegrityCheck runs PRAGMA integrity_check and returns nil when SQLite
// reports "ok", otherwise an error listing the problems it found.
func (db *DB) IntegrityCheck(ctx context.Context) error {
	rows, err := db.r.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("store: integrity check: %w", err)
	}
	defer rows.Close()
	var msgs []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return fmt.Errorf("store: integrity check: %w", err)
		}
		msgs = append(msgs, s)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: integrity check: %w", err)
	}
	if len(msgs) == 1 && msgs[0] == "ok" {
		return nil
	}
	return fmt.Errorf("store: integrity check: %s", strings.Join(msgs, "; "))
}

// sqliteCode returns the extended SQLite result code inside err, or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

func isForeignKey(err error) bool { return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY }

func isUnique(err error) bool {
	c := sqliteCode(err)
	return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// ms converts t to the stored representation: UTC Unix milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }

// fromMS converts a stored value back to a UTC time.
func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// nullMS maps a NULL-able _ms column to a time; NULL becomes the zero time.
func nullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func (db *DB) nowMS() int64 { return ms(db.now()) }
