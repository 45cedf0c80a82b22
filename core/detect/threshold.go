package detect

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"
)

// DefaultQuantile is the default threshold quantile of the fitted score distribution (the
// DCASE 2023 baseline's decision_threshold).
const DefaultQuantile = 0.99

// Gamma is a gamma distribution with location: x − Loc ~ Gamma(Shape, Scale).
type Gamma struct {
	Shape float64 `json:"shape"`
	Scale float64 `json:"scale"`
	Loc   float64 `json:"loc"`
}

// Quantile returns the q-quantile.
func (g Gamma) Quantile(q float64) float64 {
	return g.Loc + distuv.Gamma{Alpha: g.Shape, Beta: 1 / g.Scale}.Quantile(q)
}

// CDF returns P(X ≤ x).
func (g Gamma) CDF(x float64) float64 {
	if x <= g.Loc {
		return 0
	}
	return distuv.Gamma{Alpha: g.Shape, Beta: 1 / g.Scale}.CDF(x - g.Loc)
}

// FitGamma fits a gamma distribution to scores by maximum likelihood (Minka's
// Newton iteration for the shape; scale = mean/shape). When every score is positive the
// location is 0; otherwise it is min − std so the shifted scores are positive (the
// DCASE baseline lets scipy.stats.gamma.fit estimate a location; a fixed rule is more
// stable on the few dozen scores a short learning phase gives).
func FitGamma(scores []float64) (Gamma, error) {
	n := len(scores)
	if n < 2 {
		return Gamma{}, fmt.Errorf("%w: %d scores for the threshold (need at least 2)", ErrTooFewData, n)
	}
	lo, mean := math.Inf(1), 0.0
	for _, s := range scores {
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return Gamma{}, fmt.Errorf("%w in training scores", ErrNotFinite)
		}
		lo = math.Min(lo, s)
		mean += s
	}
	mean /= float64(n)
	var loc float64
	if lo <= 0 {
		var v float64
		for _, s := range scores {
			v += (s - mean) * (s - mean)
		}
		sd := math.Sqrt(v / float64(n))
		if sd == 0 {
			sd = math.Max(math.Abs(mean), 1)
		}
		loc = lo - sd
	}
	var m, ml float64
	for _, s := range scores {
		x := s - loc
		m += x
		ml += math.Log(x)
	}
	m /= float64(n)
	ml /= float64(n)
	sdiff := math.Log(m) - ml // ≥ 0 by Jensen
	if sdiff < 1e-12 {
		// All scores (nearly) equal: a very peaked gamma around them.
		return Gamma{Shape: 1e6, Scale: m / 1e6, Loc: loc}, nil
	}
	a := (3 - sdiff + math.Sqrt((sdiff-3)*(sdiff-3)+24*sdiff)) / (12 * sdiff)
	for i := 0; i < 50; i++ {
		f := math.Log(a) - mathext.Digamma(a) - sdiff
		fp := 1/a - trigamma(a)
		next := a - f/fp
		if next <= 0 {
			next = a / 2
		}
		if math.Abs(next-a) < 1e-12*a {
			a = next
			break
		}
		a = next
	}
	return Gamma{Shape: a, Scale: m / a, Loc: loc}, nil
}

// trigamma returns ψ'(x) for x > 0 (recurrence to x ≥ 6, then the asymptotic series).
func trigamma(x float64) float64 {
	var r float64
	for x < 6 {
		r += 1 / (x * x)
		x++
	}
	x2 := 1 / (x * x)
	return r + 1/x + x2/2 + (1/x)*x2*(1.0/6-x2*(1.0/30-x2*(1.0/42-x2*(1.0/30))))
}

// Threshold fits a gamma distribution to training scores and returns its q-quantile
// (q outside (0,1) selects DefaultQuantile).
func Threshold(scores []float64, q float64) (float64, Gamma, error) {
	if !(q > 0 && q < 1) {
		q = DefaultQuantile
	}
	g, err := FitGamma(scores)
	if err != nil {
		return 0, Gamma{}, err
	}
	return g.Quantile(q), g, nil
}
