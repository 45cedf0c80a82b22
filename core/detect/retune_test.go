package detect

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

func TestRetune(t *testing.T) {
	d, err := NewDetector(DetectorConfig{MinLearnWindows: 40, Quantile: 0.99})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	t0 := time.Unix(0, 0)
	for i := 0; d.State() == StateLearning; i++ {
		x := make([]float64, 8)
		for j := range x {
			x[j] = r.NormFloat64()
		}
		d.Push(t0.Add(time.Duration(i)*time.Second), x)
	}
	before := d.Threshold()
	if err := d.Retune(0.9, 0.5); err != nil {
		t.Fatal(err)
	}
	if after := d.Threshold(); !(after < before) {
		t.Fatalf("threshold at quantile 0.9 is %v, not below %v at 0.99", after, before)
	}
	if c := d.Config(); c.Quantile != 0.9 || c.Alpha != 0.5 {
		t.Fatalf("config not updated: %+v", c)
	}
	if err := d.Retune(1.5, 0.5); !errors.Is(err, ErrConfig) {
		t.Fatalf("quantile 1.5 accepted: %v", err)
	}
	if err := d.Retune(0.99, 0.5); err != nil || d.Threshold() != before {
		t.Fatalf("back to 0.99: threshold %v, want %v (%v)", d.Threshold(), before, err)
	}
}
