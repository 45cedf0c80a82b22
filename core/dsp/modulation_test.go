package dsp

import (
	"math"
	"math/rand/v2"
	"testing"
)

// impacts returns 2 s of white noise at sr with, if amp > 0, impacts at rate Hz ringing a
// 3-kHz resonance.
func impacts(sr int, rate, amp float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float64, 2*sr)
	for i := range x {
		x[i] = 0.05 * rng.NormFloat64()
	}
	if amp > 0 {
		for k := 0; ; k++ {
			at := int(float64(k) * float64(sr) / rate)
			if at >= len(x) {
				break
			}
			for i := 0; i < sr/100 && at+i < len(x); i++ {
				t := float64(i) / float64(sr)
				x[at+i] += amp * math.Exp(-t/0.001) * math.Sin(2*math.Pi*3000*t)
			}
		}
	}
	return x
}

// bandOf returns the modulation band that holds hz.
func bandOf(hz float64) int {
	return int(math.Floor(math.Log(hz/ModMinHz) / math.Log(ModMaxHz/ModMinHz) * ModBands))
}

// TestModulationFindsRepeatingImpacts: impacts at 107 Hz make a prominent line in the band
// of 107 Hz (and of its harmonic at 214 Hz), noise does not; the same sound at 16 and 48 kHz
// gives the same bands.
func TestModulationFindsRepeatingImpacts(t *testing.T) {
	for _, sr := range []int{16000, 48000} {
		m := NewModulation(2*sr, sr)
		noise := m.Bands(nil, impacts(sr, 107, 0, 1))
		fault := m.Bands(nil, impacts(sr, 107, 0.1, 1))
		if len(noise) != ModBands || len(fault) != ModBands {
			t.Fatalf("%d Hz: %d and %d bands", sr, len(noise), len(fault))
		}
		for _, hz := range []float64{107, 214} {
			b := bandOf(hz)
			if fault[b] < noise[b]+1 { // ten times more prominent
				t.Errorf("%d Hz: band of %.0f Hz: %.2f with impacts, %.2f without", sr, hz, fault[b], noise[b])
			}
		}
		for b, v := range noise {
			if v < 0 || v > 1.6 {
				t.Errorf("%d Hz: noise band %d prominence %.2f (a line stands out of noise's envelope)", sr, b, v)
			}
		}
	}
	// the same sound at 48 kHz (each 16-kHz sample held for three: the band below 7.2 kHz
	// is the same, a little attenuated towards its top)
	x16 := impacts(16000, 107, 0.1, 2)
	x48 := make([]float64, 3*len(x16))
	for i, v := range x16 {
		x48[3*i], x48[3*i+1], x48[3*i+2] = v, v, v
	}
	a, b := NewModulation(len(x16), 16000).Bands(nil, x16), NewModulation(len(x48), 48000).Bands(nil, x48)
	for _, hz := range []float64{107, 214} {
		if d := math.Abs(a[bandOf(hz)] - b[bandOf(hz)]); d > 0.3 {
			t.Errorf("band of %.0f Hz: %.2f at 16 kHz, %.2f at 48 kHz", hz, a[bandOf(hz)], b[bandOf(hz)])
		}
	}
}

func TestSmooth(t *testing.T) {
	for _, tc := range [][2]int{{1, 1}, {7, 8}, {97, 100}, {32427, 32768}, {32769, 32805}, {1024, 1024}} {
		if got := smooth(tc[0]); got != tc[1] {
			t.Errorf("smooth(%d) = %d, want %d", tc[0], got, tc[1])
		}
	}
}
