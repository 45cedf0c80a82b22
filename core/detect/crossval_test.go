package detect

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestCrossValidatedScoresAreNotOptimistic checks the reason the function exists: with few
// windows in many dimensions, in-sample scores sit far below the scores of fresh normal
// windows, while cross-validated ones do not.
func TestCrossValidatedScoresAreNotOptimistic(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	gen := func(n, d int) [][]float64 {
		X := make([][]float64, n)
		for i := range X {
			X[i] = make([]float64, d)
			for j := range X[i] {
				X[i][j] = r.NormFloat64()
			}
		}
		return X
	}
	train, fresh := gen(25, 64), gen(200, 64)
	m, err := Fit(KindMahalanobis, train, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mean := func(s []float64) float64 {
		var sum float64
		for _, v := range s {
			sum += v
		}
		return sum / float64(len(s))
	}
	in := mean(TrainingScores(m, train))
	cvScores, err := CrossValidatedScores(KindMahalanobis, train, Options{}, DefaultFolds)
	if err != nil {
		t.Fatal(err)
	}
	cv := mean(cvScores)
	var out []float64
	for _, x := range fresh {
		out = append(out, m.Score(x))
	}
	fr := mean(out)
	if !(in < fr) {
		t.Fatalf("in-sample mean %.3f is not optimistic against fresh %.3f: the test shows nothing", in, fr)
	}
	if math.Abs(cv-fr) >= math.Abs(in-fr)/2 {
		t.Fatalf("cross-validated mean %.3f is not much closer to fresh normal %.3f than in-sample %.3f", cv, fr, in)
	}
	t.Logf("mean score: in-sample %.3f, cross-validated %.3f, fresh normal %.3f", in, cv, fr)
	if got, err := CrossValidatedScores(KindMahalanobis, train[:6], Options{}, DefaultFolds); err != nil || len(got) != 6 {
		t.Fatalf("fallback for few windows: %v, %v", got, err)
	}
}
