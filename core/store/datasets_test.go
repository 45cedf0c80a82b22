package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"signalcraft/core/dataset"
)

func hexOf(c byte) string { return strings.Repeat(string(c), 64) }

func TestDatasetWorkingSet(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	mustMachine(t, db, "m1", "m2")
	a := dataset.Item{SHA256: hexOf('a'), Machine: "m1", Label: dataset.Normal, Start: t0.Add(time.Minute), Seconds: 10, Source: "import:a.wav"}
	b := dataset.Item{SHA256: hexOf('b'), Machine: "m1", Label: "leak", Split: dataset.Test, Start: t0, Seconds: 2.5, Source: "import:b.wav"}
	c := dataset.Item{SHA256: hexOf('c'), Machine: "m2", Label: dataset.Normal, Start: t0, Seconds: 1, Source: "learning"}
	for _, it := range []dataset.Item{a, b, c} {
		if err := db.PutDatasetItem(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.DatasetItems(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	b.Split = "" // not kept
	if len(got) != 2 || got[0] != b || got[1] != a {
		t.Fatalf("DatasetItems = %+v\nwant %+v, %+v", got, b, a)
	}
	a.Label = "leak" // a relabel replaces the row
	if err := db.PutDatasetItem(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteDatasetItem(ctx, "m1", "import:b.wav"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteDatasetItem(ctx, "m1", "import:b.wav"); err != nil {
		t.Errorf("deleting a missing item: %v", err)
	}
	got, _ = db.DatasetItems(ctx, "m1")
	if len(got) != 1 || got[0] != a {
		t.Errorf("after relabel and delete: %+v", got)
	}
	for name, tc := range map[string]struct {
		it   dataset.Item
		want error
	}{
		"unknown machine": {dataset.Item{SHA256: hexOf('d'), Machine: "nope", Label: "x", Start: t0, Source: "s"}, ErrNotFound},
		"bad sha":         {dataset.Item{SHA256: "abc", Machine: "m1", Label: "x", Start: t0, Source: "s"}, ErrInvalid},
		"no label":        {dataset.Item{SHA256: hexOf('d'), Machine: "m1", Start: t0, Source: "s"}, ErrInvalid},
	} {
		if err := db.PutDatasetItem(ctx, tc.it); !errors.Is(err, tc.want) {
			t.Errorf("%s: PutDatasetItem = %v, want %v", name, err, tc.want)
		}
	}
}

// TestLabelEventMaintainsWorkingSet labels events through LabelEventAudited, the API's
// path, and checks the working set and the audit count after each change.
func TestLabelEventMaintainsWorkingSet(t *testing.T) {
	ctx := context.Background()
	db, clk := openTest(t)
	mustMachine(t, db, "m1", "m2")
	event := func(m string, at time.Time, clip byte) int64 {
		id, err := db.OpenEvent(ctx, Event{MachineID: m, Start: at, PeakScore: 2, Threshold: 1})
		if err != nil {
			t.Fatal(err)
		}
		if clip != 0 {
			if _, err := db.AddClip(ctx, Clip{EventID: id, MachineID: m, Path: fmt.Sprintf("%s/%d.wav", m, id), Start: at.Add(-5 * time.Second),
				Duration: 12500 * time.Millisecond, Frames: 200000, SampleRate: 16000, Channels: 1, Size: 400044, SHA256: hexOf(clip)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.CloseEvent(ctx, id, at.Add(time.Second), 2); err != nil {
			t.Fatal(err)
		}
		return id
	}
	e1, e2, e3 := event("m1", t0, 'a'), event("m1", t0.Add(time.Minute), 0), event("m2", t0, 'c')
	label := func(id int64, l string) {
		t.Helper()
		if err := db.LabelEventAudited(ctx, id, l, AuditEntry{Actor: "op", Action: "event.label", Target: fmt.Sprintf("event/%d", id), Detail: l}); err != nil {
			t.Fatal(err)
		}
	}
	items := func(m string) string {
		t.Helper()
		its, err := db.DatasetItems(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, it := range its {
			out = append(out, fmt.Sprintf("%s=%s@%s+%gs:%s", it.Source, it.Label, it.Start.Format("15:04:05"), it.Seconds, it.SHA256[:2]))
		}
		return strings.Join(out, " ")
	}
	since := t0
	clk.Advance(time.Hour)
	steps := []struct {
		id     int64
		label  string
		m1, m2 string
	}{
		{e1, "false_alarm", "event:1=normal@11:59:55+12.5s:aa", ""},
		{e1, "bearing_outer_race", "event:1=bearing_outer_race@11:59:55+12.5s:aa", ""},
		{e2, "leak", "event:1=bearing_outer_race@11:59:55+12.5s:aa", ""}, // no clip, no item
		{e3, "false_alarm", "event:1=bearing_outer_race@11:59:55+12.5s:aa", "event:3=normal@11:59:55+12.5s:cc"},
		{e1, "", "", "event:3=normal@11:59:55+12.5s:cc"},
	}
	for i, s := range steps {
		label(s.id, s.label)
		if got := items("m1"); got != s.m1 {
			t.Errorf("step %d (event %d → %q): m1 working set %q, want %q", i, s.id, s.label, got, s.m1)
		}
		if got := items("m2"); got != s.m2 {
			t.Errorf("step %d (event %d → %q): m2 working set %q, want %q", i, s.id, s.label, got, s.m2)
		}
	}
	if n, err := db.LabelsSince(ctx, "m1", since); err != nil || n != 4 {
		t.Errorf("LabelsSince(m1) = %d, %v; want 4", n, err)
	}
	if n, _ := db.LabelsSince(ctx, "m2", since); n != 1 {
		t.Errorf("LabelsSince(m2) = %d, want 1", n)
	}
	if n, _ := db.LabelsSince(ctx, "m1", clk.Now().Add(time.Second)); n != 0 {
		t.Errorf("LabelsSince(later) = %d, want 0", n)
	}

	// A relabel after the clip row was pruned still relabels the item.
	label(e1, "leak")
	if err := db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM clips WHERE event_id = ?", e1)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	label(e1, "false_alarm")
	if got := items("m1"); got != "event:1=normal@11:59:55+12.5s:aa" {
		t.Errorf("relabel without the clip row: %q", got)
	}
	if err := db.LabelEventAudited(ctx, 999, "leak"); !errors.Is(err, ErrNotFound) {
		t.Errorf("label of an unknown event: %v", err)
	}
}

// TestLabelEventRollsBackWorkingSet checks the label, the working set and the audit entry
// commit together: a failing audit entry leaves no item.
func TestLabelEventRollsBackWorkingSet(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	mustMachine(t, db, "m1")
	id, err := db.OpenEvent(ctx, Event{MachineID: "m1", Start: t0, PeakScore: 2, Threshold: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddClip(ctx, Clip{EventID: id, MachineID: "m1", Path: "m1/1.wav", Start: t0, Duration: time.Second,
		Frames: 16000, SampleRate: 16000, Channels: 1, Size: 32044, SHA256: hexOf('a')}); err != nil {
		t.Fatal(err)
	}
	if err := db.LabelEventAudited(ctx, id, "false_alarm", AuditEntry{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("label with a bad audit entry: %v", err)
	}
	if its, _ := db.DatasetItems(ctx, "m1"); len(its) != 0 {
		t.Errorf("a rolled-back label left items %+v", its)
	}
}

func TestDatasetVersions(t *testing.T) {
	ctx := context.Background()
	db, clk := openTest(t)
	mustMachine(t, db, "m1")
	var items []dataset.Item
	for i := range 6 {
		label := dataset.Normal
		if i%3 == 2 {
			label = "leak"
		}
		items = append(items, dataset.Item{SHA256: hexOf("0123456789"[i]), Label: label, Start: t0.Add(time.Duration(i) * time.Minute), Seconds: 10, Source: fmt.Sprint("import:", i)})
	}
	m1 := dataset.New("m1", items[:4], 0.25)
	m2 := dataset.New("m1", items, 0.25)
	v1, created, err := db.SaveDatasetVersion(ctx, m1, "first")
	if err != nil || !created {
		t.Fatalf("SaveDatasetVersion = %+v, %v, %v", v1, created, err)
	}
	want := DatasetVersion{ID: m1.ID(), Machine: "m1", Note: "first", CreatedAt: t0, Items: 4, Normal: 3, Faults: 1, Seconds: 40}
	if v1 != want {
		t.Errorf("version %+v, want %+v", v1, want)
	}
	clk.Advance(time.Minute)
	again, created, err := db.SaveDatasetVersion(ctx, dataset.New("m1", items[:4], 0.25), "other note")
	if err != nil || created || again != want {
		t.Errorf("saving the same content again = %+v, %v, %v; want the first version, created=false", again, created, err)
	}
	v2, _, err := db.SaveDatasetVersion(ctx, m2, "")
	if err != nil {
		t.Fatal(err)
	}
	vs, err := db.DatasetVersions(ctx, "m1")
	if err != nil || len(vs) != 2 || vs[0].ID != v2.ID || vs[1].ID != v1.ID {
		t.Errorf("DatasetVersions = %+v, %v; want newest first", vs, err)
	}
	for _, id := range []string{m2.ID(), m2.ID()[:8], strings.ToUpper(m2.ID()[:12])} {
		m, v, err := db.DatasetVersion(ctx, id)
		if err != nil || v != v2 || m.ID() != m2.ID() {
			t.Errorf("DatasetVersion(%q) = %s, %+v, %v", id, m.ID(), v, err)
		}
	}
	for id, want := range map[string]error{
		m2.ID()[:7]:             ErrInvalid,
		"zzzzzzzzzz":            ErrInvalid,
		strings.Repeat("f", 64): ErrNotFound,
	} {
		if _, _, err := db.DatasetVersion(ctx, id); !errors.Is(err, want) {
			t.Errorf("DatasetVersion(%q) = %v, want %v", id, err, want)
		}
	}
	if _, _, err := db.SaveDatasetVersion(ctx, dataset.New("nope", items, 0.25), ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("version of an unknown machine: %v", err)
	}
	bad := dataset.Manifest{Machine: "m1", Items: []dataset.Item{{SHA256: "x"}}}
	if _, _, err := db.SaveDatasetVersion(ctx, bad, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("invalid manifest: %v", err)
	}
	// A manifest altered in the file is refused rather than returned under the wrong id.
	if err := db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE dataset_versions SET manifest = CAST(replace(CAST(manifest AS TEXT), 'leak', 'belt') AS BLOB) WHERE id = ?", v2.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.DatasetVersion(ctx, v2.ID); err == nil || !strings.Contains(err.Error(), "hashes to") {
		t.Errorf("altered manifest: %v", err)
	}
}

func TestDatasetVersionAmbiguousPrefix(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	mustMachine(t, db, "m1")
	// Two real manifests whose ids share 8 hex digits take ~2^32 tries to find: insert rows
	// with such ids directly.
	for _, id := range []string{"abcdef01" + strings.Repeat("0", 56), "abcdef01" + strings.Repeat("1", 56)} {
		if err := db.Write(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO dataset_versions (id, machine_id, created_at_ms, manifest, items, normal, faults, seconds)
				VALUES (?, 'm1', 0, X'7B7D', 0, 0, 0, 0)`, id)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := db.DatasetVersion(ctx, "abcdef01"); !errors.Is(err, ErrConflict) {
		t.Errorf("ambiguous prefix: %v, want ErrConflict", err)
	}
}

// TestMigrateDatasetsFrom0007 upgrades a database made at version 7 (with a machine and a
// labelled event) to the dataset tables.
func TestMigrateDatasetsFrom0007(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	db, err := Open(ctx, path, withMigrations(migrationsBefore("0008")))
	if err != nil {
		t.Fatal(err)
	}
	mustMachine(t, db, "m1")
	id, err := db.OpenEvent(ctx, Event{MachineID: "m1", Start: t0, PeakScore: 2, Threshold: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.ExecContext(ctx, "UPDATE events SET label = 'leak' WHERE id = ?", id); err != nil {
		t.Fatal(err)
	}
	if v, _ := db.SchemaVersion(ctx); v != 7 {
		t.Fatalf("schema version %d, want 7", v)
	}
	db.Close()

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, _ := db.SchemaVersion(ctx); v < 8 {
		t.Fatalf("schema version %d after the upgrade", v)
	}
	if err := db.PutDatasetItem(ctx, dataset.Item{SHA256: hexOf('a'), Machine: "m1", Label: "leak", Start: t0, Seconds: 1, Source: EventSource(id)}); err != nil {
		t.Fatal(err)
	}
	if e, err := db.Event(ctx, id); err != nil || e.Label != "leak" {
		t.Errorf("event after the upgrade: %+v, %v", e, err)
	}
	for _, table := range []string{"dataset_items", "dataset_versions"} {
		var strict int
		if err := db.r.QueryRowContext(ctx, "SELECT strict FROM pragma_table_list WHERE name = ?", table).Scan(&strict); err != nil || strict != 1 {
			t.Errorf("table %s: strict = %d, %v", table, strict, err)
		}
	}
}
