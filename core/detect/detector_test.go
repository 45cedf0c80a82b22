package detect

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

var t0 = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

func vec(rng *rand.Rand, d int, mu float64) []float64 {
	x := make([]float64, d)
	for j := range x {
		x[j] = mu + rng.NormFloat64() + float64(j)
	}
	return x
}

func learnCfg() DetectorConfig {
	c := DefaultDetectorConfig()
	c.LearnDuration = time.Minute
	c.MinLearnWindows = 30
	c.MaxLearnWindows = 64
	return c
}

// learned returns a detector fitted on 2 minutes of 1-s windows of dimension 4.
func learned(t testing.TB, cfg DetectorConfig, rng *rand.Rand) (*Detector, time.Time) {
	t.Helper()
	d, err := NewDetector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tm := t0
	for i := 0; d.State() == StateLearning; i++ {
		r := d.Push(tm, vec(rng, 4, 0))
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		tm = tm.Add(time.Second)
		if i > 1000 {
			t.Fatal("never left learning")
		}
	}
	return d, tm
}

func TestDetectorLearning(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	d, err := NewDetector(learnCfg())
	if err != nil {
		t.Fatal(err)
	}
	var last Result
	prev := -1.0
	for i := 0; i <= 60; i++ {
		last = d.Push(t0.Add(time.Duration(i)*time.Second), vec(rng, 4, 0))
		if i < 60 {
			if last.State != StateLearning || last.Learned || last.Score != 0 {
				t.Fatalf("window %d: %+v, want learning", i, last)
			}
			if last.Progress < prev || last.Progress > 1 {
				t.Fatalf("progress %g after %g", last.Progress, prev)
			}
			prev = last.Progress
		}
	}
	if !last.Learned || last.State != StateMonitoring || !(last.Threshold > 0) {
		t.Fatalf("after 60 s: %+v, want learned", last)
	}
	if d.Conditions() != 1 || d.Model().Kind() != KindMahalanobis || d.Threshold() != last.Threshold {
		t.Errorf("conditions %d model %v threshold %g", d.Conditions(), d.Model(), d.Threshold())
	}
}

func TestDetectorLearningNeedsMinWindows(t *testing.T) {
	// Sparse windows: the duration passes before MinLearnWindows arrive.
	cfg := learnCfg()
	d, _ := NewDetector(cfg)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < cfg.MinLearnWindows; i++ {
		r := d.Push(t0.Add(time.Duration(i)*10*time.Second), vec(rng, 4, 0))
		if want := i == cfg.MinLearnWindows-1; r.Learned != want {
			t.Fatalf("window %d: learned %v", i, r.Learned)
		}
	}
}

func TestDetectorDecimatesLearning(t *testing.T) {
	cfg := learnCfg()
	cfg.LearnDuration = time.Hour
	d, _ := NewDetector(cfg)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 500; i++ {
		d.Push(t0.Add(time.Duration(i)*time.Second), vec(rng, 4, 0))
	}
	if len(d.learn) >= cfg.MaxLearnWindows || len(d.learn) < cfg.MaxLearnWindows/4 || d.stride < 4 {
		t.Errorf("kept %d windows with stride %d (cap %d)", len(d.learn), d.stride, cfg.MaxLearnWindows)
	}
}

func TestDetectorEvents(t *testing.T) {
	for _, sm := range []Smoothing{SmoothEMA, SmoothMedian, SmoothNone} {
		t.Run(string(sm), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 8))
			cfg := learnCfg()
			cfg.Smoothing = sm
			d, tm := learned(t, cfg, rng)
			var opened, closed []*Event
			push := func(n int, mu float64) {
				for i := 0; i < n; i++ {
					r := d.PushNamed(tm, vec(rng, 4, mu), map[string]float64{"rms": mu})
					if r.Opened != nil {
						opened = append(opened, r.Opened)
						if !r.InEvent {
							t.Error("Opened without InEvent")
						}
					}
					if r.Closed != nil {
						closed = append(closed, r.Closed)
					}
					tm = tm.Add(time.Second)
				}
			}
			push(60, 0)
			if len(opened) != 0 {
				t.Fatalf("events on normal data: %+v", opened[0])
			}
			faultStart := tm
			push(20, 8)
			faultEnd := tm
			push(30, 0)
			if len(opened) != 1 || len(closed) != 1 {
				t.Fatalf("opened %d closed %d, want 1 and 1", len(opened), len(closed))
			}
			o, c := opened[0], closed[0]
			if o.Start.Before(faultStart) || o.Start.After(faultStart.Add(5*time.Second)) {
				t.Errorf("start %v, fault began %v", o.Start, faultStart)
			}
			if c.End.Before(faultEnd) || c.End.After(faultEnd.Add(10*time.Second)) {
				t.Errorf("end %v, fault ended %v", c.End, faultEnd)
			}
			if !c.Start.Equal(o.Start) || c.Peak < o.Peak || c.Peak < 2*d.Threshold() {
				t.Errorf("closed %+v opened %+v threshold %g", c, o, d.Threshold())
			}
			if len(c.Snapshot) != 4 || c.Scalars["rms"] != 8 || c.PeakTime.Before(faultStart) || !c.PeakTime.Before(faultEnd) {
				t.Errorf("snapshot %v scalars %v peak time %v", c.Snapshot, c.Scalars, c.PeakTime)
			}
		})
	}
}

