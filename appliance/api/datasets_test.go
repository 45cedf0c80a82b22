package api

import (
	"context"
	"testing"

	wire "signalcraft/core/api"
)

// TestDatasetsAndRetrain lists a machine's dataset versions, reads one by an id prefix with
// its items, and queues a retraining as an admin (a viewer may not; a second request for
// the same data is not queued again).
func TestDatasetsAndRetrain(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	admin, viewer := e.client(wire.RoleAdmin), e.client(wire.RoleViewer)
	id := e.datasetVersion(t)

	vs, err := viewer.Datasets(ctx, "pump-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1 || vs[0].ID != id || vs[0].Items != 1 || vs[0].Normal != 1 || vs[0].Seconds != 10 {
		t.Fatalf("datasets of pump-1: %+v, want the one version %s", vs, id[:12])
	}
	man, err := viewer.Dataset(ctx, id[:10])
	if err != nil {
		t.Fatal(err)
	}
	if man.ID != id || len(man.Items) != 1 || man.Items[0].Source != "import:a.wav" || man.Items[0].Label != "normal" {
		t.Fatalf("dataset %s: %+v", id[:10], man)
	}
	if _, err := viewer.Dataset(ctx, "ffffffffff"); !wire.IsCode(err, wire.CodeNotFound) {
		t.Errorf("unknown dataset: %v, want not_found", err)
	}
	if _, err := viewer.Datasets(ctx, "no-such-machine"); !wire.IsCode(err, wire.CodeNotFound) {
		t.Errorf("datasets of an unknown machine: %v, want not_found", err)
	}

	if _, err := viewer.Retrain(ctx, "pump-1", ""); !wire.IsCode(err, wire.CodeForbidden) {
		t.Errorf("viewer retrain: %v, want forbidden", err)
	}
	r1, err := admin.Retrain(ctx, "pump-1", "new bearings fitted")
	if err != nil || !r1.Queued || r1.JobID == 0 {
		t.Fatalf("retrain: %+v, %v", r1, err)
	}
	r2, err := admin.Retrain(ctx, "pump-1", "")
	if err != nil || r2.Queued {
		t.Fatalf("second retrain: %+v, %v; want not queued again", r2, err)
	}
	if got := e.fake.retrained; len(got) != 2 || got[0] != "pump-1:new bearings fitted" {
		t.Errorf("daemon asked to retrain %v", got)
	}
}
