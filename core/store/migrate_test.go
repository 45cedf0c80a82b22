package store

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func TestMigrateFromEmpty(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	migs, err := loadMigrations(embeddedMigrations)
	if err != nil {
		t.Fatal(err)
	}
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := migs[len(migs)-1].version; v != want || v < 1 {
		t.Fatalf("SchemaVersion = %d, want %d", v, want)
	}
	var n int
	if err := db.r.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n != len(migs) {
		t.Fatalf("schema_migrations has %d rows (%v), want one per migration (%d)", n, err, len(migs))
	}
	var uv int
	if err := db.r.QueryRowContext(ctx, "PRAGMA user_version").Scan(&uv); err != nil || uv != v {
		t.Fatalf("user_version = %d (%v), want %d", uv, err, v)
	}
	var name string
	var applied int64
	if err := db.r.QueryRowContext(ctx, "SELECT name, applied_at_ms FROM schema_migrations WHERE version = 1").Scan(&name, &applied); err != nil {
		t.Fatal(err)
	}
	if name != "init" || applied != t0.UnixMilli() {
		t.Errorf("migration 1 recorded as %q at %d, want \"init\" at %d (injected clock)", name, applied, t0.UnixMilli())
	}
	for _, table := range []string{"machines", "sensors", "sensor_events", "scores", "score_rollups", "events", "models"} {
		var n int
		if err := db.r.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?", table).Scan(&n); err != nil || n != 1 {
			t.Errorf("table %s: count %d, err %v", table, n, err)
		}
	}
}

func TestPragmas(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	for _, tc := range []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "1"}, // NORMAL
		{"busy_timeout", "5000"},
		{"foreign_keys", "1"},
	} {
		var got string
		if err := db.w.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("writer PRAGMA %s = %q, want %q", tc.pragma, got, tc.want)
		}
		if err := db.r.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("reader PRAGMA %s = %q, want %q", tc.pragma, got, tc.want)
		}
	}
	// The read pool refuses writes.
	if _, err := db.r.ExecContext(ctx, "INSERT INTO machines (id, created_at_ms, updated_at_ms) VALUES ('x', 0, 0)"); err == nil {
		t.Error("write through the read pool succeeded; want query_only error")
	}
	if got := db.w.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("writer MaxOpenConnections = %d, want 1", got)
	}
	if got := db.r.Stats().MaxOpenConnections; got != DefaultReadConns {
		t.Errorf("reader MaxOpenConnections = %d, want %d", got, DefaultReadConns)
	}
}

func TestReopenIsNoop(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	db, err := Open(ctx, path, WithNow(func() time.Time { return t0 }))
	if err != nil {
		t.Fatal(err)
	}
	mustMachine(t, db, "m1")
	v1, _ := db.SchemaVersion(ctx)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	later := t0.Add(24 * time.Hour)
	db, err = Open(ctx, path, WithNow(func() time.Time { return later }))
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	v2, _ := db.SchemaVersion(ctx)
	if v1 != v2 {
		t.Errorf("version changed on reopen: %d → %d", v1, v2)
	}
	var n int
	var maxApplied int64
	if err := db.r.QueryRowContext(ctx, "SELECT count(*), max(applied_at_ms) FROM schema_migrations").Scan(&n, &maxApplied); err != nil {
		t.Fatal(err)
	}
	migs, _ := loadMigrations(embeddedMigrations)
	if n != len(migs) || maxApplied != t0.UnixMilli() {
		t.Errorf("schema_migrations has %d rows, last applied %d; want %d rows applied at %d", n, maxApplied, len(migs), t0.UnixMilli())
	}
	if _, err := db.Machine(ctx, "m1"); err != nil {
		t.Errorf("data lost on reopen: %v", err)
	}
}

func TestRefuseNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	known, _ := db.SchemaVersion(ctx)
	newer := known + 3
	if _, err := db.w.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, 'from_the_future', 0)", newer); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, path)
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open of newer schema: err = %v, want ErrSchemaTooNew", err)
	}
	for _, want := range []string{"version " + strconv.Itoa(newer), "up to version " + strconv.Itoa(known)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestLoadMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name     string
		fs       fstest.MapFS
		versions []int
		wantErr  string
	}{
		{"ordered", fstest.MapFS{
			"migrations/0002_b.sql": file("SELECT 2"),
			"migrations/0001_a.sql": file("SELECT 1"),
		}, []int{1, 2}, ""},
		// Numbers are reserved per workstream: 0003 may come before 0002 is merged.
		{"gap", fstest.MapFS{
			"migrations/0001_a.sql": file(""),
			"migrations/0003_c.sql": file(""),
		}, []int{1, 3}, ""},
		{"duplicate", fstest.MapFS{
			"migrations/0001_a.sql": file(""),
			"migrations/0001_b.sql": file(""),
		}, nil, "versions must be unique"},
		{"zero", fstest.MapFS{
			"migrations/0000_a.sql": file(""),
			"migrations/0001_b.sql": file(""),
		}, nil, "versions start at 1"},
		{"bad name", fstest.MapFS{
			"migrations/1_a.sql": file(""),
		}, nil, "0001_name.sql"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			migs, err := loadMigrations(tc.fs)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, m := range migs {
				got = append(got, m.version)
			}
			if len(got) != len(tc.versions) || got[0] != tc.versions[0] || got[1] != tc.versions[1] {
				t.Errorf("versions = %v, want %v", got, tc.versions)
			}
		})
	}
}

