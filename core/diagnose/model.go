package diagnose

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// Model kinds.
const (
	KindRF       = "rf"     // Random Forest
	KindSVM      = "svm"    // RBF-SVM, one-vs-rest, Platt probabilities
	KindEnsemble = "rf+svm" // soft vote: mean of the two models' probabilities
)

// ErrFormat reports bytes that are not a serialised Model.
var ErrFormat = errors.New("diagnose: not a model")

// Example is one labelled feature vector. Group names the recording it was cut from, so
// calibration (and any split) keeps windows of one recording on one side.
type Example struct {
	X     []float64
	Label string
	Group string
}

// Prediction is a classification of one window. Label is [Unknown] when Confidence (the
// largest class probability) is below the model's MinConfidence; Probs always holds every
// class's probability.
type Prediction struct {
	Label      string
	Confidence float64
	Probs      map[string]float64
}

// Options configures Train. Zero values select the defaults in brackets.
type Options struct {
	Kind        string  // "rf", "svm" or "rf+svm" ["rf+svm"]
	Seed        uint64  // every random choice derives from it
	Trees       int     // RF trees [100]
	MaxFeatures int     // RF candidate features per split [⌊√d⌋, as scikit-learn's "sqrt"]
	MinLeaf     int     // RF minimum samples per leaf [1]
	MaxDepth    int     // RF depth limit [none]
	Workers     int     // RF goroutines [2, the appliance's cores]
	C           float64 // SVM box constraint [10]
	Gamma       float64 // RBF γ on standardised features [1/d, scikit-learn's "scale"]

	// MinConfidence below which predictions are Unknown. 0 calibrates it (see Train);
	// a negative value disables the rule.
	MinConfidence float64
	// CalibrationFolds for calibrating MinConfidence [3].
	CalibrationFolds int
}

