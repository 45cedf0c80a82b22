package store

import (
	"bytes"
	"context"
	"errors"
	"math"
	"testing"
	"time"
)

func TestModels(t *testing.T) {
	ctx := context.Background()
	db, clk := openTest(t)
	mustMachine(t, db, "m1", "m2")

	if _, err := db.ActiveModel(ctx, "m1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ActiveModel with none: err = %v, want ErrNotFound", err)
	}
	blobs := [][]byte{[]byte("model-one"), []byte("model-two"), {0, 1, 2, 255}}
	for i, b := range blobs {
		v, err := db.SaveModel(ctx, "m1", "mahalanobis", float64(i)+0.5, b, "fit "+string(rune('a'+i)))
		if err != nil {
			t.Fatal(err)
		}
		if v != int64(i+1) {
			t.Errorf("SaveModel version = %d, want %d", v, i+1)
		}
		clk.Advance(time.Minute)
	}
	// Versions are per machine.
	if v, err := db.SaveModel(ctx, "m2", "gmm", 1, nil, ""); err != nil || v != 1 {
		t.Errorf("m2 first version = %d, %v; want 1", v, err)
	}

	act, err := db.ActiveModel(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	if act.Version != 3 || !act.Active || !bytes.Equal(act.Blob, blobs[2]) || act.Threshold != 2.5 ||
		act.Kind != "mahalanobis" || !act.CreatedAt.Equal(t0.Add(2*time.Minute)) || act.Note != "fit c" {
		t.Errorf("ActiveModel = %+v", act)
	}
	list, err := db.Models(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].Version != 3 || list[2].Version != 1 {
		t.Fatalf("Models = %+v", list)
	}
	for _, m := range list {
		if m.Blob != nil {
			t.Errorf("Models returned the blob of version %d", m.Version)
		}
		if m.Active != (m.Version == 3) {
			t.Errorf("version %d active = %v", m.Version, m.Active)
		}
	}

	// Rollback to version 1.
	if err := db.ActivateModel(ctx, "m1", 1); err != nil {
		t.Fatal(err)
	}
	act, _ = db.ActiveModel(ctx, "m1")
	if act.Version != 1 || !bytes.Equal(act.Blob, blobs[0]) {
		t.Errorf("after ActivateModel(1): active %d", act.Version)
	}
	// A new save after a rollback still takes the next free version.
	if v, _ := db.SaveModel(ctx, "m1", "mahalanobis", 1, []byte("x"), ""); v != 4 {
		t.Errorf("version after rollback = %d, want 4", v)
	}
	m2, err := db.Model(ctx, "m1", 2)
	if err != nil || !bytes.Equal(m2.Blob, blobs[1]) || m2.Active {
		t.Errorf("Model(m1, 2) = %+v, %v", m2, err)
	}

	tests := []struct {
		name string
		op   func() error
		want error
	}{
		{"activate unknown", func() error { return db.ActivateModel(ctx, "m1", 99) }, ErrNotFound},
		{"model unknown", func() error { _, err := db.Model(ctx, "m1", 99); return err }, ErrNotFound},
		{"save unknown machine", func() error { _, err := db.SaveModel(ctx, "ghost", "gmm", 1, nil, ""); return err }, ErrNotFound},
		{"save empty kind", func() error { _, err := db.SaveModel(ctx, "m1", "", 1, nil, ""); return err }, ErrInvalid},
		{"save NaN threshold", func() error { _, err := db.SaveModel(ctx, "m1", "gmm", math.NaN(), nil, ""); return err }, ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.op(); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}
