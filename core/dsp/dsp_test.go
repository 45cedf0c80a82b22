package dsp

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	ok := DefaultConfig(16000)
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string // "" = valid
	}{
		{"default", func(*Config) {}, ""},
		{"htk with range", func(c *Config) { c.Scale, c.FMin, c.FMax = MelHTK, 20, 7600 }, ""},
		{"hop larger than frame", func(c *Config) { c.Hop = 4096 }, ""},
		{"no mfcc", func(c *Config) { c.MFCC = 0 }, ""},
		{"sample rate", func(c *Config) { c.SampleRate = 0 }, "dsp: sample_rate 0: must be positive"},
		{"frame size not power of two", func(c *Config) { c.FrameSize = 1000 }, "dsp: frame_size 1000: not a power of two"},
		{"frame size tiny", func(c *Config) { c.FrameSize = 8 }, "dsp: frame_size 8: must be at least 16"},
		{"hop", func(c *Config) { c.Hop = 0 }, "dsp: hop 0: must be positive"},
		{"mels", func(c *Config) { c.Mels = -1 }, "dsp: mels -1: must be positive"},
		{"fmin negative", func(c *Config) { c.FMin = -5 }, "dsp: fmin -5: must be non-negative"},
		{"fmin NaN", func(c *Config) { c.FMin = math.NaN() }, "dsp: fmin NaN: must be non-negative"},
		{"fmax above nyquist", func(c *Config) { c.FMax = 9000 }, "dsp: fmax 9000: above the Nyquist frequency 8000 Hz"},
		{"fmax below fmin", func(c *Config) { c.FMin, c.FMax = 500, 400 }, "dsp: fmax 400: must be above fmin 500"},
		{"fmin at nyquist", func(c *Config) { c.FMin = 8000 }, "dsp: fmax 0: must be above fmin 8000"},
		{"scale", func(c *Config) { c.Scale = 7 }, "dsp: scale 7: unknown mel scale"},
		{"mfcc negative", func(c *Config) { c.MFCC = -1 }, "dsp: mfcc -1: must be non-negative"},
		{"mfcc above mels", func(c *Config) { c.Mels, c.MFCC = 16, 20 }, "dsp: mfcc 20: more than mels 16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.mutate(&c)
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				if _, err := NewExtractor(c); err != nil {
					t.Fatalf("NewExtractor() = %v", err)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("errors.Is(%v, ErrConfig) = false", err)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field == "" {
				t.Errorf("error %v is not a *ConfigError naming a field", err)
			}
			if _, err := NewExtractor(c); !errors.Is(err, ErrConfig) {
				t.Errorf("NewExtractor() = %v, want ErrConfig", err)
			}
		})
	}
}

func TestDefaultConfig(t *testing.T) {
	for _, tt := range []struct{ sr, frame int }{{16000, 1024}, {48000, 2048}, {44100, 2048}, {12000, 512}, {8000, 512}} {
		c := DefaultConfig(tt.sr)
		if c.FrameSize != tt.frame || c.Hop != tt.frame/2 || c.Mels != 128 || c.MFCC != 20 || c.Scale != MelSlaney {
			t.Errorf("DefaultConfig(%d) = %+v, want frame %d, hop %d, 128 slaney mels, 20 MFCC", tt.sr, c, tt.frame, tt.frame/2)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("DefaultConfig(%d).Validate() = %v", tt.sr, err)
		}
	}
}

func TestMelScaleString(t *testing.T) {
	if MelSlaney.String() != "slaney" || MelHTK.String() != "htk" || MelScale(9).String() != "MelScale(9)" {
		t.Errorf("String: %v %v %v", MelSlaney, MelHTK, MelScale(9))
	}
}

