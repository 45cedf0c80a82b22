package source

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"time"
)

// simulate runs a finite simulator without pacing and returns its samples.
func simulate(t testing.TB, cfg SimulatorConfig) ([][]float32, *recorder) {
	t.Helper()
	s, err := NewSimulator(cfg, newFakeClock())
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	if err := s.Run(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	return rec.samples(), rec
}

func TestSimulatorDeterministic(t *testing.T) {
	cfg := SimulatorConfig{SampleRate: 16000, Channels: 3, ShaftHz: 29.95, Seed: 7, Duration: 2 * time.Second,
		Faults: []SimFault{{Channel: 1, Start: 500 * time.Millisecond, Ramp: time.Second, Level: 1.5}}}
	a, rec := simulate(t, cfg)
	if len(a) != 3 || len(a[0]) != 32000 {
		t.Fatalf("got %d channels × %d samples, want 3 × 32000", len(a), len(a[0]))
	}
	if !slices.Equal(rec.statuses, []statusEvent{{Running, nil}, {Ended, nil}}) {
		t.Errorf("statuses %v", rec.statuses)
	}
	cfg.Block = 37 * time.Millisecond // another cut into blocks gives the same signal
	b, _ := simulate(t, cfg)
	for c := range a {
		if !slices.Equal(a[c], b[c]) {
			t.Fatalf("channel %d differs between runs with different block sizes", c)
		}
	}
	if slices.Equal(a[0], a[2]) {
		t.Error("channels 0 and 2 are identical: each machine must have its own seed")
	}
	cfg.Seed = 8
	c, _ := simulate(t, cfg)
	if slices.Equal(a[0], c[0]) {
		t.Error("a different seed gave the same signal")
	}
	// Plausible level, within range.
	for ch := range a {
		var ss float64
		for _, x := range a[ch] {
			if x < -1 || x > 1 || x != x {
				t.Fatalf("channel %d: sample %v out of range", ch, x)
			}
			ss += float64(x) * float64(x)
		}
		if rms := math.Sqrt(ss / float64(len(a[ch]))); rms < 0.01 || rms > 0.3 {
			t.Errorf("channel %d: RMS %.4f, want a plausible machine level (0.01..0.3)", ch, rms)
		}
	}
}

// goertzel returns the power of x at frequency f.
func goertzel(x []float64, f, rate float64) float64 {
	w := 2 * math.Pi * f / rate
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = v+c*s1-s2, s1
	}
	return (s1*s1 + s2*s2 - c*s1*s2) / float64(len(x)*len(x))
}

func TestSimulatorShaftHarmonics(t *testing.T) {
	cfg := SimulatorConfig{SampleRate: 16000, Channels: 1, ShaftHz: 29.95, Seed: 3, Duration: 4 * time.Second}
	x, _ := simulate(t, cfg)
	s, _ := NewSimulator(cfg, nil)
	shaft := s.machines()[0].shaftHz
	if shaft < 29.95*0.97 || shaft > 29.95*1.03 {
		t.Fatalf("machine shaft %.3f Hz, want within 3 %% of 29.95", shaft)
	}
	v := toFloat64(x[0])
	noise := (goertzel(v, 1.5*shaft, 16000) + goertzel(v, 2.5*shaft, 16000)) / 2
	for k := 1; k <= 2; k++ {
		if p := goertzel(v, float64(k)*shaft, 16000); p < 100*noise {
			t.Errorf("harmonic %d: power %.3g, not well above the noise between harmonics (%.3g)", k, p, noise)
		}
	}
}

func toFloat64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// bandpass is an RBJ constant-gain band-pass biquad.
func bandpass(x []float64, f0, q, rate float64) []float64 {
	w := 2 * math.Pi * f0 / rate
	alpha := math.Sin(w) / (2 * q)
	a0 := 1 + alpha
	b0, b2 := alpha/a0, -alpha/a0
	a1, a2 := -2*math.Cos(w)/a0, (1-alpha)/a0
	out := make([]float64, len(x))
	var x1, x2, y1, y2 float64
	for i, v := range x {
		y := b0*v + b2*x2 - a1*y1 - a2*y2
		x2, x1 = x1, v
		y2, y1 = y1, y
		out[i] = y
	}
	return out
}

