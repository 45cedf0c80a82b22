package store

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"
)

// TestHealthRecords: parts of an hour add up to the hour's record exactly, hours come back
// oldest first, the latest-N limit and the time range work, and bad input is refused.
func TestHealthRecords(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	if err := db.UpsertMachine(ctx, Machine{ID: "pump-1", Name: "Pump", Kind: "pump"}); err != nil {
		t.Fatal(err)
	}
	h := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	parts := []HealthRecord{
		{MachineID: "pump-1", Hour: h.Add(5 * time.Minute), Last: h.Add(5 * time.Minute), Windows: 2, SumSquares: 2 * 1, SumKurtosis: 6, Peak: 3, SumScore: 1, Scored: 2},
		{MachineID: "pump-1", Hour: h.Add(50 * time.Minute), Last: h.Add(50 * time.Minute), Windows: 2, SumSquares: 2 * 49, SumKurtosis: 8, Peak: 9, SumEnvelope: 4, EnvelopeN: 1},
		{MachineID: "pump-1", Hour: h.Add(time.Hour), Last: h.Add(61 * time.Minute), Windows: 1, SumSquares: 4, SumKurtosis: 3, Peak: 2},
		{MachineID: "pump-1", Hour: h.Add(3 * time.Hour), Last: h.Add(3 * time.Hour), Windows: 1, SumSquares: 1, SumKurtosis: 3, Peak: 1},
	}
	for _, p := range parts {
		if err := db.AddHealth(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.HealthRecords(ctx, "pump-1", time.Time{}, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d records, want 3 hours", len(got))
	}
	r := got[0]
	env, hasEnv := r.Envelope()
	score, hasScore := r.Score()
	if !r.Hour.Equal(h) || !r.Last.Equal(h.Add(50*time.Minute)) || r.Windows != 4 || r.RMS() != 5 ||
		r.Kurtosis() != 3.5 || r.Peak != 9 || !hasEnv || env != 4 || !hasScore || score != 0.5 {
		t.Errorf("first hour %+v (RMS %g): want 4 windows, RMS 5 (energy mean of 1 and 7), kurtosis 3.5, peak 9, envelope 4, score 0.5", r, r.RMS())
	}
	if _, ok := got[1].Score(); ok {
		t.Error("an hour without scored windows has a score")
	}
	if _, ok := got[1].Envelope(); ok {
		t.Error("an hour without envelope measurements has an envelope")
	}
	latest, err := db.HealthRecords(ctx, "pump-1", time.Time{}, time.Time{}, 2)
	if err != nil || len(latest) != 2 || !latest[0].Hour.Equal(h.Add(time.Hour)) || !latest[1].Hour.Equal(h.Add(3*time.Hour)) {
		t.Errorf("latest 2: %+v, %v", latest, err)
	}
	ranged, err := db.HealthRecords(ctx, "pump-1", h.Add(time.Hour), h.Add(3*time.Hour), 0)
	if err != nil || len(ranged) != 1 || !ranged[0].Hour.Equal(h.Add(time.Hour)) {
		t.Errorf("[11:00, 13:00): %+v, %v", ranged, err)
	}

	for _, bad := range []HealthRecord{
		{MachineID: "", Hour: h, Windows: 1},
		{MachineID: "pump-1", Hour: h, Windows: 0},
		{MachineID: "pump-1", Hour: h, Windows: 1, SumSquares: math.NaN()},
	} {
		if err := db.AddHealth(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("AddHealth(%+v) = %v, want ErrInvalid", bad, err)
		}
	}
	if err := db.AddHealth(ctx, HealthRecord{MachineID: "nope", Hour: h, Windows: 1}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown machine: %v, want ErrNotFound", err)
	}
}
