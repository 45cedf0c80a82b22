package daemon

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"signalcraft/appliance/config"
	"signalcraft/core/eval"
	"signalcraft/core/eval/synth"
	"signalcraft/core/shareddata"
	"signalcraft/core/truth"
)

// TestSweepBearing (measurement only, SWEEP=1): the bearing-onset stream under profiles.
func TestSweepBearing(t *testing.T) {
	if os.Getenv("SWEEP") == "" {
		t.Skip("measurement")
	}
	level, _ := strconv.ParseFloat(os.Getenv("LEVEL"), 64)
	if level == 0 {
		level = 1
	}
	if level < 0 {
		level = 0
	}
	knockDB, _ := strconv.ParseFloat(os.Getenv("KNOCKDB"), 64)
	if knockDB == 0 {
		knockDB = 25
	}
	path, tr := bearingStream(t, 8, knockDB, level)
	for _, p := range strings.Split(os.Getenv("PROFILES"), " ") {
		base := profileBase(t, "fan", p)
		run, err := EvaluateStream(context.Background(), StreamEval{WAV: path, Truth: tr, Base: base, Machine: "m1"})
		if err != nil {
			t.Fatal(err)
		}
		r := eval.StreamScore(run, tr, 0)
		fmt.Printf("%-22s k/n %2d/%-2d  event %6.1f s  alert %6.1f s  notify %6.1f s  false events %d alerts %d  AUC %.3f\n",
			p, r.K, r.N, r.Onsets[0].EventDelayS, r.Onsets[0].AlertDelayS, r.Onsets[0].NotifyDelayS, r.FalseEvents, r.FalseAlerts, r.WindowAUC)
	}
}

// profileBase is a machine of kind listened to with the profile spec
// "window/hop/persistence[/quantile[/pooling+pooling]]".
func profileBase(t *testing.T, kind, spec string) *config.Config {
	f := strings.Split(spec, "/")
	base := kindBase(t, kind)
	d := &base.Machines[0].Detection
	d.Window, _ = time.ParseDuration(f[0])
	d.Hop, _ = time.ParseDuration(f[1])
	pers, _ := time.ParseDuration(f[2])
	d.Persistence = &pers
	if len(f) > 3 && f[3] != "" {
		d.Quantile, _ = strconv.ParseFloat(f[3], 64)
	}
	if len(f) > 4 {
		d.Pooling = strings.Split(f[4], "+")
	}
	return base
}

// valveStream is the DCASE 2022 valve section 00: the 25 fit clips to learn, the 25 test
// normals repeated in rounds (each clip circularly shifted), with knocks and bursts every
// minute or so, then the 50 anomalous clips.
func valveStream(t *testing.T, rounds int, knockDB float64, bursts []float64) (string, *truth.Truth) {
	fit := readClips(t, "dcase2022-valve-sec00-source", func(label, split string) bool { return split == "dev-fit" }, 25)
	normals := readClips(t, "dcase2022-valve-sec00-source", func(label, split string) bool { return split == "dev-test" && label == "normal" }, 25)
	anomalies := readClips(t, "dcase2022-valve-sec00-source", func(label, split string) bool { return label == "anomaly" }, 50)
	var normal []float32
	for r := 0; r < rounds; r++ {
		for i, c := range normals {
			k := (r*7919 + i*104729) % len(c)
			if r == 0 {
				k = 0
			}
			normal = append(normal, c[k:]...)
			normal = append(normal, c[:k]...)
		}
	}
	base := rms(normal)
	n := 0
	for at := 30 * 16000; at < len(normal)-30*16000; at += 60 * 16000 {
		if knockDB > 0 {
			impact(normal, at, base*math.Pow(10, knockDB/20))
		}
		if len(bursts) > 0 {
			burst(normal, at+30*16000, bursts[n%len(bursts)], base*3, uint64(n))
		}
		n++
	}
	if os.Getenv("ANOMORDER") == "reverse" {
		slices.Reverse(anomalies)
	}
	if os.Getenv("ANOMORDER") == "odd" {
		var a []([]float32)
		for i := 1; i < len(anomalies); i += 2 {
			a = append(a, anomalies[i])
		}
		for i := 0; i < len(anomalies); i += 2 {
			a = append(a, anomalies[i])
		}
		anomalies = a
	}
	return writeStream(t,
		part{concat(fit...), truth.Learning, ""},
		part{normal, truth.Normal, fmt.Sprintf("%d rounds of the 25 test normals, knocks and bursts", rounds)},
		part{concat(anomalies...), truth.Fault, "the 50 anomalous clips"},
	)
}

