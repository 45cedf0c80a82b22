package detect

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// Kind names a model family.
type Kind string

// Model kinds.
const (
	KindMahalanobis Kind = "mahalanobis" // standardised features, shrinkage covariance
	KindGMM         Kind = "gmm"         // Gaussian mixture, EM with k-means++ init
	KindKNN         Kind = "knn"         // mean distance to the k nearest training windows
)

// Kinds lists every model kind Fit accepts, in a stable order.
func Kinds() []Kind { return []Kind{KindMahalanobis, KindGMM, KindKNN} }

// Sentinel errors.
var (
	ErrUnknownKind  = errors.New("detect: unknown model kind")
	ErrTooFewData   = errors.New("detect: too few training vectors")
	ErrDimension    = errors.New("detect: vector dimension mismatch")
	ErrNotFinite    = errors.New("detect: non-finite value")
	ErrCorrupt      = errors.New("detect: corrupt serialised state")
	ErrNotMonitored = errors.New("detect: detector is still learning")
	ErrNotLearning  = errors.New("detect: detector is not learning")
	// ErrTooFewWindows: learning ended before MinLearnWindows windows were seen.
	ErrTooFewWindows = errors.New("detect: too few windows learned")
)

// Model is a fitted model of normal operation. Score is safe for concurrent use and does
// not allocate.
type Model interface {
	Kind() Kind
	Dim() int
	// Score returns an anomaly score for a window vector: higher is more anomalous.
	Score(x []float64) float64
}

// Shrinkage selects the covariance shrinkage estimator of the Mahalanobis model.
type Shrinkage string

// Shrinkage estimators (as sklearn.covariance.LedoitWolf and OAS).
const (
	ShrinkLedoitWolf Shrinkage = "ledoit-wolf"
	ShrinkOAS        Shrinkage = "oas"
)

// Covariance selects the GMM component covariance.
type Covariance string

// GMM covariance types.
const (
	CovDiag Covariance = "diag"
	CovFull Covariance = "full"
)

// Options tune Fit. The zero value selects the defaults noted per field.
type Options struct {
	Shrinkage  Shrinkage  `json:"shrinkage,omitempty"`  // mahalanobis; default ledoit-wolf
	Components int        `json:"components,omitempty"` // gmm; default 2 (capped at n/2)
	Covariance Covariance `json:"covariance,omitempty"` // gmm; default diag
	Reg        float64    `json:"reg,omitempty"`        // gmm variance floor on standardised data; default 1e-3
	MaxIter    int        `json:"max_iter,omitempty"`   // gmm EM iterations; default 100
	Tol        float64    `json:"tol,omitempty"`        // gmm mean log-likelihood change; default 1e-4
	Seed       uint64     `json:"seed,omitempty"`       // gmm k-means++ seed; default 1
	K          int        `json:"k,omitempty"`          // knn neighbours; default 1
	// Groups splits the window vector into consecutive groups of these lengths, each
	// modelled on its own (FeatureConfig.Groups); empty or one group: one model.
	Groups []int `json:"groups,omitempty"`
}

func (o Options) withDefaults() Options {
	if o.Shrinkage == "" {
		o.Shrinkage = ShrinkLedoitWolf
	}
	if o.Components <= 0 {
		o.Components = 2
	}
	if o.Covariance == "" {
		o.Covariance = CovDiag
	}
	if o.Reg <= 0 {
		o.Reg = 1e-3
	}
	if o.MaxIter <= 0 {
		o.MaxIter = 100
	}
	if o.Tol <= 0 {
		o.Tol = 1e-4
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.K <= 0 {
		o.K = 1
	}
	return o
}

// Fit fits a model of the given kind to the training window vectors X (n × d). It is
// deterministic for given inputs and options.
func Fit(kind Kind, X [][]float64, opts Options) (Model, error) {
	if len(X) < 2 {
		return nil, fmt.Errorf("%w: %d (need at least 2)", ErrTooFewData, len(X))
	}
	d := len(X[0])
	if d == 0 {
		return nil, fmt.Errorf("%w: empty vectors", ErrDimension)
	}
	for i, x := range X {
		if len(x) != d {
			return nil, fmt.Errorf("%w: vector %d has %d values, want %d", ErrDimension, i, len(x), d)
		}
		for _, v := range x {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w in training vector %d", ErrNotFinite, i)
			}
		}
	}
	opts = opts.withDefaults()
	if len(opts.Groups) > 1 {
		return fitGroups(kind, X, opts)
	}
	switch kind {
	case KindMahalanobis:
		return fitMahalanobis(X, opts)
	case KindGMM:
		return fitGMM(X, opts)
	case KindKNN:
		return fitKNN(X, opts)
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownKind, kind)
}

