package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// A machine's normal models and fault classifiers share its version series and registry,
// each task with its own champion and rollback history.
func TestModelTasks(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	mustMachine(t, db, "m1")
	diag := ModelInfo{Task: TaskDiagnose, Dataset: "abc"}
	steps := []struct {
		name string
		save func() (int64, error)
	}{
		{"normal model", func() (int64, error) { return db.SaveModel(ctx, "m1", "gmm", 1, []byte("d1"), "") }},
		{"classifier", func() (int64, error) { return db.SaveModelInfo(ctx, "m1", "svm", 0.4, []byte("c2"), "", diag) }},
		{"classifier candidate", func() (int64, error) { return db.SaveCandidate(ctx, "m1", "rf", 0.5, []byte("c3"), diag, "") }},
	}
	for i, s := range steps {
		if v, err := s.save(); err != nil || v != int64(i+1) {
			t.Fatalf("%s: version %d, %v; want %d", s.name, v, err, i+1)
		}
	}
	active := func(task string, want int64) {
		t.Helper()
		m, err := db.ActiveModelFor(ctx, "m1", task)
		if err != nil || m.Version != want || m.Task != task {
			t.Fatalf("active %s model: v%d (%s), %v; want v%d", task, m.Version, m.Task, err, want)
		}
	}
	active(TaskDetect, 1)
	active(TaskDiagnose, 2)
	if m, err := db.ActiveModel(ctx, "m1"); err != nil || m.Version != 1 {
		t.Fatalf("ActiveModel is the normal model: v%d, %v", m.Version, err)
	}
	if err := db.Promote(ctx, "m1", 3, "better macro-F1"); err != nil {
		t.Fatal(err)
	}
	active(TaskDetect, 1) // the normal model stays
	active(TaskDiagnose, 3)
	if _, err := db.Rollback(ctx, "m1", TaskDetect, "none before"); !errors.Is(err, ErrNotFound) {
		t.Errorf("rollback of the normal model, which has no earlier champion: %v, want ErrNotFound", err)
	}
	if v, err := db.Rollback(ctx, "m1", TaskDiagnose, "worse on the floor"); err != nil || v != 2 {
		t.Fatalf("rollback of the classifier = v%d, %v; want v2", v, err)
	}
	active(TaskDiagnose, 2)
	active(TaskDetect, 1)
	ms, err := db.Models(ctx, "m1")
	if err != nil || len(ms) != 3 || ms[0].Task != TaskDiagnose || ms[2].Task != TaskDetect {
		t.Fatalf("Models = %+v, %v", ms, err)
	}
	if _, err := db.SaveModelInfo(ctx, "m1", "svm", 0, []byte("x"), "", ModelInfo{Task: "predict"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown task: %v, want ErrInvalid", err)
	}
	if _, err := db.Rollback(ctx, "m1", "predict", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("rollback of an unknown task: %v, want ErrInvalid", err)
	}
	if _, err := db.ActiveModelFor(ctx, "m2", TaskDiagnose); !errors.Is(err, ErrNotFound) {
		t.Errorf("machine without models: %v, want ErrNotFound", err)
	}
}

// The classifiers kept apart before 0012 move into the registry after the machine's normal
// models, the active one its champion.
func TestDiagnosisModelsMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	db, err := Open(ctx, path, withMigrations(migrationsBefore("0012")))
	if err != nil {
		t.Fatal(err)
	}
	mustMachine(t, db, "m1")
	for _, q := range []string{
		"INSERT INTO models (machine_id, version, kind, created_at_ms, threshold, blob, active, stage) VALUES ('m1', 1, 'gmm', 1000, 1, x'', 0, 'retired')",
		"INSERT INTO models (machine_id, version, kind, created_at_ms, threshold, blob, active, stage) VALUES ('m1', 2, 'gmm', 2000, 1, x'', 1, 'champion')",
		"INSERT INTO diagnosis_models (machine_id, version, kind, created_at_ms, dataset, blob, active) VALUES ('m1', 1, 'rf', 3000, 'd1', x'01', 0)",
		"INSERT INTO diagnosis_models (machine_id, version, kind, created_at_ms, dataset, blob, active) VALUES ('m1', 2, 'svm', 4000, 'd2', x'02', 1)",
	} {
		if _, err := db.w.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m, err := db.ActiveModelFor(ctx, "m1", TaskDiagnose)
	if err != nil || m.Version != 4 || m.Kind != "svm" || m.Dataset != "d2" || string(m.Blob) != "\x02" || m.Stage != StageChampion {
		t.Fatalf("moved classifier: %+v, %v; want v4 svm champion", m, err)
	}
	if old, err := db.Model(ctx, "m1", 3); err != nil || old.Task != TaskDiagnose || old.Stage != StageRetired {
		t.Fatalf("older classifier: %+v, %v; want v3 retired", old, err)
	}
	if d, err := db.ActiveModel(ctx, "m1"); err != nil || d.Version != 2 {
		t.Fatalf("normal model: v%d, %v; want v2", d.Version, err)
	}
	if v, err := db.Rollback(ctx, "m1", TaskDiagnose, "back"); err != nil || v != 3 {
		t.Errorf("rollback to the older classifier = v%d, %v; want v3", v, err)
	}
}
