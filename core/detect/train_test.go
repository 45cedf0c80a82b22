package detect

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

// Train fits what learning the same windows fits: the same threshold and the same scores.
func TestTrainMatchesLearning(t *testing.T) {
	cfg := learnCfg()
	cfg.MaxLearnWindows = 1000 // no thinning: learning keeps every window
	rng := rand.New(rand.NewPCG(31, 32))
	var X [][]float64
	d, err := NewDetector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; d.State() == StateLearning; i++ {
		x := vec(rng, 4, 0)
		X = append(X, x)
		if r := d.Push(t0.Add(time.Duration(i)*time.Second), x); r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	tr, err := Train(cfg, X)
	if err != nil {
		t.Fatal(err)
	}
	if tr.State() != StateMonitoring {
		t.Fatalf("trained detector state %v", tr.State())
	}
	if got, want := tr.Threshold(), d.Threshold(); got != want {
		t.Errorf("threshold %v, learning gave %v", got, want)
	}
	probe := vec(rng, 4, 3)
	if got, want := tr.Score(probe), d.Score(probe); got != want {
		t.Errorf("score %v, learning gave %v", got, want)
	}
}

func TestTrainRejectsBadWindows(t *testing.T) {
	cfg := learnCfg()
	rng := rand.New(rand.NewPCG(33, 34))
	few := [][]float64{vec(rng, 4, 0)}
	if _, err := Train(cfg, few); !errors.Is(err, ErrTooFewWindows) {
		t.Errorf("1 window: err %v, want ErrTooFewWindows", err)
	}
	var mixed [][]float64
	for range 40 {
		mixed = append(mixed, vec(rng, 4, 0))
	}
	mixed[7] = mixed[7][:3]
	if _, err := Train(cfg, mixed); !errors.Is(err, ErrDimension) {
		t.Errorf("mixed dimensions: err %v, want ErrDimension", err)
	}
}

// A fresh copy judges a recording as from its first window: an anomaly the original is in
// the middle of is not carried over.
func TestFreshForgetsTheStream(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	d, tm := learned(t, learnCfg(), rng)
	for i := 0; i < 10; i++ {
		d.Push(tm.Add(time.Duration(i)*time.Second), vec(rng, 4, 40))
	}
	if !d.InEvent() {
		t.Fatal("setup: no event on windows far from normal")
	}
	f, err := d.Fresh()
	if err != nil {
		t.Fatal(err)
	}
	if f.InEvent() || f.Threshold() != d.Threshold() {
		t.Errorf("fresh copy: in event %v, threshold %v (original %v)", f.InEvent(), f.Threshold(), d.Threshold())
	}
	if _, err := (&Detector{}).Fresh(); !errors.Is(err, ErrNotMonitored) {
		t.Errorf("Fresh of a learning detector: %v", err)
	}
}
