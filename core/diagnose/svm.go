package diagnose

import (
	"context"
	"math"
	"math/rand/v2"
)

// svm is a one-vs-rest RBF support vector machine on standardised features with Platt-scaled
// probabilities. Each binary problem is solved by SMO with libsvm's second-order working set
// selection (Fan, Chen & Lin 2005); Platt's sigmoid is fitted (Lin, Lin & Weng 2007) on
// decision values from an internal 3-fold cross-validation, as libsvm does with -b 1.
type svm struct {
	Mean, Scale []float64
	Gamma       float64
	Binary      []binarySVM // one per class: that class (+1) against the rest (−1)
}

type binarySVM struct {
	SV   [][]float64 // standardised support vectors
	Coef []float64   // αᵢ·yᵢ
	Rho  float64
	A, B float64 // Platt: P(+1|f) = 1 / (1 + exp(A·f + B))
}

type svmParams struct {
	C, Gamma float64
	Seed     uint64
}

const (
	smoEps  = 1e-3
	smoTau  = 1e-12
	smoIter = 10_000_000
)

func trainSVM(ctx context.Context, X [][]float64, y []int, nClasses int, p svmParams) (*svm, error) {
	n, d := len(X), len(X[0])
	m := &svm{Mean: make([]float64, d), Scale: make([]float64, d), Gamma: p.Gamma}
	for _, x := range X {
		for j, v := range x {
			m.Mean[j] += v
		}
	}
	for j := range m.Mean {
		m.Mean[j] /= float64(n)
	}
	for _, x := range X {
		for j, v := range x {
			m.Scale[j] += (v - m.Mean[j]) * (v - m.Mean[j])
		}
	}
	for j := range m.Scale {
		s := math.Sqrt(m.Scale[j] / float64(n))
		if s == 0 {
			s = 1
		}
		m.Scale[j] = 1 / s
	}
	if m.Gamma <= 0 {
		m.Gamma = 1 / float64(d)
	}
	Z := make([][]float64, n)
	for i, x := range X {
		Z[i] = m.standardise(x)
	}
	K := make([][]float64, n)
	for i := range K {
		K[i] = make([]float64, n)
	}
	for i := range n {
		K[i][i] = 1
		for j := i + 1; j < n; j++ {
			v := rbf(Z[i], Z[j], m.Gamma)
			K[i][j], K[j][i] = v, v
		}
	}

	// Internal CV folds for Platt scaling: a seeded shuffle, stratified by class.
	r := rand.New(rand.NewPCG(p.Seed, 0x5f3759df))
	fold := make([]int, n)
	perm := r.Perm(n)
	seen := make([]int, nClasses)
	for _, i := range perm {
		fold[i] = seen[y[i]] % 3
		seen[y[i]]++
	}

	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	m.Binary = make([]binarySVM, nClasses)
	for c := range nClasses {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		lab := make([]float64, n)
		for i := range lab {
			lab[i] = -1
			if y[i] == c {
				lab[i] = 1
			}
		}
		dec := make([]float64, n)
		for f := range 3 {
			var tr, te []int
			for i := range n {
				if fold[i] == f {
					te = append(te, i)
				} else {
					tr = append(tr, i)
				}
			}
			alpha, rho := smo(K, lab, tr, p.C)
			for _, i := range te {
				s := -rho
				for a, t := range tr {
					s += alpha[a] * lab[t] * K[t][i]
				}
				dec[i] = s
			}
		}
		A, B := platt(dec, lab)
		alpha, rho := smo(K, lab, all, p.C)
		b := binarySVM{Rho: rho, A: A, B: B}
		for i, a := range alpha {
			if a > 0 {
				b.SV = append(b.SV, Z[i])
				b.Coef = append(b.Coef, a*lab[i])
			}
		}
		m.Binary[c] = b
	}
	return m, nil
}

func rbf(a, b []float64, gamma float64) float64 {
	var s float64
	for i := range a {
		d := a[i] - b[i]
		s += d * d
	}
	return math.Exp(-gamma * s)
}

