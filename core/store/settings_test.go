package store

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
)

func TestMachineSettings(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SaveMachineSettings(ctx, MachineSettings{MachineID: "fan-1", Settings: json.RawMessage(`{"name":"A"}`), UpdatedBy: "admin"}); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveMachineSettings(ctx, MachineSettings{MachineID: "fan-1", Settings: json.RawMessage(`{"name":"B"}`), UpdatedBy: "ops"}); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveMachineSettings(ctx, MachineSettings{MachineID: "fan-2", Settings: json.RawMessage(`{bad`)}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("invalid JSON accepted: %v", err)
	}
	db.Close()
	db, err = Open(ctx, path) // settings survive a restart
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	all, err := db.AllMachineSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || string(all["fan-1"].Settings) != `{"name":"B"}` || all["fan-1"].UpdatedBy != "ops" || all["fan-1"].UpdatedAt.IsZero() {
		t.Fatalf("AllMachineSettings = %+v", all)
	}
}
