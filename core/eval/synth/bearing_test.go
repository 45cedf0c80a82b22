package synth

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"signalcraft/core/dsp"
	"signalcraft/core/truth"
)

// diff returns s − q(base) over [from, to) as float64.
func diff(s, base []float32, from, to int) []float64 {
	d := make([]float64, to-from)
	for i := range d {
		d[i] = float64(s[from+i]) - float64(q(float64(base[from+i])))
	}
	return d
}

func rms64(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s / float64(len(x)))
}

// TestBearingNuisance compares the bearing stream with the same stream built without
// nuisances: the impacts and bursts are exactly in their noted intervals, at the times
// their notes give, spaced as promised, at their promised levels and frequencies.
func TestBearingNuisance(t *testing.T) {
	t.Parallel()
	s := buildDefault(t, "bearing")
	base, err := buildBearing(dataDir(t), mustDefaults(t, Params{}), bearingDefect)
	if err != nil {
		t.Fatal(err)
	}
	rate := s.Rate
	var normalFrom, normalTo time.Duration = -1, 0
	var ev []truth.Interval
	for _, iv := range s.Truth.Intervals {
		if iv.Label != truth.Normal {
			continue
		}
		if normalFrom < 0 {
			normalFrom = iv.Start
		}
		normalTo = iv.End
		if strings.HasPrefix(iv.Note, "impact at ") || strings.HasPrefix(iv.Note, "noise burst at ") {
			ev = append(ev, iv)
		}
	}
	changed := make([]bool, len(s.Samples))
	var impacts int
	var bursts []time.Duration
	for i, iv := range ev {
		var at float64
		if _, err := fmt.Sscanf(iv.Note[strings.Index(iv.Note, " at ")+4:], "%f s:", &at); err != nil {
			t.Fatalf("note %q: %v", iv.Note, err)
		}
		if (secs(at) - iv.Start).Abs() > time.Millisecond/2 {
			t.Errorf("%q: the interval starts at %s", iv.Note, iv.Start)
		}
		prev := normalFrom + (nuisanceMargin-nuisanceGap)*time.Second
		if i > 0 {
			prev = ev[i-1].End
		}
		if gap := iv.Start - prev; gap < nuisanceGap*time.Second {
			t.Errorf("%q: %s after the previous nuisance (or %d s margin), want ≥ %d s", iv.Note, gap, nuisanceMargin, nuisanceGap)
		}
		from, to := idx(iv.Start, rate), idx(iv.End, rate)
		for k := from; k < to; k++ {
			changed[k] = true
		}
		d := diff(s.Samples, base.Samples, from, to)
		local := rms(base.Samples, from-rate/2, to+rate/2)
		if strings.HasPrefix(iv.Note, "impact") {
			impacts++
			var khz float64
			var ms int
			if _, err := fmt.Sscanf(iv.Note[strings.Index(iv.Note, ": ")+2:], "%f kHz ringing + click, %d ms", &khz, &ms); err != nil {
				t.Fatalf("note %q: %v", iv.Note, err)
			}
			if khz < 2 || khz > 5 || ms < 20 || ms > 50 || iv.Duration() != time.Duration(ms)*time.Millisecond {
				t.Errorf("%q: %.2f kHz, %d ms, interval %s; want 2–5 kHz, 20–50 ms", iv.Note, khz, ms, iv.Duration())
			}
			peak, at := 0.0, 0
			for k, v := range d {
				if math.Abs(v) > peak {
					peak, at = math.Abs(v), k
				}
			}
			if db := 20 * math.Log10(peak/local); math.Abs(db-impactDB) > 0.5 || at > rate/200 {
				t.Errorf("%q: peak %.1f dB over the local RMS at +%d samples, want %d dB within 5 ms of the start", iv.Note, db, at, impactDB)
			}
			// The ringing's frequency from its zero crossings, after the click's first ms.
			ring := d[rate/1000 : len(d)/2]
			cross := 0
			for k := 1; k < len(ring); k++ {
				if (ring[k-1] < 0) != (ring[k] < 0) {
					cross++
				}
			}
			if f := float64(cross) / 2 / (float64(len(ring)) / float64(rate)) / 1000; math.Abs(f-khz) > 0.1*khz {
				t.Errorf("%q: rings at %.2f kHz", iv.Note, f)
			}
		} else {
			bursts = append(bursts, iv.Duration())
			if db := 20 * math.Log10(rms64(d)/local); math.Abs(db-burstDB) > 0.5 {
				t.Errorf("%q: RMS %.1f dB over the local RMS, want %d", iv.Note, db, burstDB)
			}
		}
	}
	if impacts != DefaultImpacts {
		t.Errorf("%d impacts, want %d", impacts, DefaultImpacts)
	}
	slices.Sort(bursts)
	if !slices.Equal(bursts, DefaultBursts()) {
		t.Errorf("bursts of %v, want %v", bursts, DefaultBursts())
	}
	if last := ev[len(ev)-1]; normalTo-last.End < nuisanceMargin*time.Second {
		t.Errorf("the last nuisance ends %s before the normal section does", normalTo-last.End)
	}
	faultFrom := idx(normalTo, rate)
	for k := range faultFrom {
		if !changed[k] && s.Samples[k] != q(float64(base.Samples[k])) {
			t.Fatalf("sample %d (%.3f s) changed outside the nuisances", k, float64(k)/float64(rate))
		}
	}
}

