package mlops

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"signalcraft/core/detect"
	"signalcraft/core/dsp"
	"signalcraft/core/eval"
	"signalcraft/core/shareddata"
)

// fan is the DCASE 2020 id_00 machine (fan): its clips and the detector settings a fan
// machine of the daemon would run with.
func fan(t testing.TB) (Machine, detect.DetectorConfig, func(i int) Clip) {
	t.Helper()
	dir := shareddata.Require(t, "dcase2020-id00", "labels.csv")
	m := Machine{Profile: detect.ProfileFor("fan"), Rate: 16000}
	fc := m.Profile.Features(dsp.DefaultConfig(m.Rate))
	cfg := m.Profile.Apply(detect.DefaultDetectorConfig(), fc)
	cfg.Features = &fc
	clip := func(i int) Clip {
		p := filepath.Join(filepath.Dir(dir), fmt.Sprintf("normal_id_00_%08d.wav", i))
		return Clip{Path: shareddata.Require(t, "dcase2020-id00", filepath.Base(p)), Label: "normal"}
	}
	return m, cfg, clip
}

// A challenger trained on normal fan clips raises no false alarm on other normal clips;
// the throttle keeps the work to its share of a core. (The one fan anomaly of the set is
// too subtle for the fan's detector: it scores below the threshold and is not found.)
func TestTrainAndEvaluateOnRealFanClips(t *testing.T) {
	m, cfg, clip := fan(t)
	var train, test []Clip
	for i := 0; i < 20; i++ {
		train = append(train, clip(i))
	}
	for i := 60; i < 75; i++ {
		test = append(test, clip(i))
	}
	anomaly := Clip{Path: shareddata.Require(t, "dcase2020-id00", "anomaly_id_00_00000000.wav"), Label: "other", Fault: true}
	test = append(test, anomaly)

	th := NewThrottle(0.5)
	res, err := Train(context.Background(), m, cfg, train, th)
	if err != nil {
		t.Fatal(err)
	}
	if res.Audio < 199*time.Second || res.Windows < 300 {
		t.Errorf("trained on %v of sound, %d windows; want 200 s of 20 clips", res.Audio, res.Windows)
	}
	got, err := Evaluate(context.Background(), m, res.Detector, test, th)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("challenger on 15 held-back normal clips + 1 anomaly: %+v (recall %v)", got, *got.Recall)
	if math.Abs(got.NormalHours*3600-150) > 1 || got.Faults != 1 || got.Recall == nil {
		t.Errorf("metrics %+v: want 150 s of normal sound and 1 fault", got)
	}
	if got.FalseAlarmsPerHour > 24 { // at most 1 in 150 s
		t.Errorf("false alarms %d in %.0f s", got.FalseAlarms, got.NormalHours*3600)
	}
	// With half a core, sleeping takes as long as working (give or take the clock).
	if th.Slept < th.Busy*9/10 || th.Slept > th.Busy*11/10 {
		t.Errorf("throttle at 0.5: busy %v, slept %v", th.Busy, th.Slept)
	}
}

