package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/core/store"
)

// TestModelCommand lists, shows, promotes and rolls back models in the database of a
// configuration, in process, and finds the changes in the audit log as the local user's.
func TestModelCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "signalcraft.yaml")
	write(t, cfgPath, simYAML(dir, 0))
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	db, err := store.Open(ctx, cfg.DatabasePath(), store.WithNow(func() time.Time { return clock }))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.UpsertMachine(ctx, store.Machine{ID: "pump-2", Kind: "pump"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := db.SaveModel(ctx, "pump-2", "mahalanobis", 5, []byte("m"), "learned"); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(time.Hour)
	}
	recall := 0.75
	if _, err := db.SaveCandidate(ctx, "pump-2", "knn", 4, []byte("c"), store.ModelInfo{
		Dataset: "9f86d081884c7d659a2feaa0c55ad015", CodeVersion: "1.5.0", Params: json.RawMessage(`{"k":5}`), TrainedFor: 1200 * time.Millisecond,
		Metrics: &store.ModelMetrics{NormalHours: 2, FalseAlarms: 1, FalseAlarmsPerHour: 0.5, Faults: 4, Detected: 3, Recall: &recall},
	}, ""); err != nil {
		t.Fatal(err)
	}
	db.Close()

	model := func(args ...string) (string, string, error) {
		var out, errb bytes.Buffer
		err := run(ctx, append([]string{"model"}, append(args, "--config", cfgPath)...), &out, &errb)
		return out.String(), errb.String(), err
	}
	steps := []struct {
		args     []string
		want     []string // in stdout
		wantErr  string
		exitCode int
	}{
		{[]string{"ls", "--machine", "pump-2"}, []string{
			"VERSION  TASK    STAGE      KIND         CREATED               DATASET   FA/H  RECALL  F1  REASON",
			"3        detect  candidate  knn          2026-03-01 11:00 UTC  9f86d081  0.50  0.75    -",
			"2        detect  champion   mahalanobis  2026-03-01 10:00 UTC  -         -     -       -   learned",
		}, "", 0},
		{[]string{"show", "--machine", "pump-2", "--version", "3"}, []string{
			"stage:          candidate", `params:         {"k":5}`, "training time:  1.2s",
			"faults:         3 detected of 4, recall 0.75", "dataset:        9f86d081884c7d659a2feaa0c55ad015",
		}, "", 0},
		{[]string{"show", "--machine", "pump-2"}, []string{"version:        2", "stage:          champion"}, "", 0},
		{[]string{"promote", "--machine", "pump-2", "--version", "3", "--reason", "fewer false alarms"},
			[]string{"machine pump-2: model 3 is the detect champion (was 2)"}, "", 0},
		{[]string{"promote", "--machine", "pump-2", "--version", "3"}, nil, "already the champion", 1},
		{[]string{"rollback", "--machine", "pump-2", "--reason", "misses faults"},
			[]string{"machine pump-2: rolled back from model 3 to 2"}, "", 0},
		{[]string{"rollback", "--machine", "pump-2"}, []string{"rolled back from model 2 to 1"}, "", 0},
		{[]string{"rollback", "--machine", "pump-2"}, nil, "no earlier detect champion", 1},
		{[]string{"rollback", "--machine", "pump-2", "--task", "diagnose"}, nil, "no earlier diagnose champion", 1},
		{[]string{"rollback", "--machine", "pump-2", "--task", "predict"}, nil, `"predict": want detect or diagnose`, 2},
		{[]string{"ls", "--machine", "ghost"}, nil, `no machine "ghost"`, 1},
		{[]string{"promote", "--machine", "pump-2"}, nil, "--version N", 2},
		{[]string{"ls"}, nil, "--machine is required", 2},
		{[]string{"frob", "--machine", "pump-2"}, nil, `unknown subcommand "frob"`, 2},
	}
	for _, st := range steps {
		out, _, err := model(st.args...)
		name := strings.Join(st.args, " ")
		if st.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), st.wantErr) || exitCode(err) != st.exitCode {
				t.Errorf("%s: err = %v (exit %d), want %q, exit %d", name, err, exitCode(err), st.wantErr, st.exitCode)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, w := range st.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", name, w, out)
			}
		}
	}

	db, err = store.Open(ctx, cfg.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	es, err := db.Audit(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 3 || es[2].Action != "model.promote" || es[2].Detail != "champion 2 → 3: fewer false alarms" ||
		es[1].Detail != "champion 3 → 2: misses faults" || es[0].Detail != "champion 2 → 1" {
		t.Fatalf("audit = %+v", es)
	}
	for _, e := range es {
		if !strings.HasPrefix(e.Actor, "local:") {
			t.Errorf("audit actor %q, want local:<user>", e.Actor)
		}
	}
}

// Every subcommand's --help lists its flags and exits 0.
func TestModelHelp(t *testing.T) {
	for sub, flags := range map[string][]string{
		"ls":       {"-machine", "-config"},
		"show":     {"-machine", "-version", "-task", "-config"},
		"promote":  {"-machine", "-version", "-reason", "-config"},
		"rollback": {"-machine", "-reason", "-task", "-config"},
	} {
		var out, errb bytes.Buffer
		if err := run(context.Background(), []string{"model", sub, "--help"}, &out, &errb); err != nil {
			t.Errorf("model %s --help: %v", sub, err)
		}
		if n := strings.Count(out.String()+errb.String(), "Usage:"); n != 1 {
			t.Errorf("model %s --help printed the usage %d times", sub, n)
		}
		for _, f := range append(flags, "Usage: signalcraftd model "+sub) {
			if !strings.Contains(out.String(), f) {
				t.Errorf("model %s --help lacks %q:\n%s", sub, f, out.String())
			}
		}
	}
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"model", "--help"}, &out, &errb); err != nil || !strings.Contains(out.String(), "rollback  re-promote") {
		t.Errorf("model --help: %v\n%s", err, out.String())
	}
	if err := run(context.Background(), []string{"model"}, &out, &errb); exitCode(err) != 2 {
		t.Errorf("model without a subcommand: %v, want exit 2", err)
	}
}
