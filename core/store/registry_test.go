package store

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// checkChampion fails the test unless active = 1 exactly for the champion,
// the machine has at most one, and it is version want (0: none).
func checkChampion(t *testing.T, db *DB, machine string, want int64) {
	t.Helper()
	ms, err := db.Models(context.Background(), machine)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, m := range ms {
		if m.Active != (m.Stage == StageChampion) {
			t.Errorf("model %d: active %v with stage %s", m.Version, m.Active, m.Stage)
		}
		if m.Stage == StageChampion {
			got = append(got, m.Version)
		}
	}
	if want == 0 && len(got) == 0 {
		return
	}
	if len(got) != 1 || got[0] != want {
		t.Errorf("champions of %s = %v, want [%d]", machine, got, want)
	}
	if want != 0 {
		act, err := db.ActiveModel(context.Background(), machine)
		if err != nil || act.Version != want {
			t.Errorf("ActiveModel = %d, %v; want %d", act.Version, err, want)
		}
	}
}

func TestRegistryStages(t *testing.T) {
	ctx := context.Background()
	db, clk := openTest(t)
	mustMachine(t, db, "m1", "m2")

	// Learning saves champions directly.
	for i := 1; i <= 2; i++ {
		if _, err := db.SaveModel(ctx, "m1", "gmm", 1, []byte("learnt"), ""); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
	}
	checkChampion(t, db, "m1", 2)
	v1, _ := db.Model(ctx, "m1", 1)
	if v1.Stage != StageRetired || v1.PromotedAt == nil || !v1.PromotedAt.Equal(t0) {
		t.Errorf("model 1 after a second save: stage %s promoted %v; want retired, promoted at %v", v1.Stage, v1.PromotedAt, t0)
	}

	recall := 0.75
	info := ModelInfo{Dataset: "ab12cd34ef", CodeVersion: "1.4.0", Params: json.RawMessage(`{"k":3}`),
		TrainedFor: 1500 * time.Millisecond,
		Metrics:    &ModelMetrics{TestDataset: "ab12cd34ef", NormalHours: 2, FalseAlarms: 1, FalseAlarmsPerHour: 0.5, Faults: 4, Detected: 3, Recall: &recall}}
	c, err := db.SaveCandidate(ctx, "m1", "knn", 2.5, []byte("challenger"), info, "train:m1:ab12cd34ef")
	if err != nil || c != 3 {
		t.Fatalf("SaveCandidate = %d, %v; want 3", c, err)
	}
	// The job restarts: same key, same version, nothing new.
	if again, err := db.SaveCandidate(ctx, "m1", "knn", 9, []byte("other"), ModelInfo{}, "train:m1:ab12cd34ef"); err != nil || again != c {
		t.Errorf("SaveCandidate with the same key = %d, %v; want %d", again, err, c)
	}
	if _, err := db.SaveCandidate(ctx, "m2", "knn", 9, nil, ModelInfo{}, "train:m1:ab12cd34ef"); !errors.Is(err, ErrConflict) {
		t.Errorf("SaveCandidate with m1's key for m2: err = %v, want ErrConflict", err)
	}
	// Without a key every call is a new candidate.
	if v, err := db.SaveCandidate(ctx, "m1", "knn", 2, nil, ModelInfo{}, ""); err != nil || v != 4 {
		t.Errorf("SaveCandidate without key = %d, %v; want 4", v, err)
	}
	checkChampion(t, db, "m1", 2)

	got, err := db.Model(ctx, "m1", c)
	if err != nil {
		t.Fatal(err)
	}
	if got.Stage != StageCandidate || got.Active || got.PromotedAt != nil || got.Dataset != info.Dataset ||
		got.CodeVersion != "1.4.0" || string(got.Params) != `{"k":3}` || got.TrainedFor != 1500*time.Millisecond ||
		got.Metrics == nil || got.Metrics.Recall == nil || *got.Metrics.Recall != 0.75 || got.Metrics.FalseAlarms != 1 ||
		got.TrainKey != "train:m1:ab12cd34ef" || string(got.Blob) != "challenger" {
		t.Errorf("candidate = %+v (metrics %+v)", got, got.Metrics)
	}

	if err := db.SetModelMetrics(ctx, "m1", 2, ModelMetrics{NormalHours: 2, FalseAlarms: 4, FalseAlarmsPerHour: 2}); err != nil {
		t.Fatal(err)
	}
	if err := db.RejectCandidate(ctx, "m1", 4, "recall 0.2 < champion's 0.5"); err != nil {
		t.Fatal(err)
	}
	rej, _ := db.Model(ctx, "m1", 4)
	if rej.Stage != StageCandidate || rej.Reason != "recall 0.2 < champion's 0.5" {
		t.Errorf("rejected candidate: stage %s reason %q", rej.Stage, rej.Reason)
	}

	clk.Advance(time.Minute)
	audit := AuditEntry{Actor: "admin-token", Action: "model.promote", Target: "machine/m1", Detail: "better on both"}
	if err := db.Promote(ctx, "m1", c, "FA/h 0.5 < 2", audit); err != nil {
		t.Fatal(err)
	}
	checkChampion(t, db, "m1", c)
	got, _ = db.Model(ctx, "m1", c)
	if got.Reason != "FA/h 0.5 < 2" || got.PromotedAt == nil || !got.PromotedAt.Equal(clk.Now()) {
		t.Errorf("promoted: reason %q promoted at %v", got.Reason, got.PromotedAt)
	}
	old, _ := db.Model(ctx, "m1", 2)
	if old.Stage != StageRetired || old.Metrics == nil || old.Metrics.FalseAlarms != 4 {
		t.Errorf("old champion: stage %s metrics %+v", old.Stage, old.Metrics)
	}
	es, _ := db.Audit(ctx, AuditFilter{Action: "model.promote"})
	if len(es) != 1 || es[0].Detail != "champion 2 → 3: better on both" || es[0].Actor != "admin-token" {
		t.Errorf("audit = %+v", es)
	}
	checkChampion(t, db, "m2", 0)

	// ActivateModel keeps the stages consistent too.
	if err := db.ActivateModel(ctx, "m1", 1); err != nil {
		t.Fatal(err)
	}
	checkChampion(t, db, "m1", 1)
	if err := db.ActivateModel(ctx, "m1", 1); err != nil {
		t.Errorf("ActivateModel of the champion: %v", err)
	}
	checkChampion(t, db, "m1", 1)
}

