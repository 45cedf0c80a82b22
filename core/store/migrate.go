package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
)

// embeddedMigrations holds the schema history. Files are named
// NNNN_name.sql, numbered from 0001 without gaps; a released file is never
// edited, a change is a new file.
//
//go:embed migrations/*.sql
var embeddedMigrations embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

var migrationName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.sql$`)

// loadMigrations reads migrations/*.sql from fsys and checks that versions
// run 1..n without gaps or duplicates.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var migs []migration
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration file %q: name must look like 0001_name.sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		b, err := fs.ReadFile(fsys, path.Join("migrations", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %q: %w", e.Name(), err)
		}
		migs = append(migs, migration{version: v, name: m[2], sql: string(b)})
	}
	sort.Slice(migs, func(i, j int) bool { return migs[i].version < migs[j].version })
	for i, m := range migs {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %04d_%s: expected version %d (versions must run from 1 without gaps or duplicates)", m.version, m.name, i+1)
		}
	}
	return migs, nil
}

// SchemaVersion returns the highest migration version applied to the file.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.r.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("store: schema version: %w", err)
	}
	return v, nil
}

// migrate applies the pending migrations, each in its own write transaction
// together with its schema_migrations row, so a crash leaves the file at a
// whole version. The version is re-read inside each transaction, so two
// processes opening the same new file at once apply each migration once.
func (db *DB) migrate(ctx context.Context, migs []migration) error {
	_, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version       INTEGER PRIMARY KEY,
		name          TEXT    NOT NULL,
		applied_at_ms INTEGER NOT NULL
	) STRICT`)
	if err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	known := len(migs)
	for _, m := range migs {
		err := db.Write(ctx, func(tx *sql.Tx) error {
			cur, err := currentVersion(ctx, tx)
			if err != nil {
				return err
			}
			if cur > known {
				return tooNew(cur, known)
			}
			if cur >= m.version {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("apply migration %04d_%s: %w", m.version, m.name, err)
			}
			if _, err := tx.ExecContext(ctx,
				"INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)",
				m.version, m.name, db.nowMS()); err != nil {
				return fmt.Errorf("record migration %04d_%s: %w", m.version, m.name, err)
			}
			// user_version mirrors the schema version for external tools.
			if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
				return fmt.Errorf("record migration %04d_%s: %w", m.version, m.name, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	// Also covers a file that is ahead while the code has no migrations pending.
	var cur int
	if err := db.Write(ctx, func(tx *sql.Tx) error {
		var err error
		cur, err = currentVersion(ctx, tx)
		return err
	}); err != nil {
		return err
	}
	if cur > known {
		return tooNew(cur, known)
	}
	return nil
}

func currentVersion(ctx context.Context, tx *sql.Tx) (int, error) {
	var v int
	if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

func tooNew(dbVersion, known int) error {
	return fmt.Errorf("database schema version %d, this program knows up to version %d; upgrade SignalCraft or restore an older backup: %w",
		dbVersion, known, ErrSchemaTooNew)
}