// Valve (transient profile: 10-s windows, persistence 5 s): trained on the 25 dev-fit
// normal clips, judged on the 25 held-back normal clips and the 50 anomalies — every 10-s
// clip played until it covers the 34 s the persistence rule needs.
func TestEvaluateFindsValveFaults(t *testing.T) {
	labels := shareddata.Require(t, "dcase2022-valve-sec00-source", "labels.csv")
	ds, err := eval.Load(filepath.Dir(labels))
	if err != nil {
		t.Fatal(err)
	}
	m := Machine{Profile: detect.ProfileFor("valve"), Rate: 16000}
	fc := m.Profile.Features(dsp.DefaultConfig(m.Rate))
	cfg := m.Profile.Apply(detect.DefaultDetectorConfig(), fc)
	cfg.Kind, cfg.Features = detect.KindGMM, &fc
	var train, test []Clip
	for _, c := range ds.Fit {
		train = append(train, Clip{Path: c.Path, Label: "normal"})
	}
	for _, c := range ds.Test {
		switch {
		case c.Anomaly:
			test = append(test, Clip{Path: c.Path, Label: "leak", Fault: true})
		default:
			test = append(test, Clip{Path: c.Path, Label: "normal"})
		}
	}
	res, err := Train(context.Background(), m, cfg, train, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Evaluate(context.Background(), m, res.Detector, test, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("valve: %d false alarms in %.2f h of normal sound; %d of %d anomalies found", got.FalseAlarms, got.NormalHours, got.Detected, got.Faults)
	if got.Faults != 50 || math.Abs(got.NormalHours*3600-25*40) > 5 {
		t.Errorf("metrics %+v: want 50 faults and 25 normal clips of 40 s", got)
	}
	if *got.Recall < 0.4 || got.FalseAlarms > 3 { // measured: 24 of 50 found, 1 false alarm in 0.28 h
		t.Errorf("valve: recall %.2f, %d false alarms; want ≥ 0.4 and ≤ 3", *got.Recall, got.FalseAlarms)
	}
}

func TestTrainRefusesFaultClipsAndOtherRates(t *testing.T) {
	m, cfg, clip := fan(t)
	bad := clip(0)
	bad.Fault, bad.Label = true, "imbalance"
	if _, err := Train(context.Background(), m, cfg, []Clip{clip(1), bad}, nil); err == nil {
		t.Error("trained on a fault clip")
	}
	m.Rate = 48000
	_, err := Train(context.Background(), m, cfg, []Clip{clip(1)}, nil)
	if err == nil || !contains(err.Error(), "normal_id_00_00000001.wav", "16000", "48000") {
		t.Errorf("other rate: err %v, want the file and both rates named", err)
	}
}

func contains(s string, parts ...string) bool {
	for _, p := range parts {
		if !containsOne(s, p) {
			return false
		}
	}
	return true
}

func containsOne(s, p string) bool {
	for i := 0; i+len(p) <= len(s); i++ {
		if s[i:i+len(p)] == p {
			return true
		}
	}
	return false
}

func TestGate(t *testing.T) {
	rec := func(v float64) *float64 { return &v }
	base := Metrics{NormalHours: 0.5, FalseAlarms: 4, FalseAlarmsPerHour: 8, Faults: 4, Detected: 3, Recall: rec(0.75)}
	with := func(fa, det int) Metrics {
		m := base
		m.FalseAlarms, m.Detected = fa, det
		return m
	}
	tests := []struct {
		name       string
		champ, chl Metrics
		promote    bool
		reason     string
	}{
		{"fewer false alarms, same faults", base, with(1, 3), true, "better: false alarms 4 → 1"},
		{"more faults, same false alarms", base, with(4, 4), true, "faults found 3 → 4 of 4"},
		{"equal", base, with(4, 3), false, "no better than the champion"},
		{"fewer false alarms but misses a fault", base, with(0, 2), false, "fewer faults found: faults found 3 → 2 of 4"},
		{"finds more but more false alarms", base, with(5, 4), false, "more false alarms: false alarms 4 → 5"},
		{"different clips", base, Metrics{NormalHours: 0.4, Faults: 4}, false, "not compared on the same clips"},
		{"too little normal sound", Metrics{NormalHours: 0.01, FalseAlarms: 3}, Metrics{NormalHours: 0.01}, false, "too little held-back normal sound: 36 s, 60 s needed"},
		{"no faults labelled: false alarms decide", Metrics{NormalHours: 0.1, FalseAlarms: 3}, Metrics{NormalHours: 0.1, FalseAlarms: 0}, true, "faults found 0 → 0 of 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, why := Gate(tt.champ, tt.chl)
			if ok != tt.promote || !containsOne(why, tt.reason) {
				t.Errorf("Gate = %v, %q; want %v, containing %q", ok, why, tt.promote, tt.reason)
			}
		})
	}
}

func TestPSI(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	draw := func(n int, mu float64) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = mu + rng.NormFloat64()
		}
		return x
	}
	edges := Deciles(draw(5000, 0))
	same, shifted := PSI(edges, draw(2000, 0)), PSI(edges, draw(2000, 1))
	if same > 0.05 {
		t.Errorf("PSI of the same distribution %.3f, want < 0.05", same)
	}
	if shifted < DriftThreshold {
		t.Errorf("PSI of a 1-σ shift %.3f, want > %.2f", shifted, DriftThreshold)
	}
	if PSI(nil, draw(10, 0)) != 0 || PSI(edges, nil) != 0 {
		t.Error("PSI without edges or scores is not 0")
	}
}

func TestThrottle(t *testing.T) {
	var slept time.Duration
	now := time.Unix(0, 0)
	th := &Throttle{Share: 0.25, sleep: func(d time.Duration) { slept += d }, now: func() time.Time { return now }}
	if err := th.Do(func() error { now = now.Add(100 * time.Millisecond); return nil }); err != nil {
		t.Fatal(err)
	}
	if slept != 300*time.Millisecond {
		t.Errorf("a quarter of a core after 100 ms of work: slept %v, want 300ms", slept)
	}
	var nilT *Throttle
	ran := false
	if err := nilT.Do(func() error { ran = true; return nil }); err != nil || !ran {
		t.Error("a nil throttle does not run the work")
	}
}
