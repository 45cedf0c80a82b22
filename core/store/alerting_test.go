package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
)

func TestAlertStateAndSettings(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AlertState(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("state before the first save: %v", err)
	}
	for _, s := range []string{`{"seq":1}`, `{"seq":2}`} {
		if err := db.Write(ctx, func(tx *sql.Tx) error { return db.SaveAlertStateTx(ctx, tx, []byte(s)) }); err != nil {
			t.Fatal(err)
		}
	}
	// A transaction that fails after saving the state leaves the old state.
	boom := errors.New("boom")
	if err := db.Write(ctx, func(tx *sql.Tx) error {
		if err := db.SaveAlertStateTx(ctx, tx, []byte(`{"seq":3}`)); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if err := db.SaveSetting(ctx, "alert.rules", []byte(`[{"name":"x"}]`), "admin",
		AuditEntry{Actor: "admin", Action: "rules.update"}); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveSetting(ctx, "alert.rules", []byte(`{bad`), "admin"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("invalid JSON setting: %v", err)
	}
	db.Close()
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if s, err := db.AlertState(ctx); err != nil || string(s) != `{"seq":2}` {
		t.Fatalf("AlertState = %s, %v; want seq 2", s, err)
	}
	if v, err := db.Setting(ctx, "alert.rules"); err != nil || string(v) != `[{"name":"x"}]` {
		t.Fatalf("Setting = %s, %v", v, err)
	}
	if _, err := db.Setting(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing setting: %v", err)
	}
}
