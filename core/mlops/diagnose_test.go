package mlops

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"signalcraft/core/diagnose"
	"signalcraft/core/dsp"
	"signalcraft/core/wav"
)

func f64(v float64) *float64 { return &v }

func TestGateDiagnosis(t *testing.T) {
	two := [][]int{{5, 0, 0}, {1, 4, 0}} // two labels held back
	one := [][]int{{5, 0, 0}, {0, 0, 0}}
	m := func(acc, f1 float64, conf [][]int) ClassMetrics {
		return ClassMetrics{Windows: 10, Accuracy: acc, MacroF1: f1, Classes: []string{"a", "b"}, Confusion: conf}
	}
	champ := m(0.8, 0.75, two)
	tests := []struct {
		name    string
		champ   *ClassMetrics
		chal    ClassMetrics
		promote bool
		reason  string
	}{
		{"first, good", nil, m(0.9, 0.88, two), true, "first fault classifier: macro-F1 0.880"},
		{"first, weak", nil, m(0.5, 0.4, two), false, "too weak"},
		{"one label held back", nil, m(1, 1, one), false, "held-back windows of 1 label(s)"},
		{"better on both", &champ, m(0.9, 0.85, two), true, "better: macro-F1 0.750 → 0.850"},
		{"better F1, same accuracy", &champ, m(0.8, 0.8, two), true, "better"},
		{"lower F1", &champ, m(0.9, 0.7, two), false, "lower macro-F1"},
		{"lower accuracy", &champ, m(0.7, 0.8, two), false, "lower accuracy"},
		{"equal", &champ, m(0.8, 0.75, two), false, "no better than the champion"},
		{"other windows", &champ, ClassMetrics{Windows: 9, Accuracy: 1, MacroF1: 1, Confusion: two}, false, "not compared on the same windows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			promote, reason := GateDiagnosis(tt.champ, tt.chal)
			if promote != tt.promote || !strings.Contains(reason, tt.reason) {
				t.Errorf("GateDiagnosis = %v, %q; want %v, %q", promote, reason, tt.promote, tt.reason)
			}
		})
	}
}

// writeBearing writes seconds of noise, with an impact train at the outer-race defect
// frequency when defect is set (a resonance at 3 kHz rung at BPFO), as a WAV.
func writeBearing(t *testing.T, dir, name string, rate int, shaftHz float64, defect bool, seed uint64, seconds float64) string {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	x := make([]float32, int(seconds*float64(rate)))
	period := float64(rate) / (dsp.CWRU6205().BPFO * shaftHz)
	next := period * r.Float64()
	for i := range x {
		v := 0.05 * r.NormFloat64()
		if defect {
			if float64(i) >= next {
				next += period * (1 + 0.01*r.NormFloat64())
			}
			since := float64(i) - (next - period)
			v += 0.3 * math.Exp(-since/float64(rate)*800) * math.Sin(2*math.Pi*3000*since/float64(rate))
		}
		x[i] = float32(v)
	}
	path := filepath.Join(dir, name+".wav")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := wav.Encode(f, rate, [][]float32{x}); err != nil {
		t.Fatal(err)
	}
	return path
}

// A classifier learns normal from outer-race sound on its training recordings, tells them
// apart on held-back ones, and a second run on the same data is no better: not promoted.
func TestTrainDiagnosis(t *testing.T) {
	const rate = 8000
	dir := t.TempDir()
	fe := diagnose.FrontEnd{Rate: rate, ShaftHz: 25}
	clip := func(name string, defect bool, seed uint64) Clip {
		label := "normal"
		if defect {
			label = "bearing_outer_race"
		}
		return Clip{Path: writeBearing(t, dir, name, rate, fe.ShaftHz, defect, seed, 4), Label: label, Fault: defect}
	}
	train := []Clip{clip("n1", false, 1), clip("n2", false, 2), clip("o1", true, 3), clip("o2", true, 4)}
	test := []Clip{clip("n3", false, 5), clip("o3", true, 6)}
	ctx := context.Background()
	o := diagnose.Options{Kind: diagnose.KindSVM, Seed: 1}
	run, err := TrainDiagnosis(ctx, fe, train, test, nil, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first: %d training windows, %+v, %s", run.TrainWindows, run.Metrics, run.Reason)
	if !run.Promote || run.Metrics.Windows != 14 || run.Metrics.Accuracy < 0.9 || run.TrainWindows != 28 {
		t.Fatalf("first classifier: promote %v (%s), %d windows, accuracy %.2f", run.Promote, run.Reason, run.Metrics.Windows, run.Metrics.Accuracy)
	}
	again, err := TrainDiagnosis(ctx, fe, train, test, run.Model, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again.Promote || again.Champion == nil || again.Champion.Accuracy != run.Metrics.Accuracy {
		t.Errorf("same data again: promote %v (%s), champion %+v", again.Promote, again.Reason, again.Champion)
	}
	if _, err := TrainDiagnosis(ctx, fe, train[:2], test, nil, o, nil); !errors.Is(err, ErrTooFewLabels) {
		t.Errorf("normal sound only: %v, want ErrTooFewLabels", err)
	}
	other := diagnose.FrontEnd{Rate: 16000, ShaftHz: 25}
	if _, err := TrainDiagnosis(ctx, other, train, test, nil, o, nil); err == nil || !strings.Contains(err.Error(), "n1.wav: sample rate 8000 Hz") {
		t.Errorf("clips at another rate: %v, want an error naming the clip and its rate", err)
	}
}

func TestDiagnosisWindowsPerLabel(t *testing.T) {
	dir := t.TempDir()
	fe := diagnose.FrontEnd{Rate: 8000, ShaftHz: 25}
	var clips []Clip
	for i := range 5 { // 5 normal recordings of 4 s: 7 windows each
		clips = append(clips, Clip{Path: writeBearing(t, dir, fmt.Sprint("n", i), 8000, 25, false, uint64(i), 4), Label: "normal"})
	}
	clips = append(clips, Clip{Path: writeBearing(t, dir, "o", 8000, 25, true, 9, 2), Label: "fault"})
	ex, err := DiagnosisWindows(context.Background(), fe, clips, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	groups := map[string]int{}
	faults := 0
	for _, e := range ex {
		if e.Label == "fault" {
			faults++
		} else {
			groups[e.Group]++
		}
	}
	if len(ex) != 13 || faults != 3 || len(groups) != 5 {
		t.Fatalf("kept %d windows, %d of the fault, normal from %d recordings (%v); want 13, 3, 5", len(ex), faults, len(groups), groups)
	}
	all, err := DiagnosisWindows(context.Background(), fe, clips, 0, nil)
	if err != nil || len(all) != 38 {
		t.Fatalf("without a bound: %d windows, %v; want 38", len(all), err)
	}
}

func TestClipBounds(t *testing.T) {
	for _, tt := range []struct {
		c        Clip
		from, to int
	}{
		{Clip{}, 0, 100},
		{Clip{From: 200 * time.Millisecond}, 20, 100},
		{Clip{From: 200 * time.Millisecond, To: 500 * time.Millisecond}, 20, 50},
		{Clip{From: 2 * time.Second, To: 3 * time.Second}, 100, 100},
		{Clip{From: 500 * time.Millisecond, To: 100 * time.Millisecond}, 50, 50},
		{Clip{From: -time.Second}, 0, 100},
	} {
		if from, to := tt.c.bounds(100, 100); from != tt.from || to != tt.to {
			t.Errorf("%+v: bounds = %d, %d; want %d, %d", tt.c, from, to, tt.from, tt.to)
		}
	}
}