func TestSimulatorFaultDevelops(t *testing.T) {
	const rate = 16000
	healthy := SimulatorConfig{SampleRate: rate, Channels: 2, ShaftHz: 29.95, Seed: 11, Duration: 8 * time.Second}
	faulty := healthy
	faulty.Faults = []SimFault{{Channel: 1, Start: 2 * time.Second, Ramp: 3 * time.Second, Level: 1.5}}
	h, _ := simulate(t, healthy)
	f, _ := simulate(t, faulty)
	if !slices.Equal(h[0], f[0]) {
		t.Error("a fault on channel 1 changed channel 0")
	}
	if !slices.Equal(h[1][:2*rate], f[1][:2*rate]) {
		t.Error("the fault changed the signal before its start")
	}
	// Power in the resonance band, per second.
	band := bandpass(toFloat64(f[1]), DefaultResonanceHz, 2, rate)
	power := make([]float64, 8)
	for s := range power {
		for _, v := range band[s*rate : (s+1)*rate] {
			power[s] += v * v / rate
		}
	}
	t.Logf("3 kHz band power per second: %.3g", power)
	base := (power[0] + power[1]) / 2
	for s := 2; s < 5; s++ { // ramp: grows every second
		if power[s+1] <= power[s] {
			t.Errorf("band power does not grow during the ramp: second %d %.3g, second %d %.3g", s, power[s], s+1, power[s+1])
		}
	}
	for s := 5; s < 8; s++ {
		if power[s] < 5*base {
			t.Errorf("second %d: band power %.3g, want ≥ 5 × the healthy %.3g", s, power[s], base)
		}
	}
	// The impacts repeat at the fault frequency: the envelope (squared band signal) has a
	// line there, well above its neighbourhood.
	s, _ := NewSimulator(faulty, nil)
	ff := DefaultFaultOrder * s.machines()[1].shaftHz
	env := band[5*rate:]
	for i := range env {
		env[i] *= env[i]
	}
	line := goertzel(env, ff, rate)
	var around float64
	offsets := []float64{-0.37, -0.29, 0.31, 0.41}
	for _, o := range offsets {
		around += goertzel(env, ff*(1+o), rate) / float64(len(offsets))
	}
	if line < 10*around {
		t.Errorf("envelope power at the fault frequency %.1f Hz: %.3g, not ≥ 10 × its neighbourhood %.3g", ff, line, around)
	}
}

func TestSimulatorRealtime(t *testing.T) {
	clock := newFakeClock()
	start := clock.Now()
	s, err := NewSimulator(SimulatorConfig{SampleRate: 16000, Channels: 1, ShaftHz: 25, Realtime: true,
		Duration: time.Second, Block: 200 * time.Millisecond}, clock)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{clock: clock}
	if err := s.Run(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.blocks) != 5 {
		t.Fatalf("%d blocks, want 5", len(rec.blocks))
	}
	for i, b := range rec.blocks {
		at := time.Duration(i) * 200 * time.Millisecond
		if !b.Time.Equal(start.Add(at)) || !rec.arrived[i].Equal(start.Add(at+200*time.Millisecond)) {
			t.Errorf("block %d: time +%v arrived +%v, want +%v and +%v", i, b.Time.Sub(start), rec.arrived[i].Sub(start), at, at+200*time.Millisecond)
		}
	}
	if !slices.Equal(clock.sleeps, slices.Repeat([]time.Duration{200 * time.Millisecond}, 5)) {
		t.Errorf("sleeps %v", clock.sleeps)
	}
}