// TestFramer compares the streaming framer with direct slicing of the whole signal for
// overlapping, contiguous and gapped frames and several block patterns.
func TestFramer(t *testing.T) {
	const n = 1000
	sig := make([]float32, n)
	for i := range sig {
		sig[i] = float32(i)
	}
	for _, tt := range []struct{ size, hop int }{{16, 8}, {16, 16}, {16, 5}, {10, 25}, {1, 1}, {64, 1}} {
		var want [][]float64
		for s := 0; s+tt.size <= n; s += tt.hop {
			f := make([]float64, tt.size)
			for i := range f {
				f[i] = float64(sig[s+i])
			}
			want = append(want, f)
		}
		for _, block := range []int{1, 3, 16, 17, 999, 1000} {
			fr := NewFramer(tt.size, tt.hop)
			var got [][]float64
			for off := 0; off < n; off += block {
				fr.Push(sig[off:min(off+block, n)], func(f []float64) {
					got = append(got, append([]float64(nil), f...))
				})
			}
			if len(got) != len(want) {
				t.Fatalf("size %d hop %d block %d: %d frames, want %d", tt.size, tt.hop, block, len(got), len(want))
			}
			for i := range want {
				for j := range want[i] {
					if got[i][j] != want[i][j] {
						t.Fatalf("size %d hop %d block %d: frame %d[%d] = %v, want %v", tt.size, tt.hop, block, i, j, got[i][j], want[i][j])
					}
				}
			}
		}
	}
}

func TestFramerReset(t *testing.T) {
	fr := NewFramer(4, 2)
	var got [][]float64
	emit := func(f []float64) { got = append(got, append([]float64(nil), f...)) }
	fr.Push([]float32{1, 2, 3}, emit)
	fr.Reset()
	fr.Push([]float32{10, 11, 12, 13}, emit)
	if len(got) != 1 || got[0][0] != 10 || got[0][3] != 13 {
		t.Fatalf("after Reset got %v, want one frame [10 11 12 13]", got)
	}
	if fr.Size() != 4 || fr.Hop() != 2 {
		t.Errorf("Size, Hop = %d, %d", fr.Size(), fr.Hop())
	}
}

func TestNewFramerPanics(t *testing.T) {
	for _, a := range [][2]int{{0, 1}, {4, 0}, {-1, -1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewFramer(%d, %d) did not panic", a[0], a[1])
				}
			}()
			NewFramer(a[0], a[1])
		}()
	}
}

func TestPushAllocs(t *testing.T) {
	fr := NewFramer(1024, 512)
	block := make([]float32, 333)
	frames := 0
	emit := func([]float64) { frames++ }
	if a := testing.AllocsPerRun(100, func() { fr.Push(block, emit) }); a != 0 {
		t.Errorf("Framer.Push: %v allocations per call, want 0", a)
	}
	if frames == 0 {
		t.Error("no frames emitted")
	}
}

func noise(n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]float64, n)
	for i := range x {
		x[i] = 0.1 * r.NormFloat64()
	}
	return x
}

func TestProcessZeroAllocs(t *testing.T) {
	for _, sr := range []int{16000, 48000} {
		c := DefaultConfig(sr)
		e, err := NewExtractor(c)
		if err != nil {
			t.Fatal(err)
		}
		f := NewFrame(c)
		x := noise(c.FrameSize, 1)
		if a := testing.AllocsPerRun(50, func() { e.Process(x, f) }); a != 0 {
			t.Errorf("%d Hz: Process made %v allocations per call, want 0", sr, a)
		}
	}
}

func TestProcessPanicsOnWrongLength(t *testing.T) {
	c := DefaultConfig(16000)
	e, _ := NewExtractor(c)
	defer func() {
		if recover() == nil {
			t.Error("Process with a short frame did not panic")
		}
	}()
	e.Process(make([]float64, 100), NewFrame(c))
}

func finite(f *Frame) bool {
	for _, s := range [][]float64{f.Power, f.Mel, f.LogMel, f.MFCC,
		{f.RMS, f.DBFS, f.Peak, f.Crest, f.Kurtosis, f.ZCR, f.Centroid, f.Bandwidth, f.Rolloff, f.Flatness, f.Flux}} {
		for _, v := range s {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return false
			}
		}
	}
	return true
}