// Rollback walks back along the champions' history: twice in a row goes two
// champions back, never to the one a rollback retired, and a promotion after
// a rollback is undone by the next rollback.
func TestRollback(t *testing.T) {
	ctx := context.Background()
	db, clk := openTest(t)
	mustMachine(t, db, "m1")
	if _, err := db.Rollback(ctx, "m1", TaskDetect, "nothing yet"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Rollback without models: err = %v, want ErrNotFound", err)
	}
	for i := 0; i < 3; i++ { // champions 1, 2, 3
		if _, err := db.SaveModel(ctx, "m1", "gmm", 1, nil, ""); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
	}
	cand, err := db.SaveCandidate(ctx, "m1", "gmm", 1, nil, ModelInfo{}, "") // 4: never champion
	if err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		name    string
		do      func() (int64, error)
		want    int64 // champion afterwards
		wantErr error
	}{
		{"first rollback returns the previous champion", rollback(db, "bad alarms"), 2, nil},
		{"second rollback walks back further", rollback(db, "still bad"), 1, nil},
		{"nothing before the first", rollback(db, "again"), 1, ErrNotFound},
		{"promote the candidate", promote(db, cand), cand, nil},
		{"rollback undoes that promotion", rollback(db, "candidate misbehaves"), 1, nil},
		{"promote a rolled-back model explicitly", promote(db, 3), 3, nil},
		{"rollback returns to the one it replaced", rollback(db, "no"), 1, nil},
	}
	for _, st := range steps {
		clk.Advance(time.Minute)
		v, err := st.do()
		if !errors.Is(err, st.wantErr) {
			t.Fatalf("%s: err = %v, want %v", st.name, err, st.wantErr)
		}
		if err == nil && v != st.want {
			t.Errorf("%s: returned %d, want %d", st.name, v, st.want)
		}
		checkChampion(t, db, "m1", st.want)
	}
	m3, _ := db.Model(ctx, "m1", 3)
	if m3.Stage != StageRetired || m3.Reason != "rolled back: no" || m3.RolledBackAt == nil {
		t.Errorf("model 3 after the last rollback: %+v", m3)
	}
	es, _ := db.Audit(ctx, AuditFilter{Action: "model.rollback"})
	if len(es) != 4 || es[0].Detail != "champion 3 → 1: no" || es[3].Detail != "champion 3 → 2: bad alarms" {
		t.Errorf("rollback audit entries = %+v", es)
	}
}

func rollback(db *DB, reason string) func() (int64, error) {
	return func() (int64, error) {
		return db.Rollback(context.Background(), "m1", TaskDetect, reason,
			AuditEntry{Actor: "local:root", Action: "model.rollback", Target: "machine/m1", Detail: reason})
	}
}

func promote(db *DB, v int64) func() (int64, error) {
	return func() (int64, error) {
		return v, db.Promote(context.Background(), "m1", v, "by hand",
			AuditEntry{Actor: "local:root", Action: "model.promote", Target: "machine/m1"})
	}
}