// TestBearingNoNuisance: Impacts < 0 and an empty Bursts leave the normal section as it
// was recorded.
func TestBearingNoNuisance(t *testing.T) {
	t.Parallel()
	s, err := Build("bearing", dataDir(t), Params{Impacts: -1, Bursts: []time.Duration{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, iv := range s.Truth.Intervals {
		if strings.Contains(iv.Note, " at ") {
			t.Errorf("interval %q with no nuisance asked for", iv.Note)
		}
	}
	if n := len(s.Truth.Intervals); n != 1+30+15 {
		t.Errorf("%d intervals, want 46", n)
	}
}

// TestBearingDefect compares the bearing stream with the same stream built without the
// defect: the added vibration ramps up linearly over 60 s to −10 dB re the fault section's
// RMS, and the envelope spectrum's energy at the defect rate grows over the ramp (first vs
// last 10 s of the fault interval) far above the fan's own.
func TestBearingDefect(t *testing.T) {
	t.Parallel()
	s := buildDefault(t, "bearing")
	p := mustDefaults(t, Params{})
	clean, err := buildBearing(dataDir(t), p, bearingNuisance)
	if err != nil {
		t.Fatal(err)
	}
	rate := s.Rate
	onsets := s.Truth.Onsets(truth.Fault)
	if len(onsets) != 1 {
		t.Fatalf("%d fault onsets, want 1", len(onsets))
	}
	from, to := idx(onsets[0].Start, rate), len(s.Samples)
	if learning := s.Truth.Learning(); onsets[0].Start != learning+300*time.Second-30*20*time.Millisecond {
		t.Errorf("fault onset at %s, want after 30 normal clips", onsets[0].Start)
	}
	if !strings.Contains(onsets[0].Note, "ramp from 0 to -10 dB over 60 s") {
		t.Errorf("onset note %q", onsets[0].Note)
	}
	for k := range from {
		if s.Samples[k] != q(float64(clean.Samples[k])) {
			t.Fatalf("sample %d (%.3f s) changed before the fault onset", k, float64(k)/float64(rate))
		}
	}
	d := diff(s.Samples, clean.Samples, from, to)
	ten := 10 * rate
	w0, w5 := rms64(d[:ten]), rms64(d[5*ten:6*ten])
	// A linear ramp over 60 s: the RMS of its sixth 10 s over its first is √((6³−5³)/1³).
	if r := w5 / w0; math.Abs(r-math.Sqrt(91)) > 0.15*math.Sqrt(91) {
		t.Errorf("ramp: RMS of 50–60 s over 0–10 s is %.2f, want %.2f", r, math.Sqrt(91))
	}
	final := 20 * math.Log10(rms64(d[6*ten:])/rms(clean.Samples, from, to))
	if math.Abs(final-DefaultFaultDB) > 0.5 {
		t.Errorf("final level %.2f dB re the base RMS, want %d", final, DefaultFaultDB)
	}
	// Demodulate as a bearing analyst would: band-pass around the resonance (about 2–4 kHz),
	// then the spectrum of the envelope.
	energy := func(x []float32) float64 {
		y := make([]float64, len(x))
		for i, v := range x {
			y[i] = float64(v)
		}
		bandPass(y, rate, p.ResonanceHz, 1.5)
		bandPass(y, rate, p.ResonanceHz, 1.5)
		f, m := dsp.EnvelopeSpectrum(y, rate)
		return dsp.FaultEnergy(f, m, p.DefectHz, 3, 1)
	}
	fan := energy(s.Samples[from-ten : from])
	first := energy(s.Samples[from : from+ten])
	last := energy(s.Samples[to-ten : to])
	t.Logf("envelope energy at %.1f Hz: fan %.3g, first 10 s %.3g, last 10 s %.3g", p.DefectHz, fan, first, last)
	if last < 100*first || last < 100*fan {
		t.Errorf("envelope energy at the defect rate: last 10 s %.3g, first %.3g, fan alone %.3g: want the last ≥ 100× both", last, first, fan)
	}
}
