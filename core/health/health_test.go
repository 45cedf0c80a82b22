package health

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"signalcraft/core/dsp"
)

// The PHM 2012 scoring function, from section 5.1 of IEEEPHM2012-Challenge-Details.pdf:
// eq. (1) %Er = 100·(ActRUL − RUL̂)/ActRUL; eq. (2) A = exp(−ln(0.5)·Er/5) for Er ≤ 0,
// exp(+ln(0.5)·Er/20) for Er > 0; eq. (3) the mean. Figure 7 marks (20, 0.5) and (−10, 0.25).
func TestPHM2012Score(t *testing.T) {
	for _, c := range []struct {
		actual, estimate, er, a float64
	}{
		{5730, 5730, 0, 1},      // exact
		{1000, 800, 20, 0.5},    // early by 20 %: figure 7's marked point
		{1000, 1100, -10, 0.25}, // late by 10 %: figure 7's marked point
		{1000, 1050, -5, 0.5},   // late: half every 5 %
		{1000, 600, 40, 0.25},   // early: half every 20 %
		{339, 0, 100, 1.0 / 32}, // estimate 0: Er = 100
		{1290, 2580, -100, 1e-6 * 0.953674316},
	} {
		er := PercentError(c.actual, c.estimate)
		if math.Abs(er-c.er) > 1e-9 {
			t.Errorf("PercentError(%g, %g) = %g, want %g", c.actual, c.estimate, er, c.er)
		}
		if a := Accuracy(er); math.Abs(a-c.a) > 1e-9 {
			t.Errorf("Accuracy(%g) = %.10g, want %.10g", er, a, c.a)
		}
	}
	if s := Score([]float64{0, 20, -10, 40}); math.Abs(s-(1+0.5+0.25+0.25)/4) > 1e-12 {
		t.Errorf("Score = %g, want 0.5", s)
	}
	if s := Score(nil); s != 0 {
		t.Errorf("Score(nil) = %g, want 0", s)
	}
}

