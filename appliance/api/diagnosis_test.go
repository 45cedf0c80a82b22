package api

import (
	"context"
	"testing"

	wire "signalcraft/core/api"
	"signalcraft/core/store"
)

// An event's diagnosis reaches clients with every class's probability; an event without one
// has none.
func TestEventDiagnosis(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	viewer := e.client(wire.RoleViewer)
	before, err := viewer.Event(ctx, e.event)
	if err != nil || before.Diagnosis != nil {
		t.Fatalf("undiagnosed event: %+v, %v", before.Diagnosis, err)
	}
	stored, err := e.db.Event(ctx, e.event)
	if err != nil {
		t.Fatal(err)
	}
	stored.Diagnosis = &store.Diagnosis{Label: "bearing_inner_race", Confidence: 0.91, Model: "rf+svm v1",
		Probs: map[string]float64{"bearing_inner_race": 0.91, "bearing_ball": 0.06, "normal": 0.03}}
	if err := e.db.SaveEvent(ctx, stored); err != nil {
		t.Fatal(err)
	}
	got, err := viewer.Event(ctx, e.event)
	if err != nil {
		t.Fatal(err)
	}
	if d := got.Diagnosis; d == nil || d.Label != "bearing_inner_race" || d.Confidence != 0.91 || d.Probs["bearing_ball"] != 0.06 || d.Model != "rf+svm v1" {
		t.Fatalf("diagnosis over the API: %+v", got.Diagnosis)
	}
}
