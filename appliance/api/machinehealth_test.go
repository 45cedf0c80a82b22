package api

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	wire "signalcraft/core/api"
	"signalcraft/core/store"
)

// TestMachineHealth stores a machine's hourly health records (real SQLite): 80 healthy hours,
// then an exponential rise; GET /machines/{id}/health through the Go client returns the hours,
// the alarm after the rise began and a RUL estimate; from/to select hours without changing the
// alarm; an unknown machine is 404.
func TestMachineHealth(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	viewer := e.client(wire.RoleViewer)

	h, err := viewer.MachineHealth(ctx, "pump-1", wire.HealthFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if h.State != wire.HealthLearning || len(h.Points) != 0 || h.RUL != nil || h.RULNote == "" {
		t.Errorf("empty record: %+v", h)
	}

	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	const hours, riseAt = 200, 80
	for i := range hours {
		level := 0.01 * (1 + 0.02*math.Sin(float64(i))) // healthy: ±2 %
		if i >= riseAt {
			level *= 1 + 0.05*math.Exp(float64(i-riseAt)/30)
		}
		hour := start.Add(time.Duration(i) * time.Hour)
		r := store.HealthRecord{MachineID: "pump-1", Hour: hour, Last: hour.Add(59 * time.Minute), Windows: 100,
			SumSquares: 100 * level * level, SumKurtosis: 300, Peak: 4 * level}
		if i >= 60 {
			r.SumScore, r.Scored = 50, 100
		}
		if err := e.db.AddHealth(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	h, err = viewer.MachineHealth(ctx, "pump-1", wire.HealthFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Points) != hours || h.State != wire.HealthDegrading || h.Alarm == nil || h.Onset == nil || h.RUL == nil {
		t.Fatalf("state %q, %d points, alarm %v, RUL %+v (%s)", h.State, len(h.Points), h.Alarm, h.RUL, h.RULNote)
	}
	if a := h.Alarm.Sub(start).Hours(); a < riseAt || a > hours-20 {
		t.Errorf("alarm at hour %.0f, want after the rise at %d", a, riseAt)
	}
	if math.Abs(h.Baseline-0.01) > 0.0005 || math.Abs(h.FailureLevel-6.3*h.Baseline) > 1e-12 {
		t.Errorf("baseline %g, failure level %g", h.Baseline, h.FailureLevel)
	}
	// The rise reaches 6.3 × baseline at hour riseAt + 30·ln(106) ≈ 220: about 21 h after the last.
	if h.RUL.Hours < 10 || h.RUL.Hours > 40 || !strings.Contains(h.RUL.Text, "about ") || !h.RUL.At.Equal(start.Add((hours-1)*time.Hour+59*time.Minute)) {
		t.Errorf("RUL %+v, want about 21 h at the last window", h.RUL)
	}
	p := h.Points[70]
	if p.Score == nil || *p.Score != 0.5 || p.Envelope != nil || math.Abs(p.Kurtosis-3) > 1e-12 || p.Windows != 100 || p.Smoothed <= 0 {
		t.Errorf("point 70: %+v", p)
	}
	if h.Points[10].Score != nil {
		t.Errorf("an hour without scored windows has a score")
	}

	part, err := viewer.MachineHealth(ctx, "pump-1", wire.HealthFilter{From: start.Add(190 * time.Hour), To: start.Add(195 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(part.Points) != 5 || part.Alarm == nil || !part.Alarm.Equal(*h.Alarm) || part.RUL == nil || part.RUL.Hours != h.RUL.Hours {
		t.Errorf("hours 190–195: %d points, alarm %v, RUL %+v; want 5 points and the same alarm and RUL", len(part.Points), part.Alarm, part.RUL)
	}

	_, err = viewer.MachineHealth(ctx, "nope", wire.HealthFilter{})
	var we *wire.Error
	if !errors.As(err, &we) || we.Code != wire.CodeNotFound {
		t.Errorf("unknown machine: %v, want not found", err)
	}
}