// TestDetectorDropEvent: a detector restored from a snapshot taken during an event thinks
// the event is still open; once the event is dropped it never closes it, and windows still
// above the threshold open a new event.
func TestDetectorDropEvent(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	d, tm := learned(t, learnCfg(), rng)
	push := func(n int, mu float64) (opened, closed int) {
		for range n {
			r := d.Push(tm, vec(rng, 4, mu))
			if r.Opened != nil {
				opened++
			}
			if r.Closed != nil {
				closed++
			}
			tm = tm.Add(time.Second)
		}
		return opened, closed
	}
	if o, _ := push(20, 8); o != 1 || !d.InEvent() {
		t.Fatalf("%d events opened, in event %v", o, d.InEvent())
	}
	blob, err := d.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if d, err = Restore(blob); err != nil {
		t.Fatal(err)
	}
	if !d.InEvent() {
		t.Fatal("restored detector forgot the event it was saved in")
	}
	if !d.DropEvent() || d.InEvent() || d.DropEvent() {
		t.Fatal("DropEvent did not report the open event once")
	}
	// the sound is still anomalous: a new event opens (the one the caller records) and
	// closes once the sound is normal again
	if o, c := push(1, 8); o != 1 || c != 0 {
		t.Errorf("anomalous window after DropEvent: %d opened, %d closed, want 1 and 0", o, c)
	}
	if o, c := push(30, 0); o != 0 || c != 1 {
		t.Errorf("normal sound: %d opened, %d closed, want 0 and 1", o, c)
	}
}

func TestDetectorHysteresisNeedsConsecutive(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	cfg := learnCfg()
	cfg.Smoothing = SmoothNone
	d, tm := learned(t, cfg, rng)
	// Isolated spikes (2 in a row < EnterWindows 3) never open an event.
	for i := 0; i < 40; i++ {
		mu := 0.0
		if i%4 < 2 {
			mu = 10
		}
		if r := d.Push(tm, vec(rng, 4, mu)); r.Opened != nil || r.InEvent {
			t.Fatalf("window %d opened an event on isolated spikes", i)
		}
		tm = tm.Add(time.Second)
	}
}

func TestDetectorPersistence(t *testing.T) {
	for _, stop := range []int{20, 61, 95} { // mid-learning, just learned, mid-event
		rng := rand.New(rand.NewPCG(11, 12))
		cfg := learnCfg()
		cfg.Smoothing = SmoothMedian
		a, _ := NewDetector(cfg)
		inputs := make([][]float64, 140)
		for i := range inputs {
			mu := 0.0
			if i >= 90 && i < 110 {
				mu = 9
			}
			inputs[i] = vec(rng, 4, mu)
		}
		var b *Detector
		for i, x := range inputs {
			tm := t0.Add(time.Duration(i) * time.Second)
			if i == stop {
				blob, err := a.MarshalBinary()
				if err != nil {
					t.Fatal(err)
				}
				if b, err = Restore(blob); err != nil {
					t.Fatal(err)
				}
			}
			ra := a.Push(tm, x)
			if b != nil {
				rb := b.Push(tm, x)
				if !reflect.DeepEqual(ra, rb) {
					t.Fatalf("stop %d, window %d: original %+v, restored %+v", stop, i, ra, rb)
				}
			}
		}
		if b.State() != StateMonitoring {
			t.Errorf("stop %d: restored detector state %v", stop, b.State())
		}
	}
	for _, blob := range []string{"", "{}", `{"version":1,"config":{},"state":1,"stride":1,"ring":[0,0,0,0,0]}`, `{"version":1,"config":{"kind":"x"}}`} {
		if _, err := Restore([]byte(blob)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("Restore(%q): %v, want ErrCorrupt", blob, err)
		}
	}
}

func TestDetectorRelearn(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	d, tm := learned(t, learnCfg(), rng)
	d.Relearn()
	if d.State() != StateLearning || d.Threshold() != 0 || d.Model() != nil {
		t.Fatalf("after Relearn: state %v threshold %g", d.State(), d.Threshold())
	}
	if err := d.Adapt([][]float64{{1, 2, 3, 4}}); !errors.Is(err, ErrNotMonitored) {
		t.Errorf("Adapt while learning: %v", err)
	}
	// Learning restarts from the next window's time.
	r := d.Push(tm.Add(time.Hour), vec(rng, 4, 0))
	if r.State != StateLearning || r.Progress > 0.05 {
		t.Errorf("first window after relearn: %+v", r)
	}
}

