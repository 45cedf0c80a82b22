package store

import (
	"context"
	"errors"
	"testing"
)

func TestDiagnosisModels(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	mustMachine(t, db, "m1")
	if _, err := db.ActiveDiagnosisModel(ctx, "m1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no model yet: %v, want ErrNotFound", err)
	}
	v1, err := db.SaveDiagnosisModel(ctx, "m1", "rf+svm", []byte("one"), "abc", "first")
	if err != nil || v1 != 1 {
		t.Fatalf("first save: %d, %v", v1, err)
	}
	v2, err := db.SaveDiagnosisModel(ctx, "m1", "rf", []byte("two"), "", "")
	if err != nil || v2 != 2 {
		t.Fatalf("second save: %d, %v", v2, err)
	}
	m, err := db.ActiveDiagnosisModel(ctx, "m1")
	if err != nil || m.Version != 2 || string(m.Blob) != "two" || m.Kind != "rf" || !m.Active {
		t.Fatalf("active model: %+v, %v; want version 2", m, err)
	}
	if _, err := db.SaveDiagnosisModel(ctx, "nope", "rf", []byte("x"), "", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown machine: %v", err)
	}
	if _, err := db.SaveDiagnosisModel(ctx, "m1", "rf", nil, "", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty model: %v", err)
	}
}