func (o Options) withDefaults(d int) (Options, error) {
	if o.Kind == "" {
		o.Kind = KindEnsemble
	}
	switch o.Kind {
	case KindRF, KindSVM, KindEnsemble:
	default:
		return o, fmt.Errorf("%w: kind %q (want rf, svm or rf+svm)", ErrConfig, o.Kind)
	}
	if o.Trees <= 0 {
		o.Trees = 100
	}
	if o.MaxFeatures <= 0 {
		o.MaxFeatures = max(1, int(math.Sqrt(float64(d))))
	}
	o.MaxFeatures = min(o.MaxFeatures, d)
	if o.MinLeaf <= 0 {
		o.MinLeaf = 1
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.C <= 0 {
		o.C = 10
	}
	if o.CalibrationFolds <= 1 {
		o.CalibrationFolds = 3
	}
	return o, nil
}

// Calibration records how MinConfidence was chosen, from held-out predictions.
type Calibration struct {
	HeldOut      int     // held-out predictions made
	Accuracy     float64 // their accuracy
	UnknownRate  float64 // share turned Unknown by MinConfidence
	WrongCaught  float64 // share of the wrong ones turned Unknown
	RightRefused float64 // share of the right ones turned Unknown
}

// Model is a trained classifier with its front end. Fields are read-only after Train, and
// Predict and PredictFeatures are safe for concurrent use. The features are normalised by
// shaft speed, so a model trained at one speed may be used on a machine running at another:
// copy the Model and set FrontEnd.ShaftHz to that machine's speed (rpm/60).
type Model struct {
	Kind          string
	FrontEnd      FrontEnd
	MinConfidence float64
	Calibration   Calibration
	TrainTime     time.Duration // whole Train call, calibration included
	FitTime       time.Duration // the final fit alone (what scikit-learn's fit measures)
	Features      []string      // front-end feature names at training time
	NFeatures     int           // length of the feature vectors it was trained on

	classes []string
	rf      *forest
	svm     *svm
}

// Classes returns the class labels, sorted; probabilities are indexed in this order.
func (m *Model) Classes() []string { return slices.Clone(m.classes) }

// Train fits a model of kind o.Kind on ex, whose X were made by fe.Features.
//
// With o.MinConfidence 0, the threshold is calibrated on held-out predictions: the examples
// are split into o.CalibrationFolds folds by Group within each class (a class with fewer
// than two groups has its recording cut into contiguous chunks instead, the only split one
// recording allows), a model of the same kind is trained on each complement, and
// MinConfidence is set to the 5th percentile of the confidence of the correct held-out
// predictions (clamped to [1/classes, 0.9]): at most about 5 % of right answers on unseen
// recordings turn Unknown, and wrong answers less confident than that do too.
func Train(ctx context.Context, ex []Example, fe FrontEnd, o Options) (*Model, error) {
	start := time.Now()
	if len(ex) < 2 {
		return nil, fmt.Errorf("%w: %d examples", ErrConfig, len(ex))
	}
	d := len(ex[0].X)
	for i, e := range ex {
		if len(e.X) != d {
			return nil, fmt.Errorf("%w: example %d has %d features, want %d", ErrConfig, i, len(e.X), d)
		}
		if e.Label == "" || e.Label == Unknown {
			return nil, fmt.Errorf("%w: example %d label %q", ErrConfig, i, e.Label)
		}
	}
	o, err := o.withDefaults(d)
	if err != nil {
		return nil, err
	}
	m := &Model{Kind: o.Kind, FrontEnd: fe, Features: fe.Names()}
	for _, e := range ex {
		if !slices.Contains(m.classes, e.Label) {
			m.classes = append(m.classes, e.Label)
		}
	}
	slices.Sort(m.classes)
	if len(m.classes) < 2 {
		return nil, fmt.Errorf("%w: only one class %q", ErrConfig, m.classes[0])
	}

	fitStart := time.Now()
	if err := m.fit(ctx, ex, o); err != nil {
		return nil, err
	}
	m.FitTime = time.Since(fitStart)

	switch {
	case o.MinConfidence > 0:
		m.MinConfidence = o.MinConfidence
	case o.MinConfidence < 0:
		m.MinConfidence = 0
	default:
		if err := m.calibrate(ctx, ex, o); err != nil {
			return nil, err
		}
	}
	m.TrainTime = time.Since(start)
	return m, nil
}

func (m *Model) fit(ctx context.Context, ex []Example, o Options) error {
	X := make([][]float64, len(ex))
	y := make([]int, len(ex))
	for i, e := range ex {
		X[i] = e.X
		y[i] = slices.Index(m.classes, e.Label)
	}
	k := len(m.classes)
	m.NFeatures = len(X[0])
	var err error
	if o.Kind != KindSVM {
		m.rf, err = trainForest(ctx, X, y, k, forestParams{Trees: o.Trees, MaxFeatures: o.MaxFeatures,
			MinLeaf: o.MinLeaf, MaxDepth: o.MaxDepth, Workers: o.Workers, Seed: o.Seed})
		if err != nil {
			return err
		}
	}
	if o.Kind != KindRF {
		m.svm, err = trainSVM(ctx, X, y, k, svmParams{C: o.C, Gamma: o.Gamma, Seed: o.Seed})
	}
	return err
}

// calibrationFolds assigns each example a fold, by group within each class.
func calibrationFolds(ex []Example, k int) []int {
	fold := make([]int, len(ex))
	byClass := map[string][]string{} // class → groups in order of appearance
	members := map[[2]string][]int{}
	for i, e := range ex {
		key := [2]string{e.Label, e.Group}
		if _, ok := members[key]; !ok {
			byClass[e.Label] = append(byClass[e.Label], e.Group)
		}
		members[key] = append(members[key], i)
	}
	for class, groups := range byClass {
		for gi, g := range groups {
			idx := members[[2]string{class, g}]
			for j, i := range idx {
				if len(groups) >= 2 {
					fold[i] = gi % k
				} else {
					fold[i] = (j*k/len(idx) + gi) % k
				}
			}
		}
	}
	return fold
}

func (m *Model) calibrate(ctx context.Context, ex []Example, o Options) error {
	fold := calibrationFolds(ex, o.CalibrationFolds)
	var right, wrong []float64
	for f := range o.CalibrationFolds {
		var tr, te []Example
		for i, e := range ex {
			if fold[i] == f {
				te = append(te, e)
			} else {
				tr = append(tr, e)
			}
		}
		if len(te) == 0 || len(tr) == 0 {
			continue
		}
		sub := &Model{Kind: m.Kind, classes: m.classes}
		oo := o
		oo.Seed = o.Seed + uint64(f) + 1
		if err := sub.fit(ctx, tr, oo); err != nil {
			return err
		}
		for _, e := range te {
			p := sub.PredictFeatures(e.X)
			if p.Label == e.Label {
				right = append(right, p.Confidence)
			} else {
				wrong = append(wrong, p.Confidence)
			}
		}
	}
	k := float64(len(m.classes))
	m.MinConfidence = 1 / k
	if len(right) > 0 {
		slices.Sort(right)
		m.MinConfidence = min(max(right[int(0.05*float64(len(right)))], 1/k), 0.9)
	}
	c := Calibration{HeldOut: len(right) + len(wrong)}
	if c.HeldOut == 0 {
		m.Calibration = c
		return nil
	}
	var rr, wc int
	for _, v := range right {
		if v < m.MinConfidence {
			rr++
		}
	}
	for _, v := range wrong {
		if v < m.MinConfidence {
			wc++
		}
	}
	c.Accuracy = float64(len(right)) / float64(c.HeldOut)
	c.UnknownRate = float64(rr+wc) / float64(c.HeldOut)
	if len(wrong) > 0 {
		c.WrongCaught = float64(wc) / float64(len(wrong))
	}
	if len(right) > 0 {
		c.RightRefused = float64(rr) / float64(len(right))
	}
	m.Calibration = c
	return nil
}

// Predict computes the features of one window and classifies them.
func (m *Model) Predict(x []float32) (Prediction, error) {
	v, err := m.FrontEnd.Features(x)
	if err != nil {
		return Prediction{}, err
	}
	return m.PredictFeatures(v), nil
}

// PredictFeatures classifies a feature vector made by the model's front end. A vector of the
// wrong length gives Unknown with zero confidence.
func (m *Model) PredictFeatures(v []float64) Prediction {
	p := m.proba(v)
	pr := Prediction{Label: Unknown, Probs: make(map[string]float64, len(m.classes))}
	if p == nil {
		return pr
	}
	best := 0
	for c, q := range p {
		pr.Probs[m.classes[c]] = q
		if q > p[best] {
			best = c
		}
	}
	pr.Confidence = p[best]
	if pr.Confidence >= m.MinConfidence {
		pr.Label = m.classes[best]
	}
	return pr
}

func (m *Model) proba(v []float64) []float64 {
	if len(v) != m.NFeatures {
		return nil
	}
	switch {
	case m.rf != nil && m.svm != nil:
		a, b := m.rf.proba(v), m.svm.proba(v)
		for c := range a {
			a[c] = (a[c] + b[c]) / 2
		}
		return a
	case m.svm != nil:
		return m.svm.proba(v)
	case m.rf != nil:
		return m.rf.proba(v)
	}
	return nil
}

// wireModel is the serialised form; bump wireVersion on any change.
type wireModel struct {
	Version       int
	Kind          string
	FrontEnd      FrontEnd
	MinConfidence float64
	Calibration   Calibration
	TrainTime     time.Duration
	FitTime       time.Duration
	Features      []string
	NFeatures     int
	Classes       []string
	RF            *forest
	SVM           *svm
}

const wireVersion = 1

var magic = []byte("SCDIAG1\n")

// MarshalBinary serialises the model (gob after a magic header).
func (m *Model) MarshalBinary() ([]byte, error) {
	var buf bytes.Buffer
	buf.Write(magic)
	err := gob.NewEncoder(&buf).Encode(wireModel{Version: wireVersion, Kind: m.Kind, FrontEnd: m.FrontEnd,
		MinConfidence: m.MinConfidence, Calibration: m.Calibration, TrainTime: m.TrainTime,
		FitTime: m.FitTime, Features: m.Features, NFeatures: m.NFeatures, Classes: m.classes, RF: m.rf, SVM: m.svm})
	if err != nil {
		return nil, fmt.Errorf("encode model: %w", err)
	}
	return buf.Bytes(), nil
}

// Unmarshal restores a model written by MarshalBinary.
func Unmarshal(b []byte) (*Model, error) {
	if !bytes.HasPrefix(b, magic) {
		return nil, ErrFormat
	}
	var w wireModel
	if err := gob.NewDecoder(bytes.NewReader(b[len(magic):])).Decode(&w); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if w.Version != wireVersion {
		return nil, fmt.Errorf("%w: version %d (want %d)", ErrFormat, w.Version, wireVersion)
	}
	if len(w.Classes) < 2 || (w.RF == nil && w.SVM == nil) {
		return nil, fmt.Errorf("%w: no classifier", ErrFormat)
	}
	return &Model{Kind: w.Kind, FrontEnd: w.FrontEnd, MinConfidence: w.MinConfidence,
		Calibration: w.Calibration, TrainTime: w.TrainTime, FitTime: w.FitTime,
		Features: w.Features, NFeatures: w.NFeatures, classes: w.Classes, rf: w.RF, svm: w.SVM}, nil
}