// TestDetectorAdapt: a shifted operating condition learned from few windows scores
// normal afterwards, the old condition still scores normal, and anomalies still exceed
// the threshold.
func TestDetectorAdapt(t *testing.T) {
	for _, kind := range Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(15, 16))
			cfg := learnCfg()
			cfg.Kind = kind
			d, _ := learned(t, cfg, rng)
			newCond := func() []float64 {
				x := vec(rng, 4, 0)
				x[0] += 6
				x[2] -= 5
				return x
			}
			anomaly := func() []float64 {
				x := vec(rng, 4, 0)
				x[1] += 9
				x[3] += 9
				return x
			}
			above := func(gen func() []float64) int {
				n := 0
				for i := 0; i < 100; i++ {
					if d.Score(gen()) > d.Threshold() {
						n++
					}
				}
				return n
			}
			old := func() []float64 { return vec(rng, 4, 0) }
			if n := above(newCond); n < 90 {
				t.Fatalf("before Adapt only %d/100 new-condition windows above threshold", n)
			}
			shots := make([][]float64, 40) // e.g. 10 recordings × 4 windows
			for i := range shots {
				shots[i] = newCond()
			}
			if err := d.Adapt(shots); err != nil {
				t.Fatal(err)
			}
			if d.Conditions() != 2 {
				t.Fatalf("conditions %d", d.Conditions())
			}
			if n := above(newCond); n > 10 {
				t.Errorf("after Adapt %d/100 new-condition windows above threshold", n)
			}
			if n := above(old); n > 10 {
				t.Errorf("after Adapt %d/100 old-condition windows above threshold", n)
			}
			if n := above(anomaly); n < 95 {
				t.Errorf("after Adapt only %d/100 anomalies above threshold", n)
			}
			if err := d.Adapt([][]float64{{1, 2}}); !errors.Is(err, ErrDimension) {
				t.Errorf("wrong dimension: %v", err)
			}
		})
	}
}

func TestDetectorConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*DetectorConfig)
	}{
		{"kind", func(c *DetectorConfig) { c.Kind = "svm" }},
		{"learn_duration", func(c *DetectorConfig) { c.LearnDuration = -time.Second }},
		{"min_learn_windows", func(c *DetectorConfig) { c.MinLearnWindows = 1 }},
		{"max_learn_windows", func(c *DetectorConfig) { c.MaxLearnWindows = 40 }},
		{"quantile", func(c *DetectorConfig) { c.Quantile = 1.5 }},
		{"smoothing", func(c *DetectorConfig) { c.Smoothing = "kalman" }},
		{"alpha", func(c *DetectorConfig) { c.Alpha = 2 }},
		{"median_window", func(c *DetectorConfig) { c.MedianWindow = 100 }},
		{"enter_windows", func(c *DetectorConfig) { c.EnterWindows = -1 }},
		{"exit_ratio", func(c *DetectorConfig) { c.ExitRatio = 1.5 }},
		{"exit_windows", func(c *DetectorConfig) { c.ExitWindows = -2 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultDetectorConfig()
			tc.mod(&c)
			_, err := NewDetector(c)
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("got %v, want ErrConfig", err)
			}
			if want := tc.name; !contains(err.Error(), want) {
				t.Errorf("error %q does not name %s", err, want)
			}
		})
	}
	if _, err := NewDetector(DetectorConfig{}); err != nil {
		t.Errorf("zero config (all defaults): %v", err)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestDetectorPushAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for _, sm := range []Smoothing{SmoothEMA, SmoothMedian} {
		cfg := learnCfg()
		cfg.Smoothing = sm
		d, tm := learned(t, cfg, rng)
		x := vec(rng, 4, 0)
		if n := testing.AllocsPerRun(100, func() { d.Push(tm, x) }); n != 0 {
			t.Errorf("%s: %g allocations per monitoring Push", sm, n)
		}
	}
}

func BenchmarkPush(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, kind := range Kinds() {
		b.Run(string(kind)+"-d128", func(b *testing.B) {
			cfg := DefaultDetectorConfig()
			cfg.Kind = kind
			cfg.LearnDuration = 0
			cfg.MinLearnWindows = 300
			d, _ := NewDetector(cfg)
			for d.State() == StateLearning {
				if r := d.Push(t0, vec(rng, 128, 0)); r.Err != nil {
					b.Fatal(r.Err)
				}
			}
			x := vec(rng, 128, 0)
			b.ReportAllocs()
			for b.Loop() {
				d.Push(t0, x)
			}
		})
	}
}
