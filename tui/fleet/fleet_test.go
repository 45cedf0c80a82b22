package fleet

import (
	"testing"
	"time"

	"signalcraft/core/api"
)

func TestSeedKeepsRecentHistoryAndLiveAppends(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	f := New(func() time.Time { return t0.Add(10 * time.Minute) })
	f.SetMachines([]api.Machine{{ID: "pump-2"}})
	var ps []api.ScorePoint
	for i := range 400 { // 200 s of windows every 0.5 s
		ps = append(ps, api.ScorePoint{Time: t0.Add(time.Duration(i) * 500 * time.Millisecond), Smoothed: float64(i), State: "monitoring"})
	}
	f.Seed("pump-2", ps)
	h := f.History("pump-2")
	if len(h) != 301 || h[0].Smoothed != 99 || h[300].Smoothed != 399 {
		t.Fatalf("seeded %d points from %v to %v; want the last 150 s (301 points, 99 … 399)", len(h), h[0].Smoothed, h[len(h)-1].Smoothed)
	}
	f.Apply([]api.Live{{MachineID: "pump-2", Time: ps[399].Time.Add(time.Second), Smoothed: 500}})
	if h := f.History("pump-2"); h[len(h)-1].Smoothed != 500 || len(h) != 300 {
		t.Fatalf("live update after the seed: %d points, last %v", len(h), h[len(h)-1].Smoothed)
	}
	f.Seed("pump-2", nil) // nothing stored: history unchanged
	if len(f.History("pump-2")) != 300 {
		t.Fatal("an empty seed erased the history")
	}
}

func TestCountAlerts(t *testing.T) {
	f := New(nil)
	f.Alerts = []api.Alert{
		{State: api.AlertFiring, Severity: api.SeverityCritical},
		{State: api.AlertFiring, Severity: api.SeverityWarning},
		{State: api.AlertFiring, Severity: api.SeverityCritical, Silenced: true},
		{State: api.AlertFiring, Severity: api.SeverityWarning, Inhibited: true},
		{State: api.AlertPending, Severity: api.SeverityCritical},
		{State: api.AlertResolved, Severity: api.SeverityCritical},
	}
	got := f.CountAlerts()
	want := AlertCount{Critical: 1, Warning: 1, Muted: 2, Pending: 1}
	if got != want || got.Firing() != 4 {
		t.Fatalf("CountAlerts() = %+v (firing %d), want %+v (firing 4)", got, got.Firing(), want)
	}
}