// A failing migration leaves the file at the previous whole version, and a
// fixed migration applies on the next open.
func TestFailedMigrationRollsBack(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	good := &fstest.MapFile{Data: []byte("CREATE TABLE a (x INTEGER);")}
	broken := fstest.MapFS{
		"migrations/0001_a.sql": good,
		"migrations/0002_b.sql": {Data: []byte("CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);")},
	}
	_, err := Open(ctx, path, withMigrations(broken))
	if err == nil || !strings.Contains(err.Error(), "0002_b") {
		t.Fatalf("Open with broken migration: err = %v, want one naming 0002_b", err)
	}

	fixed := fstest.MapFS{
		"migrations/0001_a.sql": good,
		"migrations/0002_b.sql": {Data: []byte("CREATE TABLE b (x INTEGER); INSERT INTO b VALUES (1);")},
	}
	db, err := Open(ctx, path, withMigrations(fixed))
	if err != nil {
		t.Fatalf("Open with fixed migration: %v", err)
	}
	defer db.Close()
	var n int
	if err := db.r.QueryRowContext(ctx, "SELECT count(*) FROM b").Scan(&n); err != nil || n != 1 {
		t.Errorf("table b has %d rows (%v), want 1: the broken attempt must have rolled back", n, err)
	}
	if v, _ := db.SchemaVersion(ctx); v != 2 {
		t.Errorf("SchemaVersion = %d, want 2", v)
	}
}

func TestOpenRejectsBadPaths(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x.db", "a?b.db"} {
		if _, err := Open(context.Background(), p); !errors.Is(err, ErrInvalid) {
			t.Errorf("Open(%q): err = %v, want ErrInvalid", p, err)
		}
	}
}

// A file migrated by a build with a gap (0001, 0003) gets the missing
// migration when a build that has it opens the file; a build that lacks a
// migration the file has refuses it.
func TestMigrateFillsGap(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	a := &fstest.MapFile{Data: []byte("CREATE TABLE a (x INTEGER);")}
	b := &fstest.MapFile{Data: []byte("CREATE TABLE b (x INTEGER);")}
	c := &fstest.MapFile{Data: []byte("CREATE TABLE c (x INTEGER);")}
	gap := fstest.MapFS{"migrations/0001_a.sql": a, "migrations/0003_c.sql": c}
	db, err := Open(ctx, path, withMigrations(gap))
	if err != nil {
		t.Fatalf("Open with a gap: %v", err)
	}
	if v, _ := db.SchemaVersion(ctx); v != 3 {
		t.Errorf("SchemaVersion = %d, want 3", v)
	}
	db.Close()

	full := fstest.MapFS{"migrations/0001_a.sql": a, "migrations/0002_b.sql": b, "migrations/0003_c.sql": c}
	db, err = Open(ctx, path, withMigrations(full))
	if err != nil {
		t.Fatalf("Open with the gap filled: %v", err)
	}
	var n int
	if err := db.r.QueryRowContext(ctx, "SELECT count(*) FROM b").Scan(&n); err != nil {
		t.Errorf("table b of migration 0002 missing: %v", err)
	}
	if err := db.r.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n != 3 {
		t.Errorf("schema_migrations has %d rows (%v), want 3", n, err)
	}
	var uv int
	if err := db.r.QueryRowContext(ctx, "PRAGMA user_version").Scan(&uv); err != nil || uv != 3 {
		t.Errorf("user_version = %d (%v), want 3", uv, err)
	}
	db.Close()

	// The gap build again: the file has 0002, which it does not know.
	_, err = Open(ctx, path, withMigrations(gap))
	if !errors.Is(err, ErrSchemaTooNew) || !strings.Contains(err.Error(), "migration 0002") {
		t.Fatalf("Open by a build without 0002: err = %v, want ErrSchemaTooNew naming migration 0002", err)
	}
}
