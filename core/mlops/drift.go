package mlops

import (
	"math"
	"sort"
)

// Deciles returns the 9 inner deciles of a sample: the bin edges PSI compares against.
func Deciles(train []float64) []float64 {
	if len(train) < 10 {
		return nil
	}
	s := append([]float64(nil), train...)
	sort.Float64s(s)
	edges := make([]float64, 9)
	for i := range edges {
		edges[i] = s[(i+1)*len(s)/10]
	}
	return edges
}

// PSI is the population stability index of recent anomaly scores against the model's
// training scores, over the deciles of the training scores (edges, from Deciles or from
// the score distribution the detector fitted, detect.Detector.ScoreQuantile):
//
//	PSI = Σ over the 10 bins (a − e) · ln(a / e)
//
// where e = 0.1 is each bin's share of the training scores and a the share of recent
// scores falling in it (bin i holds scores in (edges[i-1], edges[i]]; an empty bin counts
// as 0.5 / len(recent), so the sum stays finite). The usual reading: below 0.1 stable,
// 0.1–0.25 a moderate shift, above DriftThreshold the sound has drifted from what the model
// learned. It is 0 without 9 edges or without scores.
func PSI(edges, recent []float64) float64 {
	if len(edges) != 9 || len(recent) == 0 {
		return 0
	}
	counts := make([]float64, 10)
	for _, v := range recent {
		counts[sort.SearchFloat64s(edges, v)]++
	}
	floor := 0.5 / float64(len(recent))
	psi := 0.0
	for _, c := range counts {
		a := math.Max(c/float64(len(recent)), floor)
		psi += (a - 0.1) * math.Log(a/0.1)
	}
	return psi
}

// DriftThreshold is the PSI above which the sound is taken to have drifted.
const DriftThreshold = 0.25
