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
// NNNN_name.sql with unique numbers; a released file is never edited, a
// change is a new file. Numbers are reserved per workstream, so a branch may
// hold 0009 before 0008 is merged: a gap is allowed, and migrate applies
// every migration the file has not recorded, whatever the file's highest
// version (see migrate).
//
//go:embed migrations/*.sql
var embeddedMigrations embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

var migrationName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.sql$`)

// loadMigrations reads migrations/*.sql from fsys, sorted by version, and
// checks that no version is used twice.
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
		if m.version < 1 {
			return nil, fmt.Errorf("migration %04d_%s: versions start at 1", m.version, m.name)
		}
		if i > 0 && migs[i-1].version == m.version {
			return nil, fmt.Errorf("migration %04d_%s: version %d is also %04d_%s (versions must be unique)",
				m.version, m.name, m.version, migs[i-1].version, migs[i-1].name)
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

// migrate applies the pending migrations in version order, each in its own
// write transaction together with its schema_migrations row, so a crash
// leaves the file at a whole version. A migration is pending when its
// version is not recorded in schema_migrations — not when it is above the
// highest recorded one — so a file migrated by a build that had 0009 but not
// yet 0008 gets 0008 when a build with both opens it. The applied versions
// are re-read inside each transaction, so two processes opening the same new
// file at once apply each migration once. A file recording a version this
// program does not know (a newer build's) is refused with ErrSchemaTooNew.
func (db *DB) migrate(ctx context.Context, migs []migration) error {
	_, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version       INTEGER PRIMARY KEY,
		name          TEXT    NOT NULL,
		applied_at_ms INTEGER NOT NULL
	) STRICT`)
	if err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	known := map[int]bool{}
	highest := 0
	for _, m := range migs {
		known[m.version] = true
		highest = max(highest, m.version)
	}
	for _, m := range migs {
		err := db.Write(ctx, func(tx *sql.Tx) error {
			applied, err := appliedVersions(ctx, tx)
			if err != nil {
				return err
			}
			if err := checkKnown(applied, known, highest); err != nil {
				return err
			}
			if applied[m.version] {
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
			// user_version mirrors the schema version (the highest applied) for external tools.
			v := m.version
			for a := range applied {
				v = max(v, a)
			}
			if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v)); err != nil {
				return fmt.Errorf("record migration %04d_%s: %w", m.version, m.name, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	// Also covers a file that is ahead while the code has no migrations pending.
	return db.Write(ctx, func(tx *sql.Tx) error {
		applied, err := appliedVersions(ctx, tx)
		if err != nil {
			return err
		}
		return checkKnown(applied, known, highest)
	})
}

func appliedVersions(ctx context.Context, tx *sql.Tx) (map[int]bool, error) {
	rows, err := tx.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read schema versions: %w", err)
	}
	defer rows.Close()
	out := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("read schema versions: %w", err)
		}
		out[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema versions: %w", err)
	}
	return out, nil
}

// checkKnown refuses a file that recorded a migration this program lacks.
func checkKnown(applied, known map[int]bool, highest int) error {
	unknown := 0
	for v := range applied {
		if !known[v] && v > unknown {
			unknown = v
		}
	}
	if unknown == 0 {
		return nil
	}
	if unknown > highest {
		return tooNew(unknown, highest)
	}
	return fmt.Errorf("database has migration %04d, which this program does not have (it knows up to version %d); upgrade SignalCraft or restore an older backup: %w",
		unknown, highest, ErrSchemaTooNew)
}

func tooNew(dbVersion, known int) error {
	return fmt.Errorf("database schema version %d, this program knows up to version %d; upgrade SignalCraft or restore an older backup: %w",
		dbVersion, known, ErrSchemaTooNew)
}
