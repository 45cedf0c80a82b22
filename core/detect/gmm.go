package detect

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// MaxComponents bounds the mixture size (Score keeps per-component terms on the stack).
const MaxComponents = 64

// gmmModel is a Gaussian mixture on standardised vectors. Score is the negative
// log-likelihood minus Offset, where Offset is one less than the smallest training NLL,
// so that training scores start at 1 (positive scores for the gamma threshold; the
// ranking is that of the NLL).
type gmmModel struct {
	Scale  scaler      `json:"scaler"`
	Cov    Covariance  `json:"covariance"`
	Means  [][]float64 `json:"means"`
	Var    [][]float64 `json:"var,omitempty"`       // diag: variances
	Chol   [][]float64 `json:"prec_chol,omitempty"` // full: W = L⁻¹ (lower, row-major), Σ = L Lᵀ
	LogC   []float64   `json:"log_const"`           // log wₖ − d/2·log 2π + ½ log det Σₖ⁻¹
	Offset float64     `json:"offset"`
	Iter   int         `json:"iterations"`
}

func (m *gmmModel) Kind() Kind { return KindGMM }
func (m *gmmModel) Dim() int   { return len(m.Scale.Mean) }

func (m *gmmModel) validate() error {
	d := len(m.Scale.Mean)
	k := len(m.Means)
	if d == 0 || k == 0 || k > MaxComponents || len(m.LogC) != k {
		return fmt.Errorf("%w: gmm dimensions", ErrCorrupt)
	}
	for c := 0; c < k; c++ {
		if len(m.Means[c]) != d {
			return fmt.Errorf("%w: gmm mean %d", ErrCorrupt, c)
		}
		switch m.Cov {
		case CovDiag:
			if len(m.Var) != k || len(m.Var[c]) != d {
				return fmt.Errorf("%w: gmm variances", ErrCorrupt)
			}
		case CovFull:
			if len(m.Chol) != k || len(m.Chol[c]) != d*d {
				return fmt.Errorf("%w: gmm precision factor", ErrCorrupt)
			}
		default:
			return fmt.Errorf("%w: gmm covariance %q", ErrCorrupt, m.Cov)
		}
	}
	return m.Scale.check(d)
}

// logComp returns log wₖ + log N(z | μₖ, Σₖ) for raw x.
func (m *gmmModel) logComp(x []float64, c int) float64 {
	mu := m.Means[c]
	var q float64
	if m.Cov == CovDiag {
		v := m.Var[c]
		for j := range mu {
			e := m.Scale.z(x, j) - mu[j]
			q += e * e / v[j]
		}
	} else {
		d := len(mu)
		w := m.Chol[c]
		for i := 0; i < d; i++ {
			row := w[i*d : i*d+i+1]
			var y float64
			for j, wij := range row {
				y += wij * (m.Scale.z(x, j) - mu[j])
			}
			q += y * y
		}
	}
	return m.LogC[c] - 0.5*q
}

func (m *gmmModel) logLik(x []float64) float64 {
	var buf [MaxComponents]float64
	lp := buf[:len(m.Means)]
	best := math.Inf(-1)
	for c := range lp {
		lp[c] = m.logComp(x, c)
		best = math.Max(best, lp[c])
	}
	var s float64
	for _, v := range lp {
		s += math.Exp(v - best)
	}
	return best + math.Log(s)
}

// Score returns the shifted negative log-likelihood.
func (m *gmmModel) Score(x []float64) float64 {
	if len(x) != m.Dim() {
		return math.Inf(1)
	}
	return -m.logLik(x) - m.Offset
}

func fitGMM(X [][]float64, o Options) (Model, error) {
	if o.Covariance != CovDiag && o.Covariance != CovFull {
		return nil, fmt.Errorf("%w: covariance %q", ErrConfig, o.Covariance)
	}
	n := len(X)
	k := min(o.Components, MaxComponents, max(1, n/2))
	sc := fitScaler(X)
	Z := sc.transform(X)
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	labels := kmeans(Z, k, rng, 20)
	resp := make([][]float64, n)
	for i := range resp {
		resp[i] = make([]float64, k)
		resp[i][labels[i]] = 1
	}
	m := &gmmModel{Scale: sc, Cov: o.Covariance}
	prev := math.Inf(-1)
	for it := 0; it < o.MaxIter; it++ {
		if err := m.mStep(Z, resp, o.Reg); err != nil {
			return nil, err
		}
		m.Iter = it + 1
		ll := m.eStep(Z, resp)
		if math.Abs(ll-prev) < o.Tol {
			break
		}
		prev = ll
	}
	// Offset: smallest training NLL minus one.
	minNLL := math.Inf(1)
	for _, x := range X {
		minNLL = math.Min(minNLL, -m.logLik(x))
	}
	m.Offset = minNLL - 1
	return m, nil
}

// logCompZ is logComp for an already standardised z.
func (m *gmmModel) logCompZ(z []float64, c int) float64 {
	mu := m.Means[c]
	var q float64
	if m.Cov == CovDiag {
		v := m.Var[c]
		for j := range mu {
			e := z[j] - mu[j]
			q += e * e / v[j]
		}
	} else {
		d := len(mu)
		w := m.Chol[c]
		for i := 0; i < d; i++ {
			var y float64
			for j := 0; j <= i; j++ {
				y += w[i*d+j] * (z[j] - mu[j])
			}
			q += y * y
		}
	}
	return m.LogC[c] - 0.5*q
}