// TestProcessKnownSignals checks features against closed-form values.
func TestProcessKnownSignals(t *testing.T) {
	c := DefaultConfig(16000)
	n := c.FrameSize
	e, _ := NewExtractor(c)
	f := NewFrame(c)

	t.Run("silence", func(t *testing.T) {
		e.Reset()
		e.Process(make([]float64, n), f)
		if !finite(f) {
			t.Fatalf("non-finite feature for silence: %+v", *f)
		}
		if f.RMS != 0 || f.DBFS != DBFSFloor || f.Crest != 0 || f.Kurtosis != 0 || f.ZCR != 0 || f.Centroid != 0 || f.Flux != 0 {
			t.Errorf("silence: %+v", *f)
		}
		if want := 10 * math.Log10(LogMelEps); math.Abs(f.LogMel[0]-want) > 1e-9 {
			t.Errorf("silence LogMel = %v, want floor %v", f.LogMel[0], want)
		}
		if math.Abs(f.Flatness-1) > 1e-12 {
			t.Errorf("silence flatness = %v, want 1 (all bins at amin)", f.Flatness)
		}
	})
	t.Run("constant", func(t *testing.T) {
		x := make([]float64, n)
		for i := range x {
			x[i] = -0.5
		}
		e.Process(x, f)
		if !finite(f) || f.Kurtosis != 0 || f.Crest != 1 || math.Abs(f.DBFS-20*math.Log10(0.5)) > 1e-12 || f.ZCR != 0 {
			t.Errorf("constant frame: %+v", *f)
		}
	})
	t.Run("sine on a bin", func(t *testing.T) {
		e.Reset()
		const k = 64 // 1000 Hz exactly
		x := make([]float64, n)
		for i := range x {
			x[i] = math.Sin(2 * math.Pi * k * float64(i) / float64(n))
		}
		e.Process(x, f)
		if got, want := f.RMS, 1/math.Sqrt2; math.Abs(got-want) > 1e-12 {
			t.Errorf("RMS = %v, want %v", got, want)
		}
		if math.Abs(f.Kurtosis-1.5) > 1e-9 || math.Abs(f.Crest-math.Sqrt2) > 1e-6 {
			t.Errorf("Kurtosis %v (want 1.5), Crest %v (want √2)", f.Kurtosis, f.Crest)
		}
		// Hann-windowed sine on bin k: |X[k]| = N/4, |X[k±1]| = N/8, nothing else.
		if math.Abs(f.Power[k]-float64(n*n)/16) > 1e-6*float64(n*n) {
			t.Errorf("Power[%d] = %v, want %v", k, f.Power[k], n*n/16)
		}
		if math.Abs(f.Centroid-1000) > 1e-6 || math.Abs(f.Rolloff-1000-15.625) > 1e-9 {
			t.Errorf("Centroid %v (want 1000), Rolloff %v (want 1015.625)", f.Centroid, f.Rolloff)
		}
		// Bandwidth: weights 1/4, 1/2, 1/4 at ±df → df/√2.
		if want := 15.625 / math.Sqrt2; math.Abs(f.Bandwidth-want) > 1e-6 {
			t.Errorf("Bandwidth = %v, want %v", f.Bandwidth, want)
		}
		if f.ZCR < 0.12 || f.ZCR > 0.13 { // 2 crossings per cycle: 2·1000/16000 = 0.125
			t.Errorf("ZCR = %v, want ≈ 0.125", f.ZCR)
		}
	})
	t.Run("flux", func(t *testing.T) {
		e.Reset()
		x := noise(n, 3)
		e.Process(x, f)
		if f.Flux != 0 {
			t.Errorf("first frame Flux = %v, want 0", f.Flux)
		}
		e.Process(x, f)
		if f.Flux != 0 {
			t.Errorf("identical frame Flux = %v, want 0", f.Flux)
		}
		y := make([]float64, n)
		for i := range y {
			y[i] = 2 * x[i]
		}
		var want float64 // |2X| − |X| = |X|
		for k := range f.Power {
			want += f.Power[k]
		}
		e.Process(y, f)
		if math.Abs(f.Flux-math.Sqrt(want)) > 1e-9*math.Sqrt(want) {
			t.Errorf("doubled frame Flux = %v, want %v", f.Flux, math.Sqrt(want))
		}
	})
	t.Run("gaussian noise", func(t *testing.T) {
		x := noise(16*n, 4)
		var k float64
		for i := 0; i < 16; i++ {
			e.Process(x[i*n:(i+1)*n], f)
			k += f.Kurtosis / 16
			if !finite(f) {
				t.Fatal("non-finite features for noise")
			}
		}
		if math.Abs(k-3) > 0.3 {
			t.Errorf("mean kurtosis of Gaussian noise = %v, want ≈ 3 (Pearson, non-excess)", k)
		}
	})
}

