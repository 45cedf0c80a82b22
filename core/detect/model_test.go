package detect

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

type golden struct {
	Covariance []struct {
		Name       string      `json:"name"`
		X          [][]float64 `json:"X"`
		Q          [][]float64 `json:"Q"`
		LedoitWolf struct {
			Shrinkage float64   `json:"shrinkage"`
			Distance  []float64 `json:"distance"`
		} `json:"ledoit-wolf"`
		OAS struct {
			Shrinkage float64   `json:"shrinkage"`
			Distance  []float64 `json:"distance"`
		} `json:"oas"`
	} `json:"covariance"`
	Gamma []struct {
		Scores []float64 `json:"scores"`
		Shape  float64   `json:"shape"`
		Scale  float64   `json:"scale"`
		Q99    float64   `json:"q99"`
	} `json:"gamma"`
}

func loadGolden(t *testing.T) golden {
	t.Helper()
	b, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

func relClose(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// TestMahalanobisGolden compares shrinkage and distances with scikit-learn 1.2
// (testdata/gen_golden.py).
func TestMahalanobisGolden(t *testing.T) {
	g := loadGolden(t)
	for _, c := range g.Covariance {
		for _, est := range []struct {
			s    Shrinkage
			want float64
			dist []float64
		}{
			{ShrinkLedoitWolf, c.LedoitWolf.Shrinkage, c.LedoitWolf.Distance},
			{ShrinkOAS, c.OAS.Shrinkage, c.OAS.Distance},
		} {
			t.Run(c.Name+"/"+string(est.s), func(t *testing.T) {
				m, err := Fit(KindMahalanobis, c.X, Options{Shrinkage: est.s})
				if err != nil {
					t.Fatal(err)
				}
				sh, _ := ShrinkageOf(m)
				if !relClose(sh, est.want, 1e-9) {
					t.Errorf("shrinkage %.12g, sklearn %.12g", sh, est.want)
				}
				for i, q := range c.Q {
					if got := m.Score(q); !relClose(got, est.dist[i], 1e-7) {
						t.Errorf("distance %d: %.10g, sklearn %.10g", i, got, est.dist[i])
					}
				}
			})
		}
	}
}

func TestGammaGolden(t *testing.T) {
	g := loadGolden(t)
	for i, c := range g.Gamma {
		thr, fit, err := Threshold(c.Scores, 0.99)
		if err != nil {
			t.Fatal(err)
		}
		// scipy's optimiser stops at ~1e-5 relative precision.
		if !relClose(fit.Shape, c.Shape, 1e-3) || !relClose(fit.Scale, c.Scale, 1e-3) || fit.Loc != 0 {
			t.Errorf("case %d: gamma %+v, scipy shape %g scale %g", i, fit, c.Shape, c.Scale)
		}
		if !relClose(thr, c.Q99, 1e-3) {
			t.Errorf("case %d: q99 %g, scipy %g", i, thr, c.Q99)
		}
	}
}

func TestFitGammaNonPositive(t *testing.T) {
	s := []float64{-1, -0.5, 0, 0.2, 0.4, 1, 2}
	g, err := FitGamma(s)
	if err != nil {
		t.Fatal(err)
	}
	if g.Loc >= -1 {
		t.Errorf("loc %g should be below the minimum score", g.Loc)
	}
	if q := g.Quantile(0.99); !(q > 2) {
		t.Errorf("q99 %g should exceed the largest score", q)
	}
	if _, err := FitGamma([]float64{1}); !errors.Is(err, ErrTooFewData) {
		t.Errorf("one score: %v", err)
	}
	if _, err := FitGamma([]float64{1, math.NaN()}); !errors.Is(err, ErrNotFinite) {
		t.Errorf("NaN: %v", err)
	}
	if g, err := FitGamma([]float64{3, 3, 3}); err != nil || !relClose(g.Quantile(0.99), 3, 1e-2) {
		t.Errorf("constant scores: %+v %v", g, err)
	}
}

// gaussian draws n vectors of dimension d with per-dimension mean mu and std sd.
func gaussian(rng *rand.Rand, n, d int, mu, sd float64) [][]float64 {
	X := make([][]float64, n)
	for i := range X {
		X[i] = make([]float64, d)
		for j := range X[i] {
			X[i][j] = mu + sd*rng.NormFloat64() + 0.5*float64(j)
		}
	}
	return X
}

func TestModelsSeparate(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	train := gaussian(rng, 300, 8, 0, 1)
	normal := gaussian(rng, 100, 8, 0, 1)
	shifted := gaussian(rng, 100, 8, 2.5, 1)
	for _, tc := range []struct {
		kind Kind
		opts Options
	}{
		{KindMahalanobis, Options{}},
		{KindMahalanobis, Options{Shrinkage: ShrinkOAS}},
		{KindGMM, Options{}},
		{KindGMM, Options{Covariance: CovFull, Components: 3}},
		{KindKNN, Options{K: 3}},
	} {
		t.Run(string(tc.kind)+"/"+string(tc.opts.Covariance)+string(tc.opts.Shrinkage), func(t *testing.T) {
			m, err := Fit(tc.kind, train, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			thr, _, err := Threshold(TrainingScores(m, train), 0.99)
			if err != nil {
				t.Fatal(err)
			}
			var fpos, miss int
			for _, x := range normal {
				if m.Score(x) > thr {
					fpos++
				}
			}
			for _, x := range shifted {
				if m.Score(x) <= thr {
					miss++
				}
			}
			if fpos > 8 || miss > 2 {
				t.Errorf("threshold %g: %d/100 normal above, %d/100 shifted below", thr, fpos, miss)
			}
		})
	}
}

func TestModelRoundTripAndDeterminism(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	X := gaussian(rng, 60, 6, 0, 1)
	Q := gaussian(rng, 20, 6, 1, 2)
	for _, tc := range []struct {
		kind Kind
		opts Options
	}{
		{KindMahalanobis, Options{}},
		{KindGMM, Options{Components: 3, Seed: 9}},
		{KindGMM, Options{Components: 2, Covariance: CovFull}},
		{KindKNN, Options{K: 2}},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			m1, err := Fit(tc.kind, X, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			m2, _ := Fit(tc.kind, X, tc.opts)
			b, err := MarshalModel(m1)
			if err != nil {
				t.Fatal(err)
			}
			m3, err := UnmarshalModel(b)
			if err != nil {
				t.Fatal(err)
			}
			if m3.Kind() != tc.kind || m3.Dim() != 6 {
				t.Fatalf("restored kind %s dim %d", m3.Kind(), m3.Dim())
			}
			for i, q := range Q {
				s1, s2, s3 := m1.Score(q), m2.Score(q), m3.Score(q)
				if s1 != s2 || s1 != s3 {
					t.Fatalf("query %d: fit %v, refit %v, restored %v (want identical)", i, s1, s2, s3)
				}
			}
		})
	}
}

func TestFitErrors(t *testing.T) {
	ok := [][]float64{{1, 2}, {2, 3}, {3, 1}}
	for _, tc := range []struct {
		name string
		kind Kind
		X    [][]float64
		opts Options
		want error
	}{
		{"unknown kind", "forest", ok, Options{}, ErrUnknownKind},
		{"one vector", KindMahalanobis, ok[:1], Options{}, ErrTooFewData},
		{"ragged", KindGMM, [][]float64{{1, 2}, {1}}, Options{}, ErrDimension},
		{"NaN", KindKNN, [][]float64{{1, 2}, {math.NaN(), 1}}, Options{}, ErrNotFinite},
		{"bad shrinkage", KindMahalanobis, ok, Options{Shrinkage: "magic"}, ErrConfig},
		{"bad covariance", KindGMM, ok, Options{Covariance: "tied"}, ErrConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Fit(tc.kind, tc.X, tc.opts); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
	for _, b := range []string{``, `{}`, `{"kind":"gmm","model":{}}`, `{"kind":"mahalanobis","model":{"location":[1],"precision":[1,2]}}`, `{"kind":"x","model":{}}`} {
		if _, err := UnmarshalModel([]byte(b)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("UnmarshalModel(%q): %v, want ErrCorrupt", b, err)
		}
	}
}

func TestConstantDimension(t *testing.T) {
	// A dimension that never changes in training must not produce NaN or Inf scores.
	rng := rand.New(rand.NewPCG(5, 6))
	X := gaussian(rng, 40, 3, 0, 1)
	for _, x := range X {
		x[1] = 7
	}
	for _, k := range Kinds() {
		m, err := Fit(k, X, Options{})
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if s := m.Score([]float64{0, 8, 1}); math.IsNaN(s) || math.IsInf(s, 0) {
			t.Errorf("%s: score %v", k, s)
		}
	}
}

func BenchmarkScore(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	X := gaussian(rng, 500, 128, 0, 1)
	for _, tc := range []struct {
		name string
		kind Kind
		opts Options
	}{
		{"mahalanobis", KindMahalanobis, Options{}},
		{"gmm-diag-2", KindGMM, Options{}},
		{"knn-1-n500", KindKNN, Options{}},
	} {
		m, err := Fit(tc.kind, X, tc.opts)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name+"-d128", func(b *testing.B) {
			b.ReportAllocs()
			x := X[3]
			for b.Loop() {
				_ = m.Score(x)
			}
		})
	}
}