// eStep fills resp with posterior responsibilities and returns the mean log-likelihood.
func (m *gmmModel) eStep(Z [][]float64, resp [][]float64) float64 {
	var total float64
	for i, z := range Z {
		r := resp[i]
		best := math.Inf(-1)
		for c := range r {
			r[c] = m.logCompZ(z, c)
			best = math.Max(best, r[c])
		}
		var s float64
		for c := range r {
			r[c] = math.Exp(r[c] - best)
			s += r[c]
		}
		for c := range r {
			r[c] /= s
		}
		total += best + math.Log(s)
	}
	return total / float64(len(Z))
}

func (m *gmmModel) mStep(Z [][]float64, resp [][]float64, reg float64) error {
	n, d, k := len(Z), len(Z[0]), len(resp[0])
	const eps = 10 * 2.220446049250313e-16
	m.Means = make([][]float64, k)
	m.LogC = make([]float64, k)
	if m.Cov == CovDiag {
		m.Var = make([][]float64, k)
	} else {
		m.Chol = make([][]float64, k)
	}
	log2pi := math.Log(2 * math.Pi)
	for c := 0; c < k; c++ {
		nk := eps
		mu := make([]float64, d)
		for i, z := range Z {
			r := resp[i][c]
			nk += r
			for j, v := range z {
				mu[j] += r * v
			}
		}
		for j := range mu {
			mu[j] /= nk
		}
		m.Means[c] = mu
		logW := math.Log(nk / float64(n))
		if m.Cov == CovDiag {
			v := make([]float64, d)
			for i, z := range Z {
				r := resp[i][c]
				for j, x := range z {
					e := x - mu[j]
					v[j] += r * e * e
				}
			}
			var logdet float64
			for j := range v {
				v[j] = v[j]/nk + reg
				logdet += math.Log(v[j])
			}
			m.Var[c] = v
			m.LogC[c] = logW - 0.5*float64(d)*log2pi - 0.5*logdet
			continue
		}
		cov := mat.NewSymDense(d, nil)
		for i, z := range Z {
			r := resp[i][c]
			if r == 0 {
				continue
			}
			for a := 0; a < d; a++ {
				ea := r * (z[a] - mu[a])
				for b := a; b < d; b++ {
					cov.SetSym(a, b, cov.At(a, b)+ea*(z[b]-mu[b]))
				}
			}
		}
		for a := 0; a < d; a++ {
			for b := a; b < d; b++ {
				v := cov.At(a, b) / nk
				if a == b {
					v += reg
				}
				cov.SetSym(a, b, v)
			}
		}
		var ch mat.Cholesky
		if !ch.Factorize(cov) {
			return fmt.Errorf("%w: gmm component %d covariance not positive definite (raise reg)", ErrTooFewData, c)
		}
		var l mat.TriDense
		ch.LTo(&l)
		var w mat.TriDense
		if err := w.InverseTri(&l); err != nil {
			return fmt.Errorf("%w: gmm component %d: %w", ErrTooFewData, c, err)
		}
		flat := make([]float64, d*d)
		var logdetP float64
		for a := 0; a < d; a++ {
			for b := 0; b <= a; b++ {
				flat[a*d+b] = w.At(a, b)
			}
			logdetP += 2 * math.Log(w.At(a, a))
		}
		m.Chol[c] = flat
		m.LogC[c] = logW - 0.5*float64(d)*log2pi + 0.5*logdetP
	}
	return nil
}

// kmeans clusters Z into k groups with k-means++ seeding and Lloyd iterations.
func kmeans(Z [][]float64, k int, rng *rand.Rand, iters int) []int {
	n, d := len(Z), len(Z[0])
	labels := make([]int, n)
	if k == 1 {
		return labels
	}
	dist2 := func(a, b []float64) float64 {
		var s float64
		for j := range a {
			e := a[j] - b[j]
			s += e * e
		}
		return s
	}
	centers := make([][]float64, 0, k)
	centers = append(centers, append([]float64(nil), Z[rng.IntN(n)]...))
	dmin := make([]float64, n)
	for i, z := range Z {
		dmin[i] = dist2(z, centers[0])
	}
	for len(centers) < k {
		var total float64
		for _, v := range dmin {
			total += v
		}
		pick := 0
		if total > 0 {
			u := rng.Float64() * total
			for i, v := range dmin {
				u -= v
				if u <= 0 {
					pick = i
					break
				}
				pick = i
			}
		} else {
			pick = rng.IntN(n)
		}
		c := append([]float64(nil), Z[pick]...)
		centers = append(centers, c)
		for i, z := range Z {
			dmin[i] = math.Min(dmin[i], dist2(z, c))
		}
	}
	counts := make([]int, k)
	for it := 0; it < iters; it++ {
		changed := it == 0
		for i, z := range Z {
			best, bd := 0, math.Inf(1)
			for c, ctr := range centers {
				if v := dist2(z, ctr); v < bd {
					best, bd = c, v
				}
			}
			if labels[i] != best {
				labels[i] = best
				changed = true
			}
		}
		if !changed {
			break
		}
		for c := range centers {
			clear(centers[c])
			counts[c] = 0
		}
		for i, z := range Z {
			c := labels[i]
			counts[c]++
			for j, v := range z {
				centers[c][j] += v
			}
		}
		for c := range centers {
			if counts[c] == 0 {
				copy(centers[c], Z[rng.IntN(n)])
				continue
			}
			for j := 0; j < d; j++ {
				centers[c][j] /= float64(counts[c])
			}
		}
	}
	return labels
}