func (m *svm) standardise(x []float64) []float64 {
	z := make([]float64, len(x))
	for j, v := range x {
		z[j] = (v - m.Mean[j]) * m.Scale[j]
	}
	return z
}

// proba returns normalised one-vs-rest Platt probabilities.
func (m *svm) proba(x []float64) []float64 {
	z := m.standardise(x)
	p := make([]float64, len(m.Binary))
	var sum float64
	for c, b := range m.Binary {
		f := -b.Rho
		for i, sv := range b.SV {
			f += b.Coef[i] * rbf(sv, z, m.Gamma)
		}
		p[c] = sigmoid(b.A*f + b.B)
		sum += p[c]
	}
	for c := range p {
		if sum > 0 {
			p[c] /= sum
		} else {
			p[c] = 1 / float64(len(p))
		}
	}
	return p
}

// sigmoid returns 1/(1+exp(v)) without overflow.
func sigmoid(v float64) float64 {
	if v >= 0 {
		e := math.Exp(-v)
		return e / (1 + e)
	}
	return 1 / (1 + math.Exp(v))
}

// smo solves the C-SVC dual on the samples idx (labels y ∈ {±1}, kernel K) and returns α
// (aligned with idx) and ρ, following libsvm's Solver.
func smo(K [][]float64, y []float64, idx []int, C float64) ([]float64, float64) {
	n := len(idx)
	alpha := make([]float64, n)
	G := make([]float64, n)
	for i := range G {
		G[i] = -1
	}
	Q := func(a, b int) float64 { return y[idx[a]] * y[idx[b]] * K[idx[a]][idx[b]] }
	yy := func(a int) float64 { return y[idx[a]] }
	up := func(a int) bool { return alpha[a] >= C }
	low := func(a int) bool { return alpha[a] <= 0 }
	for iter := 0; iter < smoIter; iter++ {
		gmax, gmax2 := math.Inf(-1), math.Inf(-1)
		i, j := -1, -1
		for t := range n {
			if yy(t) > 0 {
				if !up(t) && -G[t] >= gmax {
					gmax, i = -G[t], t
				}
			} else if !low(t) && G[t] >= gmax {
				gmax, i = G[t], t
			}
		}
		if i < 0 {
			break
		}
		objMin := math.Inf(1)
		for t := range n {
			if yy(t) > 0 {
				if !low(t) {
					diff := gmax + G[t]
					gmax2 = max(gmax2, G[t])
					if diff > 0 {
						quad := 2 - 2*yy(i)*Q(i, t)
						if quad <= 0 {
							quad = smoTau
						}
						if obj := -diff * diff / quad; obj <= objMin {
							j, objMin = t, obj
						}
					}
				}
			} else if !up(t) {
				diff := gmax - G[t]
				gmax2 = max(gmax2, -G[t])
				if diff > 0 {
					quad := 2 + 2*yy(i)*Q(i, t)
					if quad <= 0 {
						quad = smoTau
					}
					if obj := -diff * diff / quad; obj <= objMin {
						j, objMin = t, obj
					}
				}
			}
		}
		if gmax+gmax2 < smoEps || j < 0 {
			break
		}
		oi, oj := alpha[i], alpha[j]
		qij := Q(i, j)
		if yy(i) != yy(j) {
			quad := 2 + 2*qij
			if quad <= 0 {
				quad = smoTau
			}
			delta := (-G[i] - G[j]) / quad
			diff := alpha[i] - alpha[j]
			alpha[i] += delta
			alpha[j] += delta
			if diff > 0 {
				if alpha[j] < 0 {
					alpha[j], alpha[i] = 0, diff
				}
			} else if alpha[i] < 0 {
				alpha[i], alpha[j] = 0, -diff
			}
			if diff > 0 {
				if alpha[i] > C {
					alpha[i], alpha[j] = C, C-diff
				}
			} else if alpha[j] > C {
				alpha[j], alpha[i] = C, C+diff
			}
		} else {
			quad := 2 - 2*qij
			if quad <= 0 {
				quad = smoTau
			}
			delta := (G[i] - G[j]) / quad
			sum := alpha[i] + alpha[j]
			alpha[i] -= delta
			alpha[j] += delta
			if sum > C {
				if alpha[i] > C {
					alpha[i], alpha[j] = C, sum-C
				}
			} else if alpha[j] < 0 {
				alpha[j], alpha[i] = 0, sum
			}
			if sum > C {
				if alpha[j] > C {
					alpha[j], alpha[i] = C, sum-C
				}
			} else if alpha[i] < 0 {
				alpha[i], alpha[j] = 0, sum
			}
		}
		di, dj := alpha[i]-oi, alpha[j]-oj
		for t := range n {
			G[t] += Q(i, t)*di + Q(j, t)*dj
		}
	}

	ub, lb := math.Inf(1), math.Inf(-1)
	var sumFree float64
	nFree := 0
	for t := range n {
		yg := yy(t) * G[t]
		switch {
		case up(t):
			if yy(t) < 0 {
				ub = min(ub, yg)
			} else {
				lb = max(lb, yg)
			}
		case low(t):
			if yy(t) > 0 {
				ub = min(ub, yg)
			} else {
				lb = max(lb, yg)
			}
		default:
			nFree++
			sumFree += yg
		}
	}
	rho := (ub + lb) / 2
	if nFree > 0 {
		rho = sumFree / float64(nFree)
	}
	return alpha, rho
}

