package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestMachines(t *testing.T) {
	ctx := context.Background()
	db, clk := openTest(t)

	if _, err := db.Machine(ctx, "m1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Machine of empty db: err = %v, want ErrNotFound", err)
	}
	if err := db.UpsertMachine(ctx, Machine{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("UpsertMachine with empty id: err = %v, want ErrInvalid", err)
	}
	if err := db.UpsertMachine(ctx, Machine{ID: "m2", Name: "Fan", Kind: "fan"}); err != nil {
		t.Fatal(err)
	}
	if err := db.UpsertMachine(ctx, Machine{ID: "m1", Name: "Pump", Kind: "pump"}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	if err := db.UpsertMachine(ctx, Machine{ID: "m1", Name: "Pump A", Kind: "pump"}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	// Unchanged: updated_at stays.
	if err := db.UpsertMachine(ctx, Machine{ID: "m2", Name: "Fan", Kind: "fan"}); err != nil {
		t.Fatal(err)
	}

	ms, err := db.Machines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []Machine{
		{ID: "m1", Name: "Pump A", Kind: "pump", CreatedAt: t0, UpdatedAt: t0.Add(time.Hour)},
		{ID: "m2", Name: "Fan", Kind: "fan", CreatedAt: t0, UpdatedAt: t0},
	}
	if len(ms) != len(want) {
		t.Fatalf("Machines = %+v, want %+v", ms, want)
	}
	for i := range want {
		if ms[i] != want[i] {
			t.Errorf("Machines[%d] = %+v, want %+v", i, ms[i], want[i])
		}
	}
	m, err := db.Machine(ctx, "m2")
	if err != nil || m != want[1] {
		t.Errorf("Machine(m2) = %+v, %v; want %+v", m, err, want[1])
	}
}

func TestSensors(t *testing.T) {
	ctx := context.Background()
	db, clk := openTest(t)
	mustMachine(t, db, "m1", "m2")

	tests := []struct {
		name    string
		s       Sensor
		wantErr error
	}{
		{"new", Sensor{ID: "s1", MachineID: "m1", Device: "hw:0", Channel: 0, SampleRate: 16000}, nil},
		{"second", Sensor{ID: "s2", MachineID: "m1", Device: "hw:0", Channel: 1, SampleRate: 16000, State: "ok"}, nil},
		{"unknown machine", Sensor{ID: "s3", MachineID: "nope"}, ErrNotFound},
		{"empty id", Sensor{MachineID: "m1"}, ErrInvalid},
		{"moved", Sensor{ID: "s1", MachineID: "m2", Device: "hw:1", Channel: 3, SampleRate: 48000, State: "ignored"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := db.UpsertSensor(ctx, tc.s)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("UpsertSensor(%+v) err = %v, want %v", tc.s, err, tc.wantErr)
			}
		})
	}

	s1, err := db.Sensor(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	want := Sensor{ID: "s1", MachineID: "m2", Device: "hw:1", Channel: 3, SampleRate: 48000, State: SensorUnknown, StateSince: t0}
	if s1 != want {
		t.Errorf("Sensor(s1) = %+v, want %+v (upsert must not touch the state of an existing sensor)", s1, want)
	}
	all, err := db.Sensors(ctx, "")
	if err != nil || len(all) != 2 || all[0].ID != "s2" || all[1].ID != "s1" {
		t.Errorf("Sensors(\"\") = %+v, %v; want s2 (m1) then s1 (m2)", all, err)
	}
	of1, err := db.Sensors(ctx, "m1")
	if err != nil || len(of1) != 1 || of1[0].ID != "s2" {
		t.Errorf("Sensors(m1) = %+v, %v", of1, err)
	}

	// State changes.
	t1 := t0.Add(time.Minute)
	t2 := t0.Add(2 * time.Minute)
	t3 := t0.Add(3 * time.Minute)
	clk.Advance(time.Hour)
	steps := []struct {
		state  string
		since  time.Time
		detail string
	}{
		{"ok", t1, ""},
		{"ok", t2, "rms -30 dBFS"}, // same state: detail only, no history entry
		{"silent", t2, "rms below -90 dBFS for 10 s"},
		{"ok", t3, ""},
	}
	for _, st := range steps {
		if err := db.SetSensorState(ctx, "s1", st.state, st.since, st.detail); err != nil {
			t.Fatalf("SetSensorState(%q): %v", st.state, err)
		}
	}
	if err := db.SetSensorState(ctx, "nope", "ok", t1, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetSensorState(unknown) err = %v, want ErrNotFound", err)
	}
	if err := db.SetSensorState(ctx, "s1", "", t1, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("SetSensorState(empty state) err = %v, want ErrInvalid", err)
	}
	s1, _ = db.Sensor(ctx, "s1")
	if s1.State != "ok" || !s1.StateSince.Equal(t3) {
		t.Errorf("after changes: state %q since %v, want ok since %v", s1.State, s1.StateSince, t3)
	}

	hist, err := db.SensorStates(ctx, "s1", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	wantHist := []SensorEvent{
		{"s1", SensorUnknown, t0, ""},
		{"s1", "ok", t1, ""},
		{"s1", "silent", t2, "rms below -90 dBFS for 10 s"},
		{"s1", "ok", t3, ""},
	}
	if len(hist) != len(wantHist) {
		t.Fatalf("SensorStates = %+v, want %+v", hist, wantHist)
	}
	for i := range wantHist {
		if hist[i] != wantHist[i] {
			t.Errorf("SensorStates[%d] = %+v, want %+v", i, hist[i], wantHist[i])
		}
	}
	recent, _ := db.SensorStates(ctx, "s1", t2)
	if len(recent) != 2 || recent[0].State != "silent" {
		t.Errorf("SensorStates(since t2) = %+v, want silent, ok", recent)
	}
}