func TestRegistryErrors(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	mustMachine(t, db, "m1", "m2")
	if _, err := db.SaveModel(ctx, "m1", "gmm", 1, nil, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SaveCandidate(ctx, "m2", "gmm", 1, nil, ModelInfo{}, ""); err != nil {
		t.Fatal(err)
	}
	audit := AuditEntry{Actor: "tok", Action: "model.promote"}
	tests := []struct {
		name string
		op   func() error
		want error
	}{
		{"promote unknown", func() error { return db.Promote(ctx, "m1", 9, "", audit) }, ErrNotFound},
		{"promote the champion", func() error { return db.Promote(ctx, "m1", 1, "", audit) }, ErrConflict},
		{"promote of another machine's version", func() error { return db.Promote(ctx, "ghost", 1, "", audit) }, ErrNotFound},
		{"promote with a bad audit entry", func() error { return db.Promote(ctx, "m2", 1, "", AuditEntry{}) }, ErrInvalid},
		{"reject the champion", func() error { return db.RejectCandidate(ctx, "m1", 1, "x") }, ErrConflict},
		{"reject unknown", func() error { return db.RejectCandidate(ctx, "m1", 9, "x") }, ErrNotFound},
		{"metrics of unknown", func() error { return db.SetModelMetrics(ctx, "m1", 9, ModelMetrics{}) }, ErrNotFound},
		{"rollback with only a candidate", func() error { _, err := db.Rollback(ctx, "m2", TaskDetect, ""); return err }, ErrNotFound},
		{"rollback with one champion", func() error { _, err := db.Rollback(ctx, "m1", "", ""); return err }, ErrNotFound},
		{"candidate params not JSON", func() error {
			_, err := db.SaveCandidate(ctx, "m1", "gmm", 1, nil, ModelInfo{Params: json.RawMessage("{")}, "")
			return err
		}, ErrInvalid},
		{"candidate of unknown machine", func() error { _, err := db.SaveCandidate(ctx, "ghost", "gmm", 1, nil, ModelInfo{}, ""); return err }, ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.op(); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	// A failed promotion changed nothing and left no audit record.
	checkChampion(t, db, "m1", 1)
	checkChampion(t, db, "m2", 0)
	if es, _ := db.Audit(ctx, AuditFilter{}); len(es) != 0 {
		t.Errorf("audit after failures = %+v, want none", es)
	}
	// The schema refuses a write that breaks active = 1 ⇔ champion.
	for _, q := range []string{
		"UPDATE models SET active = 0 WHERE machine_id = 'm1'",
		"UPDATE models SET stage = 'champion' WHERE machine_id = 'm2'",
		"INSERT INTO models (machine_id, version, kind, created_at_ms, threshold, blob, active, stage) VALUES ('m2', 5, 'gmm', 0, 1, x'', 1, 'candidate')",
	} {
		if _, err := db.w.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "champion") {
			t.Errorf("%s: err = %v, want the invariant trigger's", q, err)
		}
	}
}

// migrationsBefore is the embedded migrations whose names sort before first: a database as
// an older release left it.
func migrationsBefore(first string) fstest.MapFS {
	before := fstest.MapFS{}
	entries, _ := fs.ReadDir(embeddedMigrations, "migrations")
	for _, e := range entries {
		if e.Name() < first {
			b, _ := fs.ReadFile(embeddedMigrations, "migrations/"+e.Name())
			before["migrations/"+e.Name()] = &fstest.MapFile{Data: b}
		}
	}
	return before
}

// Models saved before the registry existed become champion (the active one)
// and retired (the others), each promoted when it was created, so rollback
// works on the old history.
func TestRegistryMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	db, err := Open(ctx, path, withMigrations(migrationsBefore("0009")))
	if err != nil {
		t.Fatal(err)
	}
	mustMachine(t, db, "m1")
	for i, active := range []int{0, 0, 1} {
		if _, err := db.w.ExecContext(ctx, `INSERT INTO models (machine_id, version, kind, created_at_ms, threshold, blob, active)
			VALUES ('m1', ?, 'gmm', ?, 1, x'', ?)`, i+1, 1000*(i+1), active); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	checkChampion(t, db, "m1", 3)
	ms, _ := db.Models(ctx, "m1")
	for _, m := range ms {
		if m.PromotedAt == nil || m.PromotedAt.UnixMilli() != m.CreatedAt.UnixMilli() {
			t.Errorf("model %d promoted at %v, want its creation %v", m.Version, m.PromotedAt, m.CreatedAt)
		}
	}
	if v, err := db.Rollback(ctx, "m1", TaskDetect, "after upgrade"); err != nil || v != 2 {
		t.Errorf("Rollback after migration = %d, %v; want 2", v, err)
	}
}