func TestHannWindowPeriodic(t *testing.T) {
	w := HannWindow(8)
	want := []float64{0, 0.1464466094067262, 0.5, 0.8535533905932737, 1, 0.8535533905932737, 0.5, 0.1464466094067262}
	for i := range w {
		if math.Abs(w[i]-want[i]) > 1e-15 {
			t.Errorf("HannWindow(8)[%d] = %v, want %v", i, w[i], want[i])
		}
	}
}

func TestMelRoundTrip(t *testing.T) {
	for _, s := range []MelScale{MelSlaney, MelHTK} {
		for _, hz := range []float64{0, 20, 500, 999.9, 1000, 1000.1, 4000, 24000} {
			if got := MelToHz(HzToMel(hz, s), s); math.Abs(got-hz) > 1e-9*math.Max(1, hz) {
				t.Errorf("%v: MelToHz(HzToMel(%v)) = %v", s, hz, got)
			}
		}
	}
	// Slaney: 1000 Hz is 15 mels; HTK: 1000 Hz ≈ 1000 mels.
	if m := HzToMel(1000, MelSlaney); math.Abs(m-15) > 1e-12 {
		t.Errorf("slaney 1000 Hz = %v mel, want 15", m)
	}
	if m := HzToMel(1000, MelHTK); math.Abs(m-999.9855) > 1e-3 {
		t.Errorf("htk 1000 Hz = %v mel, want 999.9855", m)
	}
}

func TestBandLevelsNominal(t *testing.T) {
	p := make([]float64, 1025)
	bands := BandLevels(p, 48000, 2048, 3)
	nominal := map[float64]bool{}
	for _, b := range bands {
		if math.Abs(b.High/b.Low-math.Pow(10, 0.1)) > 1e-12 {
			t.Errorf("band %v: edge ratio %v, want 10^0.1", b.Center, b.High/b.Low)
		}
		if b.Level != -100 {
			t.Errorf("empty band level %v, want -100 (1e-10 floor)", b.Level)
		}
		nominal[math.Round(b.Center*10)/10] = true
	}
	// Exact base-ten centres of nominal 1 kHz, 1.25 kHz (1258.9) and 20 kHz (19952.6) bands.
	for _, fc := range []float64{1000, 1258.9, 19952.6} {
		if !nominal[fc] {
			t.Errorf("third-octave centre %v missing from %d bands", fc, len(bands))
		}
	}
	if BandLevels(p, 48000, 2048, 0) != nil || BandLevels(p[:10], 48000, 2048, 1) != nil {
		t.Error("invalid arguments should return nil")
	}
	// All power in one bin lands in exactly one band.
	p[100] = 1e3 // 2343.75 Hz
	for _, b := range BandLevels(p, 48000, 2048, 1) {
		in := 2343.75 >= b.Low && 2343.75 < b.High
		if in != (b.Level == 30) {
			t.Errorf("octave band %v Hz: level %v", b.Center, b.Level)
		}
	}
}

