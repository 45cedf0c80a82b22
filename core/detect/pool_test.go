package detect

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"signalcraft/core/dsp"
)

func TestPoolerStats(t *testing.T) {
	frames := [][]float64{{1, -2}, {3, 0}, {2, 5}, {-1, 1}}
	for _, tc := range []struct {
		stats []Stat
		want  []float64
	}{
		{[]Stat{StatMean}, []float64{1.25, 1}},
		{[]Stat{StatMax}, []float64{3, 5}},
		{[]Stat{StatMin}, []float64{-1, -2}},
		{[]Stat{StatStd}, []float64{math.Sqrt(2.1875), math.Sqrt(6.5)}},
		{[]Stat{StatDelta}, []float64{(2 + 1 + 3) / 3.0, (2 + 5 + 4) / 3.0}},
		{nil, []float64{3, 5}}, // DefaultStats = max
		{[]Stat{StatMean, StatMax}, []float64{1.25, 1, 3, 5}},
	} {
		p := NewPooler(2, tc.stats...)
		for _, f := range frames {
			p.Add(f)
		}
		got := p.Vector(nil)
		if len(got) != len(tc.want) || p.Dim() != len(tc.want) {
			t.Fatalf("%v: got %v, want %v", tc.stats, got, tc.want)
		}
		for i := range got {
			if math.Abs(got[i]-tc.want[i]) > 1e-12 {
				t.Errorf("%v: got %v, want %v", tc.stats, got, tc.want)
				break
			}
		}
		p.Reset()
		if v := p.Vector(nil); p.N() != 0 || v[0] != 0 {
			t.Errorf("after Reset: n %d vector %v", p.N(), v)
		}
	}
}

func TestWindowerOverlap(t *testing.T) {
	// Frames 0..9 of one dimension; window 4, hop 2, max → windows end at frames 3,5,7,9.
	w := NewWindower(1, 4, 2, StatMax, StatMin)
	var got [][]float64
	for i := 0; i < 10; i++ {
		w.Push([]float64{float64(i)}, func(v []float64) { got = append(got, append([]float64(nil), v...)) })
	}
	want := [][]float64{{3, 0}, {5, 2}, {7, 4}, {9, 6}}
	if len(got) != len(want) {
		t.Fatalf("windows %v, want %v", got, want)
	}
	for i := range want {
		if got[i][0] != want[i][0] || got[i][1] != want[i][1] {
			t.Errorf("window %d: %v, want %v", i, got[i], want[i])
		}
	}
	if w.Flush(func([]float64) { t.Error("Flush after windows must not emit") }) {
		t.Error("Flush reported emitting")
	}
	w.Reset()
	w.Push([]float64{5}, func([]float64) { t.Error("unexpected window") })
	w.Push([]float64{2}, func([]float64) { t.Error("unexpected window") })
	var fl []float64
	if !w.Flush(func(v []float64) { fl = append(fl, v...) }) || fl[0] != 5 || fl[1] != 2 {
		t.Errorf("flush of a short stream: %v", fl)
	}
}

func TestFeatureConfig(t *testing.T) {
	fc := TransientProfile.Features(dsp.DefaultConfig(16000))
	if err := fc.Validate(); err != nil {
		t.Fatal(err)
	}
	if fc.Window != 313 || fc.Hop != 63 || fc.Dim() != 128 { // 10 s, 2 s of 512-sample hops
		t.Errorf("default window %d hop %d dim %d", fc.Window, fc.Hop, fc.Dim())
	}
	fc.Scalars = []string{"rms", "crest"}
	fc.Stats = []Stat{StatMean, StatMax}
	if fc.Dim() != 2*130 {
		t.Errorf("dim with scalars %d", fc.Dim())
	}
	for _, bad := range []func(*FeatureConfig){
		func(c *FeatureConfig) { c.Window = 0 },
		func(c *FeatureConfig) { c.Hop = -1 },
		func(c *FeatureConfig) { c.Stats = []Stat{"median"} },
		func(c *FeatureConfig) { c.Scalars = []string{"loudness"} },
		func(c *FeatureConfig) { c.DSP.FrameSize = 1000 },
		func(c *FeatureConfig) { c.MFCC = true; c.DSP.MFCC = 0 },
	} {
		c := TransientProfile.Features(dsp.DefaultConfig(16000))
		bad(&c)
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v, want ErrConfig", c, err)
		}
	}
}

