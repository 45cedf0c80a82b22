package detect

import (
	"math/rand/v2"
	"testing"
)

// TestGroupModel: a model per feature group finds a strong change in a small group that
// one model over everything misses in the normal variation of a large one, and survives a
// round trip through its serialised form.
func TestGroupModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2))
	const big, small = 60, 6
	sample := func(shift float64) []float64 {
		x := make([]float64, big+small)
		common := rng.NormFloat64() * 3 // the large group varies a lot, together
		for j := 0; j < big; j++ {
			x[j] = common + rng.NormFloat64()
		}
		for j := big; j < big+small; j++ {
			x[j] = rng.NormFloat64() * 0.1
		}
		x[big] += shift
		return x
	}
	var X [][]float64
	for i := 0; i < 400; i++ {
		X = append(X, sample(0))
	}
	grouped, err := Fit(KindMahalanobis, X, Options{Groups: []int{big, small}})
	if err != nil {
		t.Fatal(err)
	}
	one, err := Fit(KindMahalanobis, X, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ratio := func(m Model) float64 { // anomalous score over the 99th percentile of normal
		var n []float64
		for i := 0; i < 200; i++ {
			n = append(n, m.Score(sample(0)))
		}
		thr, _, _ := Threshold(n, 0.99)
		var a float64
		for i := 0; i < 50; i++ {
			a += m.Score(sample(0.6)) / thr
		}
		return a / 50
	}
	g, o := ratio(grouped), ratio(one)
	if g < 1.3 || g < 1.3*o {
		t.Errorf("a shift in the small group: %.2f× the threshold with groups, %.2f× with one model", g, o)
	}
	b, err := MarshalModel(grouped)
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalModel(b)
	if err != nil {
		t.Fatal(err)
	}
	x := sample(0.3)
	if back.Score(x) != grouped.Score(x) || back.Dim() != big+small || back.Kind() != KindMahalanobis {
		t.Fatalf("round trip: %v vs %v", back.Score(x), grouped.Score(x))
	}
	if _, err := Fit(KindMahalanobis, X, Options{Groups: []int{big, small + 1}}); err == nil {
		t.Fatal("groups that do not cover the vector were accepted")
	}
}
