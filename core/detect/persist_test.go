package detect

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestDetectorKOfN: with k of n, a burst shorter than k windows never opens an event,
// however loud; a sustained anomaly with gaps (k of n but not k in a row) does, starting
// at its first anomalous window.
func TestDetectorKOfN(t *testing.T) {
	for _, tc := range []struct {
		name    string
		pattern string // per window: '.' normal, 'X' anomalous
		opensAt int    // window index of Opened, -1 for none
		start   int    // window index the event starts at
	}{
		{"one knock", "....XXXX............", -1, 0},
		{"burst of k-1", "....XXXXX...........", -1, 0},
		{"k in a row", "....XXXXXX..........", 9, 4},
		{"k of n with gaps", "....XX.XX.XX........", 11, 4},
		{"too sparse", "....X..X..X..X..X..X", -1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			cfg := learnCfg()
			cfg.Smoothing = SmoothNone
			cfg.EnterWindows, cfg.EnterOf = 6, 8
			d, tm := learned(t, cfg, rng)
			start := tm
			opened := -1
			for i, c := range tc.pattern {
				mu := 0.0
				if c == 'X' {
					mu = 40
				}
				r := d.Push(tm, vec(rng, 4, mu))
				if r.Opened != nil && opened < 0 {
					opened = i
					if want := start.Add(time.Duration(tc.start) * time.Second); !r.Opened.Start.Equal(want) {
						t.Errorf("event starts at %v, want the first anomalous window %v", r.Opened.Start, want)
					}
				}
				if c == 'X' && r.Score < 2*r.Threshold {
					t.Fatalf("window %d: anomalous score %g, threshold %g: the test's anomaly is too weak", i, r.Score, r.Threshold)
				}
				tm = tm.Add(time.Second)
			}
			if opened != tc.opensAt {
				t.Fatalf("opened at window %d, want %d", opened, tc.opensAt)
			}
		})
	}
}

// TestDetectorLevel: Level is the k-th largest smoothed score of the last n windows, 0
// until k windows are known, and again after a Gap.
func TestDetectorLevel(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	cfg := learnCfg()
	cfg.Smoothing = SmoothNone
	cfg.EnterWindows, cfg.EnterOf = 3, 5
	d, tm := learned(t, cfg, rng)
	var scores []float64
	for i := 0; i < 12; i++ {
		if i == 7 {
			d.Gap()
			scores = scores[:0]
		}
		r := d.Push(tm, vec(rng, 4, float64(i%3)*3))
		tm = tm.Add(time.Second)
		scores = append(scores, r.Smoothed)
		last := scores[max(0, len(scores)-5):]
		if len(last) < 3 {
			if r.Level != 0 {
				t.Fatalf("window %d: level %g with only %d windows known", i, r.Level, len(last))
			}
			continue
		}
		above := 0
		for _, s := range last {
			if s >= r.Level {
				above++
			}
		}
		if above < 3 {
			t.Fatalf("window %d: level %g: only %d of %v are at or above it", i, r.Level, above, last)
		}
		strict := 0
		for _, s := range last {
			if s > r.Level {
				strict++
			}
		}
		if strict >= 3 {
			t.Fatalf("window %d: level %g is not the 3rd largest of %v", i, r.Level, last)
		}
	}
}

// TestDetectorWindowSpanLearning: with Window set, learning time counts from the first
// window's start, so a learning period as long as the sound learns from all of it.
func TestDetectorWindowSpanLearning(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	cfg := learnCfg()
	cfg.LearnDuration = 40 * time.Second
	cfg.Window = 10 * time.Second
	cfg.MinLearnWindows = 20
	d, err := NewDetector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// 40 s of sound in 10-s windows every second: windows end at 10 s … 40 s (31 windows).
	var last Result
	for end := 10; end <= 40; end++ {
		last = d.Push(t0.Add(time.Duration(end)*time.Second), vec(rng, 4, 0))
	}
	if !last.Learned {
		t.Fatalf("not learned after 40 s of sound with a 40-s learning period: %+v", last)
	}
}