func TestSimulatorRunsUntilCancelled(t *testing.T) {
	s, err := NewSimulator(SimulatorConfig{SampleRate: 16000, Channels: 2, ShaftHz: 50}, newFakeClock())
	if err != nil {
		t.Fatal(err)
	}
	if s.Info() != (Info{Name: "simulator", SampleRate: 16000, Channels: 2}) {
		t.Errorf("Info() = %+v", s.Info())
	}
	ctx, cancel := context.WithCancel(context.Background())
	rec := &recorder{onBlock: func(n int) {
		if n == 3 {
			cancel()
		}
	}}
	if err := s.Run(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.blocks) != 3 || len(rec.blocks[0].Channels[0]) != 1600 {
		t.Errorf("%d blocks of %d samples, want 3 of 1600", len(rec.blocks), len(rec.blocks[0].Channels[0]))
	}
	if len(rec.statuses) != 1 {
		t.Errorf("statuses %v: a cancelled simulator does not end", rec.statuses)
	}
}

func TestSimulatorValidate(t *testing.T) {
	ok := SimulatorConfig{SampleRate: 16000, Channels: 2, ShaftHz: 29.95}
	tests := []struct {
		name string
		mod  func(c *SimulatorConfig)
		want string
	}{
		{"rate", func(c *SimulatorConfig) { c.SampleRate = 0 }, "SampleRate = 0: must be between 4000 and 384000"},
		{"channels", func(c *SimulatorConfig) { c.Channels = 65 }, "Channels = 65: must be between 1 and 64"},
		{"shaft low", func(c *SimulatorConfig) { c.ShaftHz = 0.5 }, "ShaftHz = 0.5: must be between 1 and 800 (SampleRate/20)"},
		{"shaft NaN", func(c *SimulatorConfig) { c.ShaftHz = math.NaN() }, "ShaftHz = NaN: must be between 1 and 800 (SampleRate/20)"},
		{"duration", func(c *SimulatorConfig) { c.Duration = -time.Second }, "Duration = -1s: must not be negative"},
		{"block", func(c *SimulatorConfig) { c.Block = time.Minute }, "Block = 1m0s: must be between 0 and 10s"},
		{"fault channel", func(c *SimulatorConfig) { c.Faults = []SimFault{{Channel: 2, Level: 1}} }, "Faults[0].Channel = 2: must be between 0 and 1"},
		{"fault start", func(c *SimulatorConfig) { c.Faults = []SimFault{{Start: -time.Second, Level: 1}} }, "Faults[0].Start = -1s: must not be negative"},
		{"fault ramp", func(c *SimulatorConfig) { c.Faults = []SimFault{{Level: 1}, {Ramp: -time.Second, Level: 1}} }, "Faults[1].Ramp = -1s: must not be negative"},
		{"fault level", func(c *SimulatorConfig) { c.Faults = []SimFault{{Level: 0}} }, "Faults[0].Level = 0: must be above 0 and at most 10"},
		{"fault order", func(c *SimulatorConfig) { c.Faults = []SimFault{{Level: 1, Order: 60}} }, "Faults[0].Order = 60: must be between 0 (default) and 50"},
		{"fault resonance", func(c *SimulatorConfig) { c.Faults = []SimFault{{Level: 1, ResonanceHz: 8000}} }, "Faults[0].ResonanceHz = 8000: must be between 0 (default) and 7200 (0.45 × SampleRate)"},
	}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.mod(&c)
			err := c.Validate()
			if !errors.Is(err, ErrInvalidConfig) || err.Error() != "invalid simulator config: "+tt.want {
				t.Errorf("err = %v\nwant  invalid simulator config: %s", err, tt.want)
			}
			if _, err2 := NewSimulator(c, nil); err2 == nil || err2.Error() != err.Error() {
				t.Errorf("NewSimulator err = %v", err2)
			}
		})
	}
}

// BenchmarkSimulator generates one second of a 3-machine, 16 kHz source with a fault.
func BenchmarkSimulator(b *testing.B) {
	cfg := SimulatorConfig{SampleRate: 16000, Channels: 3, ShaftHz: 29.95, Seed: 7, Duration: time.Second,
		Faults: []SimFault{{Channel: 1, Level: 1.5}}}
	s, err := NewSimulator(cfg, newFakeClock())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Run(context.Background(), discard{}); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Samples(Block)        {}
func (discard) Status(Status, error) {}
