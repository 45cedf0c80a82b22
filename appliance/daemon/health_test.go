package daemon

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"signalcraft/appliance/source"
	"signalcraft/core/store"
	"signalcraft/core/wav"
)

// TestHealthRecord replays 40 s of noise (RMS 0.1 full scale) through the real daemon, its
// stream starting 20 s before an hour ends: the machine's health record holds two hours whose
// windows are exactly the windows it scored (the store's score rows), with the noise's level
// and kurtosis, and an anomaly level once the model was learned.
func TestHealthRecord(t *testing.T) {
	dir := t.TempDir()
	const rate = 16000
	rng := rand.New(rand.NewPCG(12, 1))
	x := make([]float32, 40*rate)
	for i := range x {
		x[i] = float32(0.1 * rng.NormFloat64())
	}
	stream := filepath.Join(dir, "noise.wav")
	f, err := os.Create(stream)
	if err != nil {
		t.Fatal(err)
	}
	if err := wav.Encode(f, rate, [][]float32{x}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cfg := loopConfig(t, filepath.Join(dir, "data"), stream, "pump", "10s", ", enabled: false")

	// The daemon's clocks (and so the replay's stream time) start at 10:59:40.
	base := time.Date(2026, 12, 5, 10, 59, 40, 0, time.UTC)
	clk := shiftedClock{Clock: source.SystemClock(), by: base.Sub(time.Now())}
	ctx, cancel := context.WithCancel(context.Background())
	m, err := New(ctx, cfg, Options{Now: clk.Now, Clock: clk})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	select {
	case <-m.Ended():
	case err := <-done:
		cancel()
		t.Fatalf("daemon stopped early: %v", err)
	case <-time.After(3 * time.Minute):
		t.Fatal("the recording was not analysed within 3 minutes")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("daemon: %v", err)
	}

	db, err := store.Open(context.Background(), cfg.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	recs, err := db.HealthRecords(context.Background(), "m1", time.Time{}, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	scores, err := db.Scores(context.Background(), "m1", time.Time{}, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || !recs[0].Hour.Equal(base.Truncate(time.Hour)) || !recs[1].Hour.Equal(base.Truncate(time.Hour).Add(time.Hour)) {
		t.Fatalf("health records %+v: want the hours 10:00 and 11:00", recs)
	}
	var windows, scored int
	var squares float64
	for _, r := range recs {
		windows += r.Windows
		scored += r.Scored
		squares += r.SumSquares
		if k := r.Kurtosis(); math.Abs(k-3) > 0.3 {
			t.Errorf("hour %v: kurtosis %.2f, want about 3 (Gaussian noise)", r.Hour, k)
		}
		if _, ok := r.Envelope(); ok {
			t.Errorf("hour %v: an envelope without a shaft speed", r.Hour)
		}
	}
	if windows != len(scores) || windows == 0 {
		t.Errorf("%d windows in the health record, %d scored windows stored: want the same", windows, len(scores))
	}
	if rms := math.Sqrt(squares / float64(windows)); math.Abs(rms-0.1) > 0.005 {
		t.Errorf("level %.4f, want 0.1 (the noise's RMS)", rms)
	}
	if sc, ok := recs[1].Score(); !ok || scored == 0 || !(sc > 0) {
		t.Errorf("no anomaly level in the hour after learning (scored windows %d)", scored)
	}
}

// shiftedClock is the system clock moved by a fixed offset.
type shiftedClock struct {
	source.Clock
	by time.Duration
}

func (c shiftedClock) Now() time.Time { return c.Clock.Now().Add(c.by) }