func TestFaultEnergy(t *testing.T) {
	freqs := []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	mag := []float64{9, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1}
	tests := []struct {
		name      string
		f0        float64
		harmonics int
		tol       float64
		want      float64
	}{
		{"single bin", 6, 1, 0.1, 4},
		{"tolerance", 6, 1, 1, 6},
		{"two harmonics", 3, 2, 0, 1 + 4},
		{"overlap counted once", 1, 10, 1, 81 + 9*1 + 4}, // every bin once, DC included
		{"harmonics beyond spectrum", 6, 5, 0, 4},
		{"bad f0", 0, 3, 1, 0},
	}
	for _, tt := range tests {
		if got := FaultEnergy(freqs, mag, tt.f0, tt.harmonics, tt.tol); got != tt.want {
			t.Errorf("%s: FaultEnergy = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestFaultFrequenciesCWRU(t *testing.T) {
	got := FaultFrequencies(1797.0/60, CWRU6205())
	for _, tt := range []struct {
		name      string
		got, want float64
	}{{"BPFO", got.BPFO, 107.4}, {"BPFI", got.BPFI, 162.2}, {"BSF", got.BSF, 70.6}, {"FTF", got.FTF, 11.9}} {
		if math.Abs(tt.got-tt.want) > 0.05 {
			t.Errorf("%s at 1797 rpm = %.2f Hz, want %.1f", tt.name, tt.got, tt.want)
		}
	}
}

func TestEnvelopeSpectrumShort(t *testing.T) {
	if f, m := EnvelopeSpectrum([]float64{1}, 100); f != nil || m != nil {
		t.Error("len 1 should return nil")
	}
}

// TestFlatnessHugeInput drives the flatness product out of the float64 range so that the
// log-sum fallback runs; flatness is scale invariant, so it must match the unscaled frame.
func TestFlatnessHugeInput(t *testing.T) {
	c := DefaultConfig(16000)
	e, _ := NewExtractor(c)
	f := NewFrame(c)
	x := noise(c.FrameSize, 9)
	e.Process(x, f)
	want := f.Flatness
	for i := range x {
		x[i] *= 1e45
	}
	e.Process(x, f)
	if math.Abs(f.Flatness-want) > 1e-9*want || !finite(f) {
		t.Errorf("flatness of scaled frame = %v, want %v", f.Flatness, want)
	}
	if got := math.Exp(flatnessLogs(f.Power)/float64(len(f.Power))) / mean(f.Power); math.Abs(got-want) > 1e-9*want {
		t.Errorf("flatnessLogs path = %v, want %v", got, want)
	}
}

func mean(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

func TestConstants(t *testing.T) {
	if want := math.Log(6.4) / 27; slaneyLogStep != want {
		t.Errorf("slaneyLogStep = %.17g, want %.17g", slaneyLogStep, want)
	}
	if want := math.Pow(10, 0.3); octaveRatio != want {
		t.Errorf("octaveRatio = %.17g, want %.17g", octaveRatio, want)
	}
	if want := float64(float32(math.Nextafter32(1, 2) - 1)); LogMelEps != want {
		t.Errorf("LogMelEps = %g, want float32 epsilon %g", LogMelEps, want)
	}
}

// TestMelStageMatchesHelpers checks Process's fused mel stage against the public helpers on
// frames whose mel dynamic range exceeds top_db (a pure tone: clipping active, and both the
// series and the direct log-mel branches used) and on noise.
func TestMelStageMatchesHelpers(t *testing.T) {
	c := DefaultConfig(16000)
	e, _ := NewExtractor(c)
	f := NewFrame(c)
	tone := make([]float64, c.FrameSize)
	for i := range tone {
		tone[i] = 0.5 * math.Sin(2*math.Pi*64*float64(i)/float64(c.FrameSize))
	}
	for name, x := range map[string][]float64{"tone": tone, "noise": noise(c.FrameSize, 12), "quiet noise": scaled(noise(c.FrameSize, 13), 1e-4)} {
		e.Process(x, f)
		db := make([]float64, len(f.Mel))
		PowerToDB(f.Mel, 1, DefaultAmin, DefaultTopDB, db)
		want := make([]float64, len(f.MFCC))
		DCTOrtho(db, want)
		small, large := 0, 0
		for i, m := range f.Mel {
			w := 10 * math.Log10(m+LogMelEps)
			if math.Abs(f.LogMel[i]-w) > 1e-12*math.Max(1, math.Abs(w)) {
				t.Errorf("%s: LogMel[%d] = %.17g, want %.17g (mel %g)", name, i, f.LogMel[i], w, m)
			}
			if m > LogMelEps*1e5 {
				large++
			} else {
				small++
			}
		}
		for k := range want {
			if math.Abs(f.MFCC[k]-want[k]) > 1e-9*math.Max(1, math.Abs(want[k])) {
				t.Errorf("%s: MFCC[%d] = %.17g, want %.17g", name, k, f.MFCC[k], want[k])
			}
		}
		t.Logf("%s: %d bands on the series path, %d direct", name, large, small)
		if name == "tone" && (small == 0 || large == 0) {
			t.Errorf("tone should exercise both log-mel paths (series %d, direct %d)", large, small)
		}
	}
}

func scaled(x []float64, g float64) []float64 {
	for i := range x {
		x[i] *= g
	}
	return x
}