// TrainingScores returns the scores of the training vectors under m as used to fit the
// threshold. For knn each vector is scored against the others (leave-one-out), since its
// own zero distance would say nothing about the spread of normal scores.
func TrainingScores(m Model, X [][]float64) []float64 {
	s := make([]float64, len(X))
	if k, ok := m.(*knnModel); ok {
		for i, x := range X {
			s[i] = k.score(x, i)
		}
		return s
	}
	for i, x := range X {
		s[i] = m.Score(x)
	}
	return s
}

// scaler standardises each dimension with the training mean and standard deviation.
type scaler struct {
	Mean []float64 `json:"mean"`
	Inv  []float64 `json:"inv_std"` // 1/std, 0 for constant dimensions
}

func fitScaler(X [][]float64) scaler {
	d := len(X[0])
	n := float64(len(X))
	s := scaler{Mean: make([]float64, d), Inv: make([]float64, d)}
	for _, x := range X {
		for j, v := range x {
			s.Mean[j] += v
		}
	}
	for j := range s.Mean {
		s.Mean[j] /= n
	}
	for _, x := range X {
		for j, v := range x {
			e := v - s.Mean[j]
			s.Inv[j] += e * e
		}
	}
	for j := range s.Inv {
		sd := math.Sqrt(s.Inv[j] / n)
		if sd > 1e-9*(1+math.Abs(s.Mean[j])) {
			s.Inv[j] = 1 / sd
		} else {
			s.Inv[j] = 0
		}
	}
	return s
}

func (s *scaler) z(x []float64, j int) float64 { return (x[j] - s.Mean[j]) * s.Inv[j] }

func (s *scaler) transform(X [][]float64) [][]float64 {
	Z := make([][]float64, len(X))
	for i, x := range X {
		z := make([]float64, len(x))
		for j := range x {
			z[j] = s.z(x, j)
		}
		Z[i] = z
	}
	return Z
}

func (s *scaler) check(d int) error {
	if len(s.Mean) != d || len(s.Inv) != d {
		return fmt.Errorf("%w: scaler dimension", ErrCorrupt)
	}
	return nil
}

// envelope is the serialised form of any model.
type envelope struct {
	Kind    Kind            `json:"kind"`
	Grouped bool            `json:"grouped,omitempty"` // a model per feature group
	Model   json.RawMessage `json:"model"`
}

// MarshalModel serialises m (JSON; float64 values round-trip exactly).
func MarshalModel(m Model) ([]byte, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("marshal %s model: %w", m.Kind(), err)
	}
	_, grouped := m.(*groupModel)
	return json.Marshal(envelope{Kind: m.Kind(), Grouped: grouped, Model: b})
}

// UnmarshalModel restores a model serialised by MarshalModel.
func UnmarshalModel(b []byte) (Model, error) {
	var e envelope
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	var m interface {
		Model
		validate() error
	}
	switch {
	case e.Grouped:
		m = &groupModel{}
	case e.Kind == KindMahalanobis:
		m = &mahalanobisModel{}
	case e.Kind == KindGMM:
		m = &gmmModel{}
	case e.Kind == KindKNN:
		m = &knnModel{}
	default:
		return nil, fmt.Errorf("%w: %w %q", ErrCorrupt, ErrUnknownKind, e.Kind)
	}
	if err := json.Unmarshal(e.Model, m); err != nil {
		return nil, fmt.Errorf("%w: %s model: %w", ErrCorrupt, e.Kind, err)
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return m, nil
}