func TestChain(t *testing.T) {
	fc := NewFeatureConfig(dsp.DefaultConfig(16000), time.Second, 500*time.Millisecond)
	fc.Scalars = []string{"rms"}
	fc.MFCC = true
	c, err := NewChain(fc)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	x := make([]float32, 16000*3)
	for i := range x {
		x[i] = float32(0.1 * rng.NormFloat64())
	}
	var n int
	// Pushing in odd-sized blocks must give the same windows as a single push.
	var first [][]float64
	for off := 0; off < len(x); off += 777 {
		c.Push(x[off:min(off+777, len(x))], func(w []float64) {
			n++
			if len(w) != fc.Dim() {
				t.Fatalf("window dim %d, want %d", len(w), fc.Dim())
			}
			first = append(first, append([]float64(nil), w...))
		})
	}
	frames := 1 + (len(x)-1024)/512
	if want := 1 + (frames-fc.Window)/fc.Hop; n != want || c.Frames() != int64(frames) {
		t.Fatalf("%d windows from %d frames, want %d", n, c.Frames(), want)
	}
	c.Reset()
	i := 0
	c.Push(x, func(w []float64) {
		for j := range w {
			if w[j] != first[i][j] {
				t.Fatalf("window %d differs when pushed at once", i)
			}
		}
		i++
	})
	// The rms scalar is the last dimension of the frame vector; its max over white noise
	// of std 0.1 is near 0.1.
	if r := first[0][fc.FrameDim()-1]; r < 0.09 || r > 0.13 {
		t.Errorf("max rms %g", r)
	}
}

func BenchmarkChainPush(b *testing.B) {
	c, err := NewChain(TransientProfile.Features(dsp.DefaultConfig(16000)))
	if err != nil {
		b.Fatal(err)
	}
	x := make([]float32, 16000)
	for i := range x {
		x[i] = float32(math.Sin(float64(i) * 0.1))
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(x) * 4))
	emit := func([]float64) {}
	for b.Loop() {
		c.Push(x, emit)
	}
}

// TestChainFrameCheck: every window that holds a flagged frame says so, however short the
// fault; windows around it do not.
func TestChainFrameCheck(t *testing.T) {
	const rate = 16000
	p := Profile{Window: time.Second, Hop: 250 * time.Millisecond, Pooling: []Stat{StatMax}}
	c, err := NewChain(p.Features(dsp.DefaultConfig(rate)))
	if err != nil {
		t.Fatal(err)
	}
	silent := func(x []float64) bool {
		for _, v := range x {
			if v != 0 {
				return false
			}
		}
		return true
	}
	c.SetFrameCheck(silent)
	x := make([]float32, 6*rate)
	for i := range x {
		x[i] = float32(0.1 * math.Sin(float64(i)*0.3))
	}
	// a 100-ms dropout at 3 s
	from, to := 3*rate, 3*rate+rate/10
	clear(x[from:to])
	fc := c.Config().DSP
	var flagged, clean int
	c.Push(x, func([]float64) {
		end := int((c.Frames()-1)*int64(fc.Hop) + int64(fc.FrameSize))
		start := end - (p.Features(fc).Window-1)*fc.Hop - fc.FrameSize
		// a frame is all zero only if it lies inside the dropout
		holds := false
		for f := start; f+fc.FrameSize <= end; f += fc.Hop {
			if f >= from && f+fc.FrameSize <= to {
				holds = true
			}
		}
		if got := c.Flagged() > 0; got != holds {
			t.Errorf("window [%d, %d): flagged %d frames, holds a silent frame: %v", start, end, c.Flagged(), holds)
		}
		if holds {
			flagged++
		} else {
			clean++
		}
	})
	if flagged < 4 || clean < 10 {
		t.Fatalf("%d flagged and %d clean windows", flagged, clean)
	}
}

// BenchmarkChainProfiles: one second of sound through the chain of each default profile,
// with a frame check like the daemon's; reported as × real time.
func BenchmarkChainProfiles(b *testing.B) {
	meanOnly := RotatingProfile
	meanOnly.Pooling = []Stat{StatMean}
	for _, tc := range []struct {
		name string
		p    Profile
		rate int
	}{
		{"transient/16kHz", TransientProfile, 16000},
		{"rotating/16kHz", RotatingProfile, 16000},
		{"rotating-without-modulation/16kHz", meanOnly, 16000},
		{"rotating/48kHz", RotatingProfile, 48000},
	} {
		b.Run(tc.name, func(b *testing.B) {
			c, err := NewChain(tc.p.Features(dsp.DefaultConfig(tc.rate)))
			if err != nil {
				b.Fatal(err)
			}
			c.SetFrameCheck(func(x []float64) bool { return x[0] > 2 })
			rng := rand.New(rand.NewPCG(1, 2))
			x := make([]float32, tc.rate)
			for i := range x {
				x[i] = float32(0.1 * rng.NormFloat64())
			}
			emit := func([]float64) {}
			c.Push(x, emit) // fill the first window
			c.Push(x, emit)
			b.ReportAllocs()
			for b.Loop() {
				c.Push(x, emit)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "x_realtime")
		})
	}
}
