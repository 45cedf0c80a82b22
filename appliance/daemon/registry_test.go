package daemon

import (
	"context"
	"testing"
	"time"

	"signalcraft/appliance/config"
	wire "signalcraft/core/api"
)

// TestRollbackReachesRunningMachine: a rollback through the API puts the previous champion
// back on the running machine within seconds (its next model check), without a restart —
// seen in the live threshold, which is the restored model's.
func TestRollbackReachesRunningMachine(t *testing.T) {
	_, c := startWithAPIConfig(t, func(cfg *config.Config) {
		for i := range cfg.Machines {
			cfg.Machines[i].Detection.Learning = 10 * time.Second
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const pump = "pump-2"
	live := func() wire.Live {
		t.Helper()
		ls, err := c.LiveSnapshot(ctx, pump)
		if err != nil || len(ls) != 1 {
			t.Fatalf("LiveSnapshot = %+v, %v", ls, err)
		}
		return ls[0]
	}
	waitFor := func(what string, within time.Duration, ok func(wire.Live) bool) time.Duration {
		t.Helper()
		start := time.Now()
		for !ok(live()) {
			if time.Since(start) > within {
				t.Fatalf("%s: not within %v; live %+v", what, within, live())
			}
			time.Sleep(50 * time.Millisecond)
		}
		return time.Since(start)
	}
	waitFor("learning ends", 30*time.Second, func(l wire.Live) bool { return l.State != wire.StateLearning && l.Threshold > 0 })
	first := live().Threshold

	// A new sensitivity retunes the model: version 2, another threshold.
	machines, err := c.Machines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pm := machines[1]
	pm.Detection.Quantile = 0.6
	if _, err := c.UpdateMachine(ctx, pm); err != nil {
		t.Fatal(err)
	}
	waitFor("the retuned threshold", 5*time.Second, func(l wire.Live) bool { return l.Threshold != first })
	models, err := c.Models(ctx, pump)
	if err != nil || len(models) != 2 || models[0].Stage != wire.StageChampion || models[0].Version != 2 {
		t.Fatalf("models after retuning = %+v, %v", models, err)
	}

	back, err := c.RollbackModel(ctx, pump, "", "too sensitive")
	if err != nil || back.Version != 1 || back.Stage != wire.StageChampion {
		t.Fatalf("RollbackModel = %+v, %v", back, err)
	}
	took := waitFor("the rolled-back model on the machine", modelCheckEvery+2*time.Second,
		func(l wire.Live) bool { return l.Threshold == first })
	t.Logf("rollback reached the running machine in %v", took.Round(10*time.Millisecond))
	if h, err := c.Health(ctx); err == nil && h.Report != nil {
		for _, hm := range h.Report.Models {
			if hm.MachineID == pump && hm.Version != 1 {
				t.Errorf("health model version of %s = %d, want 1", pump, hm.Version)
			}
		}
	}
	entries, err := c.Audit(ctx, wire.AuditFilter{Action: "model.rollback"})
	if err != nil || len(entries) != 1 || entries[0].Detail != "champion 2 → 1: too sensitive" {
		t.Errorf("audit = %+v, %v", entries, err)
	}
}