func TestMeasure(t *testing.T) {
	const rate, n = 25600, 25600
	sine := make([]float64, n)
	for i := range sine {
		sine[i] = 2 + 3*math.Sin(2*math.Pi*1000*float64(i)/rate)
	}
	in := Measure(sine, rate, nil)
	if math.Abs(in.RMS-3/math.Sqrt2) > 1e-6 || math.Abs(in.Kurtosis-1.5) > 1e-3 || math.Abs(in.Peak-3) > 1e-3 {
		t.Errorf("sine: %+v, want RMS 2.121, kurtosis 1.5, peak 3 (mean removed)", in)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	noise := make([]float64, n)
	for i := range noise {
		noise[i] = rng.NormFloat64()
	}
	if in := Measure(noise, rate, nil); math.Abs(in.Kurtosis-3) > 0.15 || math.Abs(in.RMS-1) > 0.02 {
		t.Errorf("gaussian noise: %+v, want kurtosis ≈ 3, RMS ≈ 1", in)
	}

	// A 4-kHz resonance amplitude-modulated at the outer-race defect frequency: the envelope
	// indicator grows with the modulation depth; without Defects it is 0.
	d := &Defects{ShaftHz: 30, Orders: BearingOrdersFromGeometry(13, 3.5, 25.6, 0)}
	bpfo := 30 * d.Orders.BPFO
	env := func(depth float64) float64 {
		x := make([]float64, 2560)
		for i := range x {
			tt := float64(i) / rate
			x[i] = (1+depth*math.Cos(2*math.Pi*bpfo*tt))*math.Sin(2*math.Pi*4000*tt) + 0.05*rng.NormFloat64()
		}
		if e := Measure(x, rate, nil).Envelope; e != 0 {
			t.Fatalf("envelope without Defects = %g, want 0", e)
		}
		return Measure(x, rate, d).Envelope
	}
	if healthy, faulty := env(0), env(0.8); !(faulty > 20*healthy) {
		t.Errorf("envelope energy: unmodulated %g, modulated at BPFO %g: want ≥ 20× more", healthy, faulty)
	}
	if got := Measure(nil, rate, d); got != (Indicators{}) {
		t.Errorf("empty record: %+v", got)
	}
}

func TestBearingOrdersFromGeometry(t *testing.T) {
	// The CWRU drive-end SKF 6205: 9 balls of 0.3126 in on a 1.537-in pitch diameter gives
	// the published orders (dsp.CWRU6205) to the precision they are published with.
	got, want := BearingOrdersFromGeometry(9, 0.3126, 1.537, 0), dsp.CWRU6205()
	for _, c := range [][3]any{{"BPFO", got.BPFO, want.BPFO}, {"BPFI", got.BPFI, want.BPFI},
		{"BSF", got.BSF, want.BSF}, {"FTF", got.FTF, want.FTF}} {
		if g, w := c[1].(float64), c[2].(float64); math.Abs(g-w) > 0.003*w {
			t.Errorf("%s = %.4f, want %.4f", c[0], g, w)
		}
	}
}

func TestAggregate(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var recs []Record
	for i := range 12 { // 10-s records: 6 per minute, RMS 1 then 3 in the second minute
		rms := 1.0
		if i >= 6 {
			rms = 3
		}
		recs = append(recs, Record{Time: t0.Add(time.Duration(i) * 10 * time.Second),
			Indicators: Indicators{RMS: rms, Kurtosis: float64(i), Peak: float64(i), Envelope: 1},
			Score:      float64(i), HasScore: i%2 == 0})
	}
	ps := Aggregate(recs, time.Minute)
	if len(ps) != 2 {
		t.Fatalf("%d points, want 2", len(ps))
	}
	p := ps[1]
	if p.N != 6 || p.RMS != 3 || p.Kurtosis != 8.5 || p.Peak != 11 || p.Envelope != 1 || p.Scored != 3 || p.Score != 8 ||
		!p.Start.Equal(t0.Add(time.Minute)) || !p.Time.Equal(t0.Add(110*time.Second)) {
		t.Errorf("second point %+v", p)
	}
	mixed := Aggregate([]Record{{Time: t0, Indicators: Indicators{RMS: 1}}, {Time: t0.Add(time.Second), Indicators: Indicators{RMS: 7}}}, time.Minute)
	if math.Abs(mixed[0].RMS-5) > 1e-12 {
		t.Errorf("energy average of RMS 1 and 7 = %g, want 5", mixed[0].RMS)
	}
	if s := Smooth([]float64{1, 0, 4}, 0.5); s[0] != 1 || s[1] != 1 || math.Abs(s[2]-2) > 1e-12 {
		t.Errorf("Smooth = %v, want [1 1 2] (geometric EWMA; a 0 carries)", s)
	}
}

// noisy returns a level with multiplicative log-normal noise of sigma.
func noisy(rng *rand.Rand, level, sigma float64) float64 {
	return level * math.Exp(sigma*rng.NormFloat64())
}

func TestCUSUMStep(t *testing.T) {
	for _, c := range []struct {
		name     string
		step     float64 // level after the step, baseline 1
		alarmMax int     // the alarm must come within this many points of the step; -1: never
	}{
		{"step +50 %", 1.5, 3},
		{"step +30 %", 1.3, 6},
		{"step +10 % (below the 25 % that matters)", 1.1, -1},
		{"no step", 1, -1},
	} {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 7))
			var healthy []float64
			for range 60 {
				healthy = append(healthy, noisy(rng, 1, 0.03))
			}
			b, err := LearnBaseline(healthy)
			if err != nil {
				t.Fatal(err)
			}
			cu := NewCUSUM(b, 0.25)
			alarm := -1
			for i := range 2000 {
				level := 1.0
				if i >= 500 {
					level = c.step
				}
				if cu.Update(noisy(rng, level, 0.03)) {
					alarm = i
					break
				}
			}
			switch {
			case c.alarmMax < 0 && alarm >= 0:
				t.Errorf("false alarm at point %d", alarm)
			case c.alarmMax >= 0 && (alarm < 500 || alarm > 500+c.alarmMax):
				t.Errorf("alarm at point %d, want within %d points after the step at 500", alarm, c.alarmMax)
			case c.alarmMax >= 0 && (alarm+1-cu.Since != 500):
				t.Errorf("change-point estimate %d, want 500", alarm+1-cu.Since)
			}
		})
	}
}

// degradation returns hourly points of a machine that is healthy (level 1, noise 3 %) for
// 200 h and then follows S = 1 + 0.05·exp(β·(t − 200 h)) with β such that S reaches the
// failure level 6.3 at failAt: the known end of life.
func degradation(seed uint64, failAt float64) (times []time.Time, levels []float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	beta := math.Log((6.3-1)/0.05) / (failAt - 200)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for h := 0.0; h <= failAt; h++ {
		s := 1.0
		if h > 200 {
			s += 0.05 * math.Exp(beta*(h-200))
		}
		times = append(times, t0.Add(time.Duration(h)*time.Hour))
		levels = append(levels, noisy(rng, s, 0.03))
	}
	return times, levels
}

