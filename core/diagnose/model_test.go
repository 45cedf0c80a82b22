package diagnose

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// blobs returns n examples per class around well separated centres, in groups of 10.
func blobs(seed uint64, n int) []Example {
	r := rand.New(rand.NewPCG(seed, 7))
	var ex []Example
	for c, label := range []string{"a", "b", "c"} {
		for i := range n {
			x := make([]float64, 6)
			for j := range x {
				x[j] = r.NormFloat64() * 0.5
			}
			x[c] += 3
			ex = append(ex, Example{X: x, Label: label, Group: fmt.Sprintf("%s%d", label, i/10)})
		}
	}
	return ex
}

func TestTrainBlobs(t *testing.T) {
	train, test := blobs(1, 60), blobs(2, 30)
	fe := FrontEnd{Rate: 12000, ShaftHz: 30}
	for _, kind := range []string{KindRF, KindSVM, KindEnsemble} {
		m, err := Train(context.Background(), train, fe, Options{Kind: kind, Seed: 3, Trees: 30})
		if err != nil {
			t.Fatal(err)
		}
		r := Evaluate(m, test)
		if r.Accuracy < 0.95 || r.MacroF1 < 0.95 {
			t.Errorf("%s: accuracy %.3f macro-F1 %.3f on separable blobs", kind, r.Accuracy, r.MacroF1)
		}
		if m.MinConfidence < 1.0/3 || m.MinConfidence > 0.9 {
			t.Errorf("%s: calibrated MinConfidence %.3f outside [1/3, 0.9]", kind, m.MinConfidence)
		}
		p := m.PredictFeatures(test[0].X)
		var sum float64
		for _, q := range p.Probs {
			sum += q
		}
		if len(p.Probs) != 3 || sum < 0.999 || sum > 1.001 {
			t.Errorf("%s: probabilities %v do not sum to 1 over 3 classes", kind, p.Probs)
		}
	}
}

func TestUnknownBelowMinConfidence(t *testing.T) {
	train := blobs(1, 40)
	m, err := Train(context.Background(), train, FrontEnd{Rate: 12000, ShaftHz: 30}, Options{Kind: KindRF, Seed: 1, Trees: 20, MinConfidence: 0.6})
	if err != nil {
		t.Fatal(err)
	}
	// Halfway between two centres: the forest cannot be sure.
	x := []float64{1.5, 1.5, 0, 0, 0, 0}
	p := m.PredictFeatures(x)
	if p.Confidence < 0.6 && p.Label != Unknown || p.Confidence >= 0.6 && p.Label == Unknown {
		t.Errorf("confidence %.2f gave label %q with MinConfidence 0.6", p.Confidence, p.Label)
	}
	if p := m.PredictFeatures([]float64{1, 2}); p.Label != Unknown || p.Confidence != 0 {
		t.Errorf("wrong-length vector: %+v, want Unknown with zero confidence", p)
	}
	if p := m.PredictFeatures(train[0].X); p.Label != "a" {
		t.Errorf("training example of a predicted %q", p.Label)
	}
}

func TestTrainErrors(t *testing.T) {
	fe := FrontEnd{Rate: 12000, ShaftHz: 30}
	ok := blobs(1, 5)
	tests := []struct {
		name string
		ex   []Example
		o    Options
	}{
		{"empty", nil, Options{}},
		{"bad kind", ok, Options{Kind: "cnn"}},
		{"one class", ok[:5], Options{}},
		{"ragged", append(append([]Example{}, ok...), Example{X: []float64{1}, Label: "a"}), Options{}},
		{"unknown label", append(append([]Example{}, ok...), Example{X: ok[0].X, Label: Unknown}), Options{}},
	}
	for _, tt := range tests {
		if _, err := Train(context.Background(), tt.ex, fe, tt.o); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: err %v, want ErrConfig", tt.name, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Train(ctx, blobs(1, 30), fe, Options{Kind: KindRF}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err %v", err)
	}
}
