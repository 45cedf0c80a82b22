package detect

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// mahalanobisModel scores the Mahalanobis distance of a standardised vector from the
// training mean under a shrinkage covariance estimate.
type mahalanobisModel struct {
	Scale     scaler    `json:"scaler"`
	Loc       []float64 `json:"location"`  // mean of the standardised training vectors (≈0)
	Precision []float64 `json:"precision"` // d×d row-major inverse of the shrunk covariance
	Shrink    float64   `json:"shrinkage"` // shrinkage coefficient actually used
	Estimator Shrinkage `json:"estimator"`
}

func (m *mahalanobisModel) Kind() Kind { return KindMahalanobis }
func (m *mahalanobisModel) Dim() int   { return len(m.Loc) }

// Score returns sqrt((z-loc)ᵀ P (z-loc)) for the standardised z.
func (m *mahalanobisModel) Score(x []float64) float64 {
	d := len(m.Loc)
	if len(x) != d {
		return math.Inf(1)
	}
	var s float64
	for i := 0; i < d; i++ {
		zi := m.Scale.z(x, i) - m.Loc[i]
		row := m.Precision[i*d : i*d+d]
		acc := row[i] * zi
		for j := i + 1; j < d; j++ {
			acc += 2 * row[j] * (m.Scale.z(x, j) - m.Loc[j])
		}
		s += zi * acc
	}
	return math.Sqrt(math.Max(s, 0))
}

func (m *mahalanobisModel) validate() error {
	d := len(m.Loc)
	if d == 0 || len(m.Precision) != d*d {
		return fmt.Errorf("%w: mahalanobis dimensions", ErrCorrupt)
	}
	return m.Scale.check(d)
}

// Shrinkage returns the shrinkage coefficient of a Mahalanobis model (for reports); ok is
// false for other kinds.
func ShrinkageOf(m Model) (float64, bool) {
	if mm, ok := m.(*mahalanobisModel); ok {
		return mm.Shrink, true
	}
	return 0, false
}

func fitMahalanobis(X [][]float64, o Options) (Model, error) {
	sc := fitScaler(X)
	Z := sc.transform(X)
	cov, loc, shrink, err := ShrunkCovariance(Z, o.Shrinkage)
	if err != nil {
		return nil, err
	}
	d := len(loc)
	prec, err := invertSPD(cov, d)
	if err != nil {
		return nil, err
	}
	return &mahalanobisModel{Scale: sc, Loc: loc, Precision: prec, Shrink: shrink, Estimator: o.Shrinkage}, nil
}

// ShrunkCovariance returns the shrunk covariance (d×d row-major), the mean and the
// shrinkage coefficient of X, computed as scikit-learn 1.2's LedoitWolf or OAS
// (assume_centered=False, maximum-likelihood empirical covariance dividing by n).
func ShrunkCovariance(X [][]float64, est Shrinkage) (cov, mean []float64, shrinkage float64, err error) {
	n := len(X)
	if n < 2 {
		return nil, nil, 0, fmt.Errorf("%w: %d", ErrTooFewData, n)
	}
	d := len(X[0])
	mean = make([]float64, d)
	for _, x := range X {
		for j, v := range x {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	xc := make([]float64, n*d)
	for i, x := range X {
		for j, v := range x {
			xc[i*d+j] = v - mean[j]
		}
	}
	xm := mat.NewDense(n, d, xc)
	var s mat.Dense
	s.Mul(xm.T(), xm)
	s.Scale(1/float64(n), &s)
	emp := s.RawMatrix().Data // contiguous: Stride == d for a fresh Dense
	var tr float64
	for j := 0; j < d; j++ {
		tr += emp[j*d+j]
	}
	mu := tr / float64(d)
	switch est {
	case ShrinkLedoitWolf, "":
		shrinkage = ledoitWolfShrinkage(xc, emp, n, d, mu)
	case ShrinkOAS:
		var alpha float64
		for _, v := range emp {
			alpha += v * v
		}
		alpha /= float64(d * d)
		num := alpha + mu*mu
		den := float64(n+1) * (alpha - mu*mu/float64(d))
		if den == 0 {
			shrinkage = 1
		} else {
			shrinkage = math.Min(num/den, 1)
		}
	default:
		return nil, nil, 0, fmt.Errorf("%w: shrinkage %q", ErrConfig, est)
	}
	cov = make([]float64, d*d)
	for i := range cov {
		cov[i] = (1 - shrinkage) * emp[i]
	}
	for j := 0; j < d; j++ {
		cov[j*d+j] += shrinkage * mu
	}
	return cov, mean, shrinkage, nil
}

// ledoitWolfShrinkage follows sklearn.covariance.ledoit_wolf_shrinkage (block_size
// irrelevant: computed in one block).
func ledoitWolfShrinkage(xc, emp []float64, n, d int, mu float64) float64 {
	if d == 1 {
		return 0
	}
	x2 := make([]float64, len(xc))
	for i, v := range xc {
		x2[i] = v * v
	}
	var sumX2 float64
	for _, v := range x2 {
		sumX2 += v
	}
	empCovTraceSum := sumX2 / float64(n)
	a := mat.NewDense(n, d, x2)
	var b mat.Dense
	b.Mul(a.T(), a)
	betaSum := mat.Sum(&b)
	// delta_ = sum((Xᵀ X)²)/n²; emp = XᵀX/n so (XᵀX)² = n²·emp².
	var deltaSum float64
	for _, v := range emp {
		deltaSum += v * v
	}
	nf := float64(n)
	beta := 1 / (float64(d) * nf) * (betaSum/nf - deltaSum)
	delta := deltaSum - 2*mu*empCovTraceSum + float64(d)*mu*mu
	delta /= float64(d)
	beta = math.Min(beta, delta)
	if beta == 0 {
		return 0
	}
	return beta / delta
}

// invertSPD inverts a symmetric positive definite matrix, adding a growing ridge if
// Cholesky fails (a singular empirical covariance with zero shrinkage).
func invertSPD(a []float64, d int) ([]float64, error) {
	var tr float64
	for j := 0; j < d; j++ {
		tr += a[j*d+j]
	}
	ridge := 0.0
	for attempt := 0; attempt < 12; attempt++ {
		b := make([]float64, len(a))
		copy(b, a)
		for j := 0; j < d; j++ {
			b[j*d+j] += ridge
		}
		var ch mat.Cholesky
		if ch.Factorize(mat.NewSymDense(d, b)) {
			var inv mat.SymDense
			if err := ch.InverseTo(&inv); err == nil {
				out := make([]float64, d*d)
				for i := 0; i < d; i++ {
					for j := 0; j < d; j++ {
						out[i*d+j] = inv.At(i, j)
					}
				}
				return out, nil
			}
		}
		if ridge == 0 {
			ridge = 1e-9 * math.Max(tr/float64(d), 1e-12)
		} else {
			ridge *= 10
		}
	}
	return nil, fmt.Errorf("%w: covariance is not positive definite", ErrTooFewData)
}