func TestSyntheticRUL(t *testing.T) {
	const failAt = 600.0
	times, levels := degradation(3, failAt)
	m, err := NewMonitor(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	var alarm = -1
	for i, tt := range times {
		if i == 150 {
			if _, err := m.Estimate(tt); !errors.Is(err, ErrHealthy) {
				t.Errorf("estimate while healthy: %v, want ErrHealthy", err)
			}
		}
		if m.Add(tt, levels[i]) {
			alarm = i
		}
		h := float64(i)
		if alarm < 0 || h < 400 || h >= failAt || int(h)%50 != 0 {
			continue
		}
		e, err := m.Estimate(tt)
		if err != nil {
			t.Fatalf("at %g h: %v", h, err)
		}
		actual := failAt - h
		rul, lo, hi := e.Hours()
		t.Logf("at %g h (actual RUL %.0f h): %s", h, actual, e)
		if er := PercentError(actual, rul); math.Abs(er) > 25 {
			t.Errorf("at %g h: RUL %.1f h, actual %.0f h (Er %.1f %%, want within ±25 %%)", h, rul, actual, er)
		}
		if e.Unbounded || actual < lo || actual > hi {
			t.Errorf("at %g h: actual RUL %.0f h outside the interval %.1f–%.1f h", h, actual, lo, hi)
		}
		if h >= 500 && !e.Confident {
			t.Errorf("at %g h: %s: want confident on a clean exponential", h, e)
		}
	}
	if alarm < 200 || alarm > 400 {
		t.Errorf("alarm at %d h, want after the degradation starts at 200 h and well before 600 h", alarm)
	}
	st := m.State()
	if !st.Alarmed || st.Onset.After(st.Alarm) || math.Abs(st.FailureLevel-6.3*st.Baseline.Level) > 1e-12 {
		t.Errorf("state %+v", st)
	}
}

func TestEstimateDeterministic(t *testing.T) {
	times, levels := degradation(5, 500)
	run := func(seed uint64) Estimate {
		c := DefaultConfig()
		c.Seed = seed
		m, err := NewMonitor(c)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 400 {
			m.Add(times[i], levels[i])
		}
		e, err := m.Estimate(times[399])
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	a, b, c := run(1), run(1), run(2)
	if a != b {
		t.Errorf("same seed, different estimates:\n%+v\n%+v", a, b)
	}
	if a == c {
		t.Errorf("seeds 1 and 2 gave identical estimates; the seed is not used")
	}
	if d := math.Abs(a.Median.Hours() - c.Median.Hours()); d > 0.05*a.Median.Hours() {
		t.Errorf("median RUL moves %.1f h between seeds (%v vs %v): too few draws", d, a.Median, c.Median)
	}
}

func TestMonitorLeavesOutStoppedAndLearning(t *testing.T) {
	m, err := NewMonitor(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := m.Estimate(t0); !errors.Is(err, ErrLearning) {
		t.Errorf("before the baseline: %v, want ErrLearning", err)
	}
	for i := range 60 {
		m.Add(t0.Add(time.Duration(i)*time.Hour), 1)
	}
	for i := range 10 { // the machine at rest: far below the baseline
		m.Add(t0.Add(time.Duration(60+i)*time.Hour), 0.01)
	}
	m.Add(t0.Add(100*time.Hour), 0)
	m.Add(t0.Add(101*time.Hour), math.NaN())
	st := m.State()
	if !st.Learned || st.Baseline.Level != 1 || st.Stopped != 10 || st.Alarmed || st.CUSUM != 0 {
		t.Errorf("state %+v: want learned baseline 1, 10 stopped points, no alarm", st)
	}
}

func TestEstimateString(t *testing.T) {
	e := Estimate{RUL: 12 * time.Hour, Low: 9 * time.Hour, High: 16 * time.Hour, Confident: true}
	if got := e.String(); got != "about 12 h (range 9.0–16 h)" {
		t.Errorf("String() = %q", got)
	}
	e.Confident, e.Unbounded = false, true
	if got := e.String(); !strings.HasPrefix(got, "RUL uncertain: ") || !strings.Contains(got, "–? h") {
		t.Errorf("String() = %q", got)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.BaselinePoints = 2 }, "baseline_points: 2: must be at least 3"},
		{func(c *Config) { c.Shift = 0 }, "shift: 0: must be above 0"},
		{func(c *Config) { c.FailureRatio = 1 }, "failure_ratio: 1: must be above 1"},
		{func(c *Config) { c.StoppedRatio = 1 }, "stopped_ratio: 1: must be at least 0 and below 1"},
		{func(c *Config) { c.Forget = -1 }, "forget: -1: must not be negative"},
		{func(c *Config) { c.MinPoints = 1 }, "min_points: 1: must be at least 3"},
		{func(c *Config) { c.Draws = 10 }, "draws: 10: must be at least 100"},
		{func(c *Config) { c.ConfidentWidth = -2 }, "confident_width: -2: must be above 0"},
	} {
		cfg := DefaultConfig()
		c.mod(&cfg)
		err := cfg.Validate()
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate() = %v, want %q", err, c.want)
		}
		if _, err := NewMonitor(cfg); err == nil {
			t.Errorf("NewMonitor accepted %+v", cfg)
		}
	}
	cfg := Config{}
	if err := cfg.Validate(); err == nil || strings.Count(err.Error(), "\n") < 5 {
		t.Errorf("zero Config: want every field's error, got %v", err)
	}
}
