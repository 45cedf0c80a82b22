package store

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"
)

func TestEventLifecycle(t *testing.T) {
	ctx := context.Background()
	db, clk := openTest(t)
	mustMachine(t, db, "m1", "m2")

	snap := json.RawMessage(`{"rms":0.3,"bands":[1,2,3]}`)
	id, err := db.OpenEvent(ctx, Event{MachineID: "m1", Start: t0, PeakScore: 9, Threshold: 8.5, Snapshot: snap})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.OpenEvent(ctx, Event{MachineID: "m1", Start: t0.Add(time.Second), PeakScore: 9, Threshold: 8.5}); !errors.Is(err, ErrConflict) {
		t.Errorf("second open event: err = %v, want ErrConflict", err)
	}
	e, err := db.Event(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !e.IsOpen() || e.Kind != EventAnomaly || string(e.Snapshot) != string(snap) || !e.Start.Equal(t0) {
		t.Errorf("opened event = %+v", e)
	}

	for _, p := range []float64{12, 10} { // peak only rises
		if err := db.UpdateEventPeak(ctx, id, p); err != nil {
			t.Fatal(err)
		}
	}
	end := t0.Add(30 * time.Second)
	if err := db.CloseEvent(ctx, id, end, 11); err != nil {
		t.Fatal(err)
	}
	e, _ = db.Event(ctx, id)
	if e.IsOpen() || !e.End.Equal(end) || e.PeakScore != 12 {
		t.Errorf("closed event: end %v peak %v, want %v and 12", e.End, e.PeakScore, end)
	}
	if err := db.CloseEvent(ctx, id, end, 1); !errors.Is(err, ErrConflict) {
		t.Errorf("close closed event: err = %v, want ErrConflict", err)
	}
	if err := db.UpdateEventPeak(ctx, id, 20); !errors.Is(err, ErrConflict) {
		t.Errorf("update peak of closed event: err = %v, want ErrConflict", err)
	}
	// A new event may open once the previous one is closed.
	id2, err := db.OpenEvent(ctx, Event{MachineID: "m1", Start: t0.Add(time.Minute), PeakScore: 9, Threshold: 8.5})
	if err != nil || id2 == id {
		t.Fatalf("reopen after close: id %d, %v", id2, err)
	}

	clk.Advance(time.Hour)
	if err := db.AcknowledgeEvent(ctx, id, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := db.AcknowledgeEvent(ctx, id, "bob"); !errors.Is(err, ErrConflict) {
		t.Errorf("second ack: err = %v, want ErrConflict", err)
	}
	if err := db.SetEventLabel(ctx, id, "bearing wear"); err != nil {
		t.Fatal(err)
	}
	e, _ = db.Event(ctx, id)
	if e.AcknowledgedBy != "alice" || !e.AcknowledgedAt.Equal(t0.Add(time.Hour)) || e.Label != "bearing wear" {
		t.Errorf("ack/label = %q at %v, %q", e.AcknowledgedBy, e.AcknowledgedAt, e.Label)
	}
}

func TestEventErrors(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	mustMachine(t, db, "m1")
	tests := []struct {
		name string
		op   func() error
		want error
	}{
		{"open unknown machine", func() error {
			_, err := db.OpenEvent(ctx, Event{MachineID: "ghost", Start: t0})
			return err
		}, ErrNotFound},
		{"open no machine", func() error { _, err := db.OpenEvent(ctx, Event{Start: t0}); return err }, ErrInvalid},
		{"open zero start", func() error { _, err := db.OpenEvent(ctx, Event{MachineID: "m1"}); return err }, ErrInvalid},
		{"open bad snapshot", func() error {
			_, err := db.OpenEvent(ctx, Event{MachineID: "m1", Start: t0, Snapshot: json.RawMessage("{")})
			return err
		}, ErrInvalid},
		{"open NaN peak", func() error {
			_, err := db.OpenEvent(ctx, Event{MachineID: "m1", Start: t0, PeakScore: math.NaN()})
			return err
		}, ErrInvalid},
		{"close unknown", func() error { return db.CloseEvent(ctx, 42, t0, 1) }, ErrNotFound},
		{"peak unknown", func() error { return db.UpdateEventPeak(ctx, 42, 1) }, ErrNotFound},
		{"ack unknown", func() error { return db.AcknowledgeEvent(ctx, 42, "alice") }, ErrNotFound},
		{"label unknown", func() error { return db.SetEventLabel(ctx, 42, "x") }, ErrNotFound},
		{"event unknown", func() error { _, err := db.Event(ctx, 42); return err }, ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.op(); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	_, err := db.OpenEvent(ctx, Event{MachineID: "ghost", Start: t0})
	if want := `store: open anomaly event for machine "ghost": machine: not found`; err == nil || err.Error() != want {
		t.Errorf("error text = %q, want %q", err, want)
	}
}

func TestEventsFilter(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	mustMachine(t, db, "m1", "m2")
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	// id: machine, start, end (-1 = open)
	type ev struct {
		machine    string
		start, end int
	}
	evs := []ev{{"m1", 0, 5}, {"m1", 10, 20}, {"m2", 2, 3}, {"m1", 30, -1}, {"m2", 15, -1}}
	ids := map[int]int64{}
	for i, e := range evs {
		id, err := db.OpenEvent(ctx, Event{MachineID: e.machine, Start: at(e.start), PeakScore: 9, Threshold: 8})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
		if e.end >= 0 {
			if err := db.CloseEvent(ctx, id, at(e.end), 9); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := db.AcknowledgeEvent(ctx, ids[0], "alice"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    EventFilter
		want []int // indexes into evs, newest start first
	}{
		{"all", EventFilter{}, []int{3, 4, 1, 2, 0}},
		{"machine", EventFilter{MachineID: "m1"}, []int{3, 1, 0}},
		{"open", EventFilter{OpenOnly: true}, []int{3, 4}},
		{"unacknowledged m1", EventFilter{MachineID: "m1", Unacknowledged: true}, []int{3, 1}},
		{"overlap [4, 12)", EventFilter{From: at(4), To: at(12)}, []int{1, 0}},
		{"overlap [16, 17) includes open", EventFilter{From: at(16), To: at(17)}, []int{4, 1}},
		{"limit", EventFilter{Limit: 2}, []int{3, 4}},
		{"kind", EventFilter{Kind: "other"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.Events(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var gotIdx []int
			for _, e := range got {
				for i, id := range ids {
					if id == e.ID {
						gotIdx = append(gotIdx, i)
					}
				}
			}
			if len(gotIdx) != len(tc.want) {
				t.Fatalf("events %v, want %v", gotIdx, tc.want)
			}
			for i := range gotIdx {
				if gotIdx[i] != tc.want[i] {
					t.Fatalf("events %v, want %v", gotIdx, tc.want)
				}
			}
		})
	}
}

// TestCloseStaleEvents: events a killed process left open end at their machine's last stored
// window (never before they started), closed events are untouched, and each machine can open
// an event again.
func TestCloseStaleEvents(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	mustMachine(t, db, "m1", "m2", "m3")
	if _, err := db.WriteScores(ctx, genScores("m1", t0, 60)); err != nil { // windows up to t0+59s
		t.Fatal(err)
	}
	if _, err := db.WriteScores(ctx, genScores("m2", t0, 10)); err != nil { // up to t0+9s
		t.Fatal(err)
	}
	done, err := db.OpenEvent(ctx, Event{MachineID: "m1", Start: t0, PeakScore: 9, Threshold: 8})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CloseEvent(ctx, done, t0.Add(5*time.Second), 9); err != nil {
		t.Fatal(err)
	}
	open := func(m string, start time.Time) int64 {
		t.Helper()
		id, err := db.OpenEvent(ctx, Event{MachineID: m, Start: start, PeakScore: 10, Threshold: 8})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	e1 := open("m1", t0.Add(40*time.Second)) // windows were stored after it started
	e2 := open("m2", t0.Add(20*time.Second)) // its windows were still in memory
	e3 := open("m3", t0)                     // no window stored at all
	closed, err := db.CloseStaleEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]time.Time{e1: t0.Add(59 * time.Second), e2: t0.Add(20 * time.Second), e3: t0}
	if len(closed) != len(want) {
		t.Fatalf("closed %d events, want %d: %+v", len(closed), len(want), closed)
	}
	for _, e := range closed {
		if e.IsOpen() || !e.End.Equal(want[e.ID]) || e.PeakScore != 10 {
			t.Errorf("event %d of %s: end %v peak %v, want end %v", e.ID, e.MachineID, e.End, e.PeakScore, want[e.ID])
		}
	}
	if e, _ := db.Event(ctx, done); !e.End.Equal(t0.Add(5 * time.Second)) {
		t.Errorf("an event closed before was changed: %+v", e)
	}
	if again, err := db.CloseStaleEvents(ctx); err != nil || len(again) != 0 {
		t.Errorf("second call closed %v, %v", again, err)
	}
	for _, m := range []string{"m1", "m2", "m3"} {
		open(m, t0.Add(2*time.Minute))
	}
}

// TestSaveEvent: an event written under a reserved id opens, rises, closes, and writing the
// same state again (a retry whose outcome was unknown) changes nothing.
func TestSaveEvent(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	mustMachine(t, db, "m1")
	if id, err := db.LastEventID(ctx); err != nil || id != 0 {
		t.Fatalf("LastEventID of an empty database = %d, %v", id, err)
	}
	e := Event{ID: 7, MachineID: "m1", Start: t0, PeakScore: 9, Threshold: 8, Snapshot: json.RawMessage(`{"a":1}`)}
	for range 2 {
		if err := db.SaveEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := db.Event(ctx, 7); err != nil || !got.IsOpen() || got.PeakScore != 9 || string(got.Snapshot) != `{"a":1}` {
		t.Fatalf("saved open event: %+v, %v", got, err)
	}
	if id, _ := db.LastEventID(ctx); id != 7 {
		t.Errorf("LastEventID = %d, want 7", id)
	}
	if err := db.SaveEvent(ctx, Event{ID: 8, MachineID: "m1", Start: t0.Add(time.Minute), PeakScore: 9, Threshold: 8}); !errors.Is(err, ErrConflict) {
		t.Errorf("second open event: %v, want ErrConflict", err)
	}
	e.PeakScore = 12
	if err := db.SaveEvent(ctx, e); err != nil {
		t.Fatal(err)
	}
	e.PeakScore, e.End = 10, t0.Add(30*time.Second) // a peak never falls
	for range 2 {
		if err := db.SaveEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := db.Event(ctx, 7); got.IsOpen() || !got.End.Equal(e.End) || got.PeakScore != 12 {
		t.Errorf("closed event: %+v", got)
	}
	for _, bad := range []Event{{MachineID: "m1", Start: t0}, {ID: 9, Start: t0}, {ID: 9, MachineID: "m1"},
		{ID: 9, MachineID: "m1", Start: t0, PeakScore: math.NaN()}} {
		if err := db.SaveEvent(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("SaveEvent(%+v) = %v, want ErrInvalid", bad, err)
		}
	}
	if err := db.SaveEvent(ctx, Event{ID: 9, MachineID: "nope", Start: t0}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown machine: %v", err)
	}
}

// TestEventDiagnosis: a diagnosis written with an event is read back; a later write without
// one (the close, a retry) keeps it; a later one replaces it.
func TestEventDiagnosis(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	mustMachine(t, db, "m1")
	e := Event{ID: 3, MachineID: "m1", Start: t0, PeakScore: 9, Threshold: 8}
	if err := db.SaveEvent(ctx, e); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Event(ctx, 3); got.Diagnosis != nil {
		t.Fatalf("an event without a diagnosis reads back %+v", got.Diagnosis)
	}
	d := &Diagnosis{Label: "bearing_outer_race", Confidence: 0.87, Model: "rf+svm v2",
		Probs: map[string]float64{"bearing_outer_race": 0.87, "bearing_inner_race": 0.1, "normal": 0.03}}
	e.Diagnosis = d
	if err := db.SaveEvent(ctx, e); err != nil {
		t.Fatal(err)
	}
	e.Diagnosis, e.End = nil, t0.Add(time.Minute)
	if err := db.SaveEvent(ctx, e); err != nil {
		t.Fatal(err)
	}
	got, err := db.Event(ctx, 3)
	if err != nil || got.IsOpen() || !reflect.DeepEqual(got.Diagnosis, d) {
		t.Fatalf("event after close: %+v (diagnosis %+v), %v; want closed with %+v", got, got.Diagnosis, err, d)
	}
	e.Diagnosis = &Diagnosis{Label: "unknown", Confidence: 0.41, Model: "rf+svm v3", Probs: map[string]float64{"normal": 0.41}}
	if err := db.SaveEvent(ctx, e); err != nil {
		t.Fatal(err)
	}
	if evs, _ := db.Events(ctx, EventFilter{MachineID: "m1"}); len(evs) != 1 || evs[0].Diagnosis.Label != "unknown" {
		t.Fatalf("events: %+v, want the replaced diagnosis", evs)
	}
}
