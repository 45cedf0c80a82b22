package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	wire "signalcraft/core/api"
	"signalcraft/core/store"
)

// TestModelRegistry reads a model's record, promotes a candidate and rolls back through the
// client, as an admin, with the audit entries named after the token.
func TestModelRegistry(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	admin, viewer := e.client(wire.RoleAdmin), e.client(wire.RoleViewer)

	recall := 0.8
	e.clk.Advance(time.Minute)
	cand, err := e.db.SaveCandidate(ctx, "pump-1", "knn", 3.5, []byte("c"), store.ModelInfo{
		Dataset: "0123456789abcdef", CodeVersion: "1.5.0", Params: json.RawMessage(`{"k":5}`), TrainedFor: 2500 * time.Millisecond,
		Metrics: &store.ModelMetrics{TestDataset: "0123456789abcdef", NormalHours: 1, FalseAlarms: 1, FalseAlarmsPerHour: 1, Faults: 5, Detected: 4, Recall: &recall},
	}, "train:1")
	if err != nil {
		t.Fatal(err)
	}

	m, err := viewer.Model(ctx, "pump-1", cand)
	if err != nil || m.Stage != wire.StageCandidate || m.State != wire.ModelCandidate || m.Active || m.Dataset != "0123456789abcdef" ||
		m.CodeVersion != "1.5.0" || string(m.Params) != `{"k":5}` || m.TrainedSeconds != 2.5 || m.PromotedAt != nil ||
		m.Metrics == nil || m.Metrics.Recall == nil || *m.Metrics.Recall != 0.8 || m.Metrics.Detected != 4 {
		t.Fatalf("Model(candidate) = %+v, %v", m, err)
	}
	list, err := viewer.Models(ctx, "pump-1")
	if err != nil || len(list) != 2 || list[0].Stage != wire.StageCandidate || list[1].Stage != wire.StageChampion || list[1].PromotedAt == nil {
		t.Fatalf("Models = %+v, %v", list, err)
	}

	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"viewer may not promote", func() error { _, err := viewer.PromoteModel(ctx, "pump-1", cand, ""); return err }, wire.CodeForbidden},
		{"viewer may not roll back", func() error { _, err := viewer.RollbackModel(ctx, "pump-1", "", ""); return err }, wire.CodeForbidden},
		{"unknown version", func() error { _, err := viewer.Model(ctx, "pump-1", 99); return err }, wire.CodeNotFound},
		{"unknown machine", func() error { _, err := viewer.Model(ctx, "nope", 1); return err }, wire.CodeNotFound},
		{"promote unknown version", func() error { _, err := admin.PromoteModel(ctx, "pump-1", 99, ""); return err }, wire.CodeNotFound},
		{"promote the champion", func() error { _, err := admin.PromoteModel(ctx, "pump-1", 1, ""); return err }, wire.CodeConflict},
		{"nothing to roll back to", func() error { _, err := admin.RollbackModel(ctx, "pump-1", wire.TaskDetect, ""); return err }, wire.CodeNotFound},
		{"reason too long", func() error { _, err := admin.PromoteModel(ctx, "pump-1", cand, strings.Repeat("x", 501)); return err }, wire.CodeInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !wire.IsCode(err, tc.code) {
				t.Errorf("err = %v, want %s", err, tc.code)
			}
		})
	}
	// A version that is not a number is not found, not a server error.
	req, _ := http.NewRequest("GET", e.ts.URL+wire.Expand(wire.PathModel, "pump-1", "latest"), nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens[wire.RoleViewer])
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET models/latest: %v %v, want 404", resp.Status, err)
	} else {
		resp.Body.Close()
	}

	e.clk.Advance(time.Minute)
	p, err := admin.PromoteModel(ctx, "pump-1", cand, "fewer false alarms")
	if err != nil || p.Version != cand || p.Stage != wire.StageChampion || !p.Active || p.Reason != "fewer false alarms" ||
		p.PromotedAt == nil || !p.PromotedAt.Equal(e.clk.Now()) {
		t.Fatalf("PromoteModel = %+v, %v", p, err)
	}
	e.clk.Advance(time.Minute)
	r, err := admin.RollbackModel(ctx, "pump-1", "", "misses bearing noise")
	if err != nil || r.Version != 1 || r.Stage != wire.StageChampion {
		t.Fatalf("RollbackModel = %+v, %v", r, err)
	}
	old, _ := viewer.Model(ctx, "pump-1", cand)
	if old.Stage != wire.StageRetired || old.Reason != "rolled back: misses bearing noise" || old.RolledBackAt == nil {
		t.Errorf("rolled-back model = %+v", old)
	}

	es, err := e.db.Audit(ctx, store.AuditFilter{Actor: "admin-token"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range es {
		if strings.HasPrefix(a.Action, "model.") {
			got = append(got, a.Action+" "+a.Target+" "+a.Detail)
		}
	}
	want := []string{
		"model.rollback machine/pump-1 champion 2 → 1: misses bearing noise",
		"model.promote model/pump-1/2 champion 1 → 2: fewer false alarms",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
