package health

import "math"

// PercentError is the IEEE PHM 2012 challenge's percent error of a RUL estimate (section 5.1,
// eq. 1): %Er = 100·(ActRUL − RUL̂)/ActRUL. Positive: the estimate is early (too short, the
// bearing is removed early); negative: late (it outlives the bearing). actual must be positive.
func PercentError(actual, estimate float64) float64 {
	return 100 * (actual - estimate) / actual
}

// Accuracy is the challenge's score of one estimate (eq. 2):
// A = exp(−ln(0.5)·Er/5) for Er ≤ 0 and exp(+ln(0.5)·Er/20) for Er > 0, so a late estimate
// loses half its score every 5 % and an early one every 20 %; A = 1 for an exact estimate.
func Accuracy(percentError float64) float64 {
	if percentError <= 0 {
		return math.Exp(-math.Ln2 * -percentError / 5) // exp(−ln 0.5·Er/5), Er ≤ 0
	}
	return math.Exp(-math.Ln2 * percentError / 20) // exp(ln 0.5·Er/20)
}

// Score is the challenge's final score (eq. 3): the mean accuracy of the estimates' percent
// errors. An empty slice scores 0.
func Score(percentErrors []float64) float64 {
	if len(percentErrors) == 0 {
		return 0
	}
	var s float64
	for _, e := range percentErrors {
		s += Accuracy(e)
	}
	return s / float64(len(percentErrors))
}