// TestReconfigure changes persistence and quantile of a learned detector without
// relearning, and rejects bad settings naming the field.
func TestReconfigure(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	d, tm := learned(t, learnCfg(), rng)
	before := d.Threshold()
	c := d.Config()
	c.EnterWindows, c.EnterOf, c.Quantile = 4, 6, 0.9
	if err := d.Reconfigure(c); err != nil {
		t.Fatal(err)
	}
	if d.Threshold() >= before || d.Config().EnterOf != 6 || d.State() != StateMonitoring {
		t.Fatalf("threshold %g (was %g), config %+v, state %v", d.Threshold(), before, d.Config(), d.State())
	}
	if r := d.Push(tm, vec(rng, 4, 0)); r.Err != nil || r.Level != 0 {
		t.Fatalf("first window after a new persistence: level %g err %v (want 0: the window starts afresh)", r.Level, r.Err)
	}
	c.EnterOf = 2
	if err := d.Reconfigure(c); err == nil || d.Config().EnterOf != 6 {
		t.Fatalf("enter_of 2 < enter_windows 4 accepted: %v", err)
	}
}

// TestFinishLearning fits on what was learned when there is enough of it, and says why not
// otherwise.
func TestFinishLearning(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	cfg := learnCfg()
	cfg.LearnDuration = time.Hour
	d, err := NewDetector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		d.Push(t0.Add(time.Duration(i)*time.Second), vec(rng, 4, 0))
	}
	if r := d.FinishLearning(); !errors.Is(r.Err, ErrTooFewWindows) || !strings.Contains(r.Err.Error(), "10 windows learned, 30 needed") {
		t.Fatalf("10 windows: %+v", r)
	}
	for i := 10; i < 40; i++ {
		d.Push(t0.Add(time.Duration(i)*time.Second), vec(rng, 4, 0))
	}
	if r := d.FinishLearning(); !r.Learned || r.Threshold <= 0 || d.State() != StateMonitoring {
		t.Fatalf("40 windows: %+v", r)
	}
	if r := d.FinishLearning(); !errors.Is(r.Err, ErrNotLearning) {
		t.Fatalf("again: %+v", r)
	}
}

// TestProfiles: kinds map to their measured profiles; the persistence rule keeps sounds
// shorter than the persistence below k windows.
func TestProfiles(t *testing.T) {
	if p := ProfileFor(" Valve "); p.Window != TransientProfile.Window || p.Pooling[0] != StatMax {
		t.Fatalf("valve: %v", p)
	}
	if p := ProfileFor("pump"); p.Window != RotatingProfile.Window {
		t.Fatalf("pump: %v", p)
	}
	for _, p := range []Profile{TransientProfile, RotatingProfile,
		{Window: time.Second, Hop: 250 * time.Millisecond, Pooling: []Stat{StatMean}, Persistence: 0}} {
		if err := p.Validate(); err != nil {
			t.Fatalf("%v: %v", p, err)
		}
		k, n := p.Decision()
		// Windows end every hop; a window covers [end-window, end). A sound [a, a+d) with d
		// just under the persistence touches the windows ending in (a, a+d+window).
		for _, a := range []float64{0, 0.3, 0.77} {
			a := time.Duration(a * float64(p.Hop))
			d := p.Persistence - time.Millisecond
			touched := 0
			for end := time.Duration(0); end < a+d+p.Window+p.Hop; end += p.Hop {
				if end > a && end-p.Window < a+d {
					touched++
				}
			}
			if touched >= k {
				t.Errorf("%v: a sound of %v touches %d windows, k = %d", p, d, touched, k)
			}
		}
		if n < k || n > MaxEnterOf {
			t.Errorf("%v: k %d n %d", p, k, n)
		}
	}
	bad := RotatingProfile
	bad.Hop = 3 * time.Second
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "hop 3s") {
		t.Fatalf("hop > window: %v", err)
	}
	bad = RotatingProfile
	bad.Pooling = []Stat{"median"}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), `pooling "median"`) {
		t.Fatalf("pooling: %v", err)
	}
}