// platt fits P(y=+1|f) = 1/(1+exp(A·f+B)) to decision values by the Newton method with
// backtracking of Lin, Lin & Weng (2007), with Platt's regularised targets.
func platt(dec, y []float64) (A, B float64) {
	var prior1, prior0 float64
	for _, v := range y {
		if v > 0 {
			prior1++
		} else {
			prior0++
		}
	}
	hi, lo := (prior1+1)/(prior1+2), 1/(prior0+2)
	t := make([]float64, len(y))
	for i, v := range y {
		t[i] = lo
		if v > 0 {
			t[i] = hi
		}
	}
	obj := func(A, B float64) float64 {
		var f float64
		for i, d := range dec {
			fApB := d*A + B
			if fApB >= 0 {
				f += t[i]*fApB + math.Log1p(math.Exp(-fApB))
			} else {
				f += (t[i]-1)*fApB + math.Log1p(math.Exp(fApB))
			}
		}
		return f
	}
	A, B = 0, math.Log((prior0+1)/(prior1+1))
	fval := obj(A, B)
	for range 100 {
		h11, h22, h21, g1, g2 := 1e-12, 1e-12, 0.0, 0.0, 0.0
		for i, d := range dec {
			fApB := d*A + B
			var p, q float64
			if fApB >= 0 {
				e := math.Exp(-fApB)
				p, q = e/(1+e), 1/(1+e)
			} else {
				e := math.Exp(fApB)
				p, q = 1/(1+e), e/(1+e)
			}
			d2 := p * q
			h11 += d * d * d2
			h22 += d2
			h21 += d * d2
			d1 := t[i] - p
			g1 += d * d1
			g2 += d1
		}
		if math.Abs(g1) < 1e-5 && math.Abs(g2) < 1e-5 {
			break
		}
		det := h11*h22 - h21*h21
		dA, dB := -(h22*g1-h21*g2)/det, -(-h21*g1+h11*g2)/det
		gd := g1*dA + g2*dB
		step := 1.0
		for ; step >= 1e-10; step /= 2 {
			nA, nB := A+step*dA, B+step*dB
			if nf := obj(nA, nB); nf < fval+1e-4*step*gd {
				A, B, fval = nA, nB, nf
				break
			}
		}
		if step < 1e-10 {
			break
		}
	}
	return A, B
}
