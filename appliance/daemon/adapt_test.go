package daemon

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"signalcraft/appliance/source"
	"signalcraft/core/detect"
	"signalcraft/core/store"
	"signalcraft/core/wav"
)

// collect runs a finite simulator and returns one channel's samples.
func collect(t *testing.T, cfg source.SimulatorConfig, channel int) []float32 {
	t.Helper()
	sim, err := source.NewSimulator(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var sink collector
	if err := sim.Run(context.Background(), &sink); err != nil {
		t.Fatal(err)
	}
	return sink.ch[channel]
}

type collector struct{ ch [][]float32 }

func (c *collector) Samples(b source.Block) {
	if c.ch == nil {
		c.ch = make([][]float32, len(b.Channels))
	}
	for i, x := range b.Channels {
		c.ch[i] = append(c.ch[i], x...)
	}
}
func (c *collector) Status(source.Status, error) {}

// windowScores runs samples through the live feature chain and returns the fraction of
// windows the detector scores above its threshold.
func aboveThreshold(t *testing.T, d *detect.Detector, x []float32) float64 {
	t.Helper()
	chain, err := newChain(simConfig(t.TempDir()).Machines[0], 16000)
	if err != nil {
		t.Fatal(err)
	}
	n, above := 0, 0
	chain.Push(x, func(v []float64) {
		n++
		if d.Score(v) > d.Threshold() {
			above++
		}
	})
	return float64(above) / float64(n)
}

// TestAdaptNewOperatingCondition: a machine learned at one speed calls a new speed
// anomalous; after adapting with two short recordings (8 s) of the new speed it accepts both
// speeds, and a bearing fault at the new speed is still detected.
func TestAdaptNewOperatingCondition(t *testing.T) {
	dir := t.TempDir()
	cfg := simConfig(dir)
	cfg.Sources[0].Simulator.Duration = 60 * time.Second
	cfg.Sources[0].Simulator.Faults = nil
	runUntilEnded(t, cfg) // learns all three machines at 29.95 Hz

	fast := source.SimulatorConfig{SampleRate: 16000, Channels: 1, ShaftHz: 41, Seed: 11, Duration: 30 * time.Second}
	newCond := collect(t, fast, 0)
	var paths []string
	for i, part := range [][]float32{newCond[:8*16000], newCond[8*16000 : 16*16000]} {
		p := filepath.Join(dir, "after-maintenance-"+string(rune('a'+i))+".wav")
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := wav.Encode(f, 16000, [][]float32{part}); err != nil {
			t.Fatal(err)
		}
		f.Close()
		paths = append(paths, p)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, cfg.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	before, err := db.ActiveModel(ctx, "fan-1")
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	old, err := detect.Restore(before.Blob)
	if err != nil {
		t.Fatal(err)
	}
	heldOut := newCond[16*16000:]
	if f := aboveThreshold(t, old, heldOut); f < 0.5 {
		t.Fatalf("before adapting only %.0f%% of the new condition's windows are anomalous: the test shows nothing", 100*f)
	}

	res, err := Adapt(ctx, cfg, "fan-1", paths)
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != before.Version+1 || res.Conditions != 2 || res.Windows < 10 {
		t.Fatalf("Adapt = %+v, want version %d, 2 conditions, ≥10 windows", res, before.Version+1)
	}
	db, err = store.Open(ctx, cfg.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	after, err := db.ActiveModel(ctx, "fan-1")
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(after.Note, "after-maintenance-a.wav") {
		t.Errorf("model note %q does not name the recordings", after.Note)
	}
	adapted, err := detect.Restore(after.Blob)
	if err != nil {
		t.Fatal(err)
	}
	if f := aboveThreshold(t, adapted, heldOut); f > 0.1 {
		t.Errorf("after adapting %.0f%% of held-out new-condition windows are still anomalous", 100*f)
	}
	oldCond := collect(t, source.SimulatorConfig{SampleRate: 16000, Channels: 3, ShaftHz: 29.95, Seed: 3, Duration: 90 * time.Second}, 0)[60*16000:]
	if f := aboveThreshold(t, adapted, oldCond); f > 0.1 {
		t.Errorf("after adapting %.0f%% of old-condition windows are anomalous: the old condition was forgotten", 100*f)
	}
	faulty := fast
	faulty.Faults = []source.SimFault{{Channel: 0, Start: 0, Level: 1.5}}
	if f := aboveThreshold(t, adapted, collect(t, faulty, 0)[10*16000:]); f < 0.8 {
		t.Errorf("a bearing fault at the new speed is anomalous in only %.0f%% of windows", 100*f)
	}

	// A running daemon swaps in the adapted model.
	m, err := New(ctx, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fan := m.machines[0]
	fan.det, fan.model = old, before.Version // as if it had been running since before the adaptation
	fan.reloadModel(ctx, m.db)
	if fan.model != res.Version || fan.det.Conditions() != 2 {
		t.Errorf("running machine holds model %d with %d condition(s), want %d with 2", fan.model, fan.det.Conditions(), res.Version)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	// Errors name what is wrong.
	if _, err := Adapt(ctx, cfg, "nope", paths); err == nil || !strings.Contains(err.Error(), `machine "nope"`) {
		t.Errorf("unknown machine: %v", err)
	}
	short := filepath.Join(dir, "short.wav")
	f, _ := os.Create(short)
	_ = wav.Encode(f, 16000, [][]float32{newCond[:8000]})
	f.Close()
	if _, err := Adapt(ctx, cfg, "fan-1", []string{short}); err == nil || !strings.Contains(err.Error(), "short.wav") {
		t.Errorf("short recording: %v", err)
	}
	wrongRate := filepath.Join(dir, "rate.wav")
	f, _ = os.Create(wrongRate)
	_ = wav.Encode(f, 48000, [][]float32{newCond[:48000]})
	f.Close()
	if _, err := Adapt(ctx, cfg, "fan-1", []string{wrongRate}); err == nil || !strings.Contains(err.Error(), "rate.wav: sample rate 48000 Hz") {
		t.Errorf("wrong rate: %v", err)
	}
}