// TestSweepValve (measurement only, SWEEP=1): the valve stream under profiles.
func TestSweepValve(t *testing.T) {
	if os.Getenv("SWEEP") == "" {
		t.Skip("measurement")
	}
	rounds, _ := strconv.Atoi(os.Getenv("ROUNDS"))
	rounds = max(rounds, 1)
	knockDB, _ := strconv.ParseFloat(os.Getenv("KNOCKDB"), 64)
	var bursts []float64
	for _, b := range strings.Fields(os.Getenv("BURSTS")) {
		v, _ := strconv.ParseFloat(b, 64)
		bursts = append(bursts, v)
	}
	path, tr := valveStream(t, rounds, knockDB, bursts)
	for _, p := range strings.Split(os.Getenv("PROFILES"), " ") {
		base := profileBase(t, "valve", p)
		run, err := EvaluateStream(context.Background(), StreamEval{WAV: path, Truth: tr, Base: base, Machine: "m1"})
		if err != nil {
			t.Fatal(err)
		}
		r := eval.StreamScore(run, tr, 0)
		fmt.Printf("%-26s k/n %2d/%-2d  event %6.1f s  alert %6.1f s  notify %6.1f s  events %2d false %d (%.2f/h) alerts false %d (%.2f/h)  AUC %.3f pAUC %.3f  normal %.2f h\n",
			p, r.K, r.N, r.Onsets[0].EventDelayS, r.Onsets[0].AlertDelayS, r.Onsets[0].NotifyDelayS, r.Events, r.FalseEvents, r.FalseEventsPerHour,
			r.FalseAlerts, r.FalseAlertsPerHour, r.WindowAUC, r.WindowPAUC, r.NormalS/3600)
	}
}

// TestSweepPersistence (measurement only, SWEEP=1): the persistence trade-off on the synth
// streams — detection delay against false events with ordinary and heavy nuisance.
func TestSweepPersistence(t *testing.T) {
	if os.Getenv("SWEEP") == "" {
		t.Skip("measurement")
	}
	dir := filepath.Dir(filepath.Dir(shareddata.Require(t, "dcase2020-id00", "labels.csv")))
	heavy := synth.Params{Impacts: 8, Bursts: []time.Duration{300 * time.Millisecond, time.Second, 2 * time.Second, 3 * time.Second, 5 * time.Second}}
	for _, tc := range []struct {
		name, recipe, kind string
		p                  synth.Params
		pers               []string
	}{
		{"bearing", "bearing", "fan", synth.Params{}, []string{"0s", "1s", "2s", "4s", "8s"}},
		{"bearing, heavy nuisance", "bearing", "fan", heavy, []string{"0s", "1s", "2s", "4s", "8s"}},
		{"valve", "valve", "valve", synth.Params{}, []string{"0s", "2s", "5s", "8s"}},
	} {
		st, err := synth.Build(tc.recipe, dir, tc.p)
		if err != nil {
			t.Fatal(err)
		}
		p := t.TempDir()
		if err := st.WriteFiles(p+"/s.wav", p+"/s.csv"); err != nil {
			t.Fatal(err)
		}
		for _, ps := range tc.pers {
			base := kindBase(t, tc.kind)
			pers, _ := time.ParseDuration(ps)
			base.Machines[0].Detection.Persistence = &pers
			run, err := EvaluateStream(context.Background(), StreamEval{WAV: p + "/s.wav", Truth: st.Truth, Base: base, Machine: "m1"})
			if err != nil {
				t.Fatal(err)
			}
			r := eval.StreamScore(run, st.Truth, 0)
			fmt.Printf("| %s | %s | %d of %d | %.1f s | %.1f s | %d (%.2f/h) | %d (%.2f/h) | %.3f |\n", tc.name, ps, r.K, r.N,
				r.Onsets[0].AlertDelayS, r.Onsets[0].NotifyDelayS, r.FalseEvents, r.FalseEventsPerHour, r.FalseAlerts, r.FalseAlertsPerHour, r.WindowAUC)
		}
	}
}
