package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"signalcraft/appliance/apptest"
	"signalcraft/core/api"
	"signalcraft/core/store"
	"signalcraft/tui/app"
)

// seedModels writes pump-2's model history as the appliance's registry would have kept it:
// version 1 learned after installation, 2 promoted and rolled back, 3 the champion, 4 a
// rejected candidate, 5 the champion fault classifier. The machine is still learning, so
// it loads none of them.
func seedModels(t *testing.T, a *apptest.Appliance) {
	t.Helper()
	ctx, db := context.Background(), a.DB()
	blob := []byte("model")
	metrics := func(m api.ModelMetrics) *store.ModelMetrics {
		return &store.ModelMetrics{TestDataset: m.TestDataset, NormalHours: m.NormalHours, FalseAlarms: m.FalseAlarms,
			FalseAlarmsPerHour: m.FalseAlarmsPerHour, Faults: m.Faults, Detected: m.Detected, Recall: m.Recall, Windows: m.Windows,
			Accuracy: m.Accuracy, MacroF1: m.MacroF1}
	}
	fx := NewFixture().Models["pump-2"] // newest first
	steps := []func() error{
		func() error {
			_, err := db.SaveModelInfo(ctx, "pump-2", "mahalanobis", fx[4].Threshold, blob, fx[4].Note, store.ModelInfo{})
			return err
		},
		func() error {
			_, err := db.SaveModelInfo(ctx, "pump-2", "mahalanobis", fx[3].Threshold, blob, "", store.ModelInfo{Dataset: fx[3].Dataset,
				Metrics: metrics(*fx[3].Metrics)})
			return err
		},
		func() error { _, err := db.Rollback(ctx, "pump-2", "", "alarms every shift change"); return err },
		func() error {
			_, err := db.SaveModelInfo(ctx, "pump-2", "mahalanobis", fx[2].Threshold, blob, "", store.ModelInfo{Dataset: fx[2].Dataset,
				CodeVersion: "1.5.0", Metrics: metrics(*fx[2].Metrics), TrainedFor: 38 * time.Second})
			return err
		},
		func() error {
			v, err := db.SaveCandidate(ctx, "pump-2", "mahalanobis", fx[1].Threshold, blob, store.ModelInfo{Dataset: fx[1].Dataset,
				CodeVersion: "1.5.0", Metrics: metrics(*fx[1].Metrics), TrainedFor: 41 * time.Second}, "")
			if err != nil {
				return err
			}
			return db.RejectCandidate(ctx, "pump-2", v, fx[1].Reason)
		},
		func() error {
			_, err := db.SaveModelInfo(ctx, "pump-2", "svm", fx[0].Threshold, blob, "", store.ModelInfo{Task: store.TaskDiagnose,
				Dataset: fx[0].Dataset, CodeVersion: "1.5.0", Metrics: metrics(*fx[0].Metrics), TrainedFor: 6 * time.Second})
			return err
		},
	}
	for _, s := range steps { // a second apart, so that the registry's order is the history's
		if err := s(); err != nil {
			t.Fatalf("seeding pump-2's models: %v", err)
		}
		a.Advance(t, time.Second)
	}
}

