package store

import (
	"context"
	"path/filepath"
	"regexp"
	"testing"
)

// TestInstanceID: every database gets its own id when it is created; reopening keeps it;
// RenewInstance replaces it and remembers the one it replaced.
func TestInstanceID(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func(name string) *DB {
		t.Helper()
		db, err := Open(ctx, filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	id := func(db *DB) Instance {
		t.Helper()
		in, err := db.Instance(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return in
	}
	a := open("a.db")
	first := id(a)
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(first.ID) || first.CreatedAt.IsZero() || first.Previous != "" {
		t.Fatalf("instance of a new database: %+v", first)
	}
	a.Close()
	a = open("a.db")
	if again := id(a); again != first {
		t.Errorf("reopened: %+v, want %+v", again, first)
	}
	b := open("b.db")
	defer b.Close()
	if other := id(b); other.ID == first.ID {
		t.Errorf("two databases share instance id %s", other.ID)
	}
	renewed, err := a.RenewInstance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if renewed.ID == first.ID || renewed.Previous != first.ID || len(renewed.ID) != 16 {
		t.Errorf("renewed: %+v (was %s)", renewed, first.ID)
	}
	a.Close()
	a = open("a.db")
	defer a.Close()
	if got := id(a); got.ID != renewed.ID {
		t.Errorf("renewed id not kept: %+v", got)
	}
}