// TestModelPromoteAndRollback drives the model history against the appliance: an admin
// promotes the selected retired model and rolls back, each after a y; n changes nothing;
// an operator is told the role needed and sends nothing.
func TestModelPromoteAndRollback(t *testing.T) {
	a := plant(t)
	seedModels(t, a)
	m := as(t, a, api.RoleAdmin, 120, 40)
	m = keys(t, m, "down")
	m, cmd := step(t, m, press("enter"))
	m = settle(t, m, cmd)
	m, cmd = step(t, m, press("m"))
	m = settle(t, m, cmd)
	if s := ansi.Strip(m.Render()); !strings.Contains(s, "Model history") || !strings.Contains(s, "recall 0.50 < champion's 0.83") {
		t.Fatalf("model history not shown:\n%s", s)
	}
	champion := func() int64 { // of the normal model
		ms, err := a.Admin(t).Models(context.Background(), "pump-2")
		if err != nil {
			t.Fatal(err)
		}
		for _, md := range ms {
			if md.Stage == api.StageChampion && md.Task != api.TaskDiagnose {
				return md.Version
			}
		}
		return 0
	}

	// Version 1 (sixth row, under the model the machine is learning, the fault classifier
	// and three normal models): n first, then y.
	m = keys(t, m, "down", "down", "down", "down", "down", "p")
	if s := ansi.Strip(m.Render()); !strings.Contains(s, "Promote normal model 1 of pump-2 to champion? Its current champion is retired. y/n") {
		t.Fatalf("no confirmation:\n%s", s)
	}
	m = keys(t, m, "n")
	if champion() != 3 {
		t.Fatalf("n promoted: champion %d", champion())
	}
	m = keys(t, m, "p")
	m, cmd = step(t, m, press("y"))
	m = settle(t, m, cmd)
	if champion() != 1 {
		t.Fatalf("after promote: champion %d, want 1", champion())
	}
	if s := ansi.Strip(m.Render()); !strings.Contains(s, "pump-2 promoted normal model 1; the machine uses it within seconds.") {
		t.Errorf("no outcome shown:\n%s", s)
	}
	m = keys(t, m, "b")
	if s := ansi.Strip(m.Render()); !strings.Contains(s, "Roll the normal model of pump-2 back to its previous champion? y/n") {
		t.Fatalf("no rollback confirmation:\n%s", s)
	}
	m, cmd = step(t, m, press("y"))
	m = settle(t, m, cmd)
	if champion() != 3 {
		t.Errorf("after rollback: champion %d, want 3", champion())
	}
	// The fault classifier (second row) rolls back on its own: it has no earlier champion.
	m = keys(t, m, "up", "up", "up", "up", "b")
	if s := ansi.Strip(m.Render()); !strings.Contains(s, "Roll the fault classifier of pump-2 back to its previous champion? y/n") {
		t.Fatalf("no rollback confirmation for the fault classifier:\n%s", s)
	}
	m, cmd = step(t, m, press("y"))
	m = settle(t, m, cmd)
	if s := ansi.Strip(m.Render()); !strings.Contains(s, "Could not rollback") || !strings.Contains(s, "no earlier champion") || champion() != 3 {
		t.Errorf("rolling back the only fault classifier:\n%s", s)
	}
	// The appliance recorded who changed what, and why (the refused rollback changed nothing).
	var changes []string
	for _, action := range []string{"model.promote", "model.rollback"} {
		for _, e := range audits(t, a, action) {
			changes = append(changes, e.Action+" "+e.Target+" "+e.Actor+": "+e.Detail)
		}
	}
	want := []string{
		"model.promote model/pump-2/1 local:root: champion 3 → 1: from the signalcraft terminal client",
		"model.rollback machine/pump-2 local:root: champion 1 → 3: from the signalcraft terminal client",
	}
	if strings.Join(changes, "\n") != strings.Join(want, "\n") {
		t.Errorf("audited:\n%s\nwant:\n%s", strings.Join(changes, "\n"), strings.Join(want, "\n"))
	}
	// esc goes back to the live view.
	m = keys(t, m, "esc")
	if s := ansi.Strip(m.Render()); !strings.Contains(s, "Recent events") {
		t.Errorf("esc did not go back:\n%s", s)
	}

	// An operator sees the history but may not change it.
	m = as(t, a, api.RoleOperator, 120, 40)
	m = keys(t, m, "down")
	m, cmd = step(t, m, press("enter"))
	m = settle(t, m, cmd)
	m, cmd = step(t, m, press("m"))
	m = settle(t, m, cmd)
	m = keys(t, m, "down", "p")
	s := ansi.Strip(m.Render())
	if !strings.Contains(s, "To promote a model you need role admin (you are operator).") || strings.Contains(s, "y/n") {
		t.Errorf("operator pressing p:\n%s", s)
	}
	if m.Page() != app.PageDetail {
		t.Errorf("page %v", m.Page())
	}
}
