package mlops

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"

	"signalcraft/core/diagnose"
	"signalcraft/core/wav"
)

// The fault classifier's part of the learning loop: a challenger classifier (core/diagnose)
// trained on the labelled recordings of a dataset version's training part, champion and
// challenger measured on the windows of its held-back part, and a gate.

// ErrTooFewLabels reports a training part with fewer than two labels: there is nothing to
// tell apart.
var ErrTooFewLabels = errors.New("mlops: a fault classifier needs recordings of two labels or more")

// MinMacroF1 is what a machine's first fault classifier must reach on the held-back windows
// to be promoted: half-way between chance for two labels and perfect.
const MinMacroF1 = 0.5

// MaxWindowsPerLabel bounds the training windows of one label: a machine's hours of normal
// learning sound beside a few fault clips would swamp them, and an SVM's training memory
// grows with the square of its windows (800 windows: 5 MB of kernel).
const MaxWindowsPerLabel = 200

// MaxTestWindowsPerLabel bounds the held-back windows of one label a classifier is scored on.
const MaxTestWindowsPerLabel = 250

// DiagnosisWindows cuts the labelled part of each clip (From–To) into fe's windows, one every half window, and returns their
// features labelled with the clip's label and grouped by the clip (a recording's windows stay
// on one side of any split). With perLabel > 0 at most that many windows of each label are
// kept, evenly spaced through the label's windows in clip order so every recording keeps its
// share, and only those are computed. A clip shorter than a window gives none; one at
// another sample rate is an error naming it. Each clip's features are computed under th.
func DiagnosisWindows(ctx context.Context, fe diagnose.FrontEnd, clips []Clip, perLabel int, th *Throttle) ([]diagnose.Example, error) {
	m := Machine{Rate: fe.Rate}
	n := fe.Samples()
	count := func(samples int) int {
		if samples < n {
			return 0
		}
		return (samples-n)/(n/2) + 1
	}
	// Which windows of each label to keep, by their index among the label's windows.
	keep := map[string]map[int]bool{}
	if perLabel > 0 {
		total := map[string]int{}
		for _, c := range clips {
			frames, err := wavFrames(c.Path)
			if err != nil {
				return nil, err
			}
			from, to := c.bounds(frames, fe.Rate)
			total[c.Label] += count(to - from)
		}
		for label, t := range total {
			if t <= perLabel {
				continue
			}
			keep[label] = map[int]bool{}
			for k := range perLabel {
				keep[label][k*t/perLabel] = true
			}
		}
	}
	seen := map[string]int{}
	var out []diagnose.Example
	for _, c := range clips {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		x, err := m.read(c.Path)
		if err != nil {
			return nil, err
		}
		from, to := c.bounds(len(x), fe.Rate)
		x = x[from:to]
		err = th.Do(func() error {
			for w := range count(len(x)) {
				i := seen[c.Label]
				seen[c.Label]++
				if k := keep[c.Label]; k != nil && !k[i] {
					continue
				}
				at := w * (n / 2)
				v, err := fe.Features(x[at : at+n])
				if err != nil {
					return fmt.Errorf("mlops: %s: %w", c.Path, err)
				}
				out = append(out, diagnose.Example{X: v, Label: c.Label, Group: c.Path})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ClassMetrics is a fault classifier's score on held-back windows. Confusion[i][j] counts
// windows of Classes[i] predicted as Classes[j]; its last column counts those answered
// "unknown", which are errors.
type ClassMetrics struct {
	Windows   int
	Accuracy  float64
	MacroF1   float64
	Unknown   int
	Classes   []string
	Confusion [][]int
}

// Labels returns how many labels the held-back windows hold.
func (c ClassMetrics) Labels() int {
	n := 0
	for _, row := range c.Confusion {
		total := 0
		for _, v := range row {
			total += v
		}
		if total > 0 {
			n++
		}
	}
	return n
}

// ScoreClassifier classifies test (features made with m's front end).
func ScoreClassifier(m *diagnose.Model, test []diagnose.Example) ClassMetrics {
	r := diagnose.Evaluate(m, test)
	return ClassMetrics{Windows: len(test), Accuracy: r.Accuracy, MacroF1: r.MacroF1, Unknown: r.Unknown,
		Classes: r.Classes, Confusion: r.Confusion}
}

// GateDiagnosis decides whether a challenger classifier replaces the champion (nil: the
// machine has none), both measured on the windows of the same held-back recordings:
//
//	held-back windows of two labels or more, or nothing can be judged;
//	no champion:  challenger macro-F1 ≥ MinMacroF1;
//	champion:     challenger macro-F1 ≥ champion's and accuracy ≥ champion's, one of them higher.
func GateDiagnosis(champion *ClassMetrics, challenger ClassMetrics) (promote bool, reason string) {
	if n := challenger.Labels(); n < 2 {
		return false, fmt.Sprintf("held-back windows of %d label(s): two or more are needed to judge a fault classifier", n)
	}
	chal := fmt.Sprintf("macro-F1 %.3f, accuracy %.3f on %d held-back windows", challenger.MacroF1, challenger.Accuracy, challenger.Windows)
	if champion == nil {
		if challenger.MacroF1 < MinMacroF1 {
			return false, fmt.Sprintf("first fault classifier too weak: %s (macro-F1 %.2f needed)", chal, MinMacroF1)
		}
		return true, "first fault classifier: " + chal
	}
	if champion.Windows != challenger.Windows {
		return false, fmt.Sprintf("not compared on the same windows (%d vs %d)", champion.Windows, challenger.Windows)
	}
	cmp := fmt.Sprintf("macro-F1 %.3f → %.3f, accuracy %.3f → %.3f on %d held-back windows",
		champion.MacroF1, challenger.MacroF1, champion.Accuracy, challenger.Accuracy, challenger.Windows)
	switch {
	case challenger.MacroF1 < champion.MacroF1:
		return false, "lower macro-F1: " + cmp
	case challenger.Accuracy < champion.Accuracy:
		return false, "lower accuracy: " + cmp
	case challenger.MacroF1 == champion.MacroF1 && challenger.Accuracy == champion.Accuracy:
		return false, "no better than the champion: " + cmp
	}
	return true, "better: " + cmp
}

// DiagnosisRun is a trained challenger classifier, its score and the champion's on the same
// held-back recordings, and the gate's decision.
type DiagnosisRun struct {
	Model        *diagnose.Model
	TrainWindows int
	Metrics      ClassMetrics
	Champion     *ClassMetrics // nil without a champion
	Promote      bool
	Reason       string
}

// TrainDiagnosis trains a challenger classifier with options o on the windows of train (fe's
// front end), scores it and the champion (nil: none; its front end is kept but for the shaft
// speed, which is fe's: the machine's current one) on the windows of test, and applies
// GateDiagnosis. Fewer than two labels in train is ErrTooFewLabels. The training itself runs
// under th as one piece (seconds for hundreds of windows, docs/MODELS.md).
func TrainDiagnosis(ctx context.Context, fe diagnose.FrontEnd, train, test []Clip, champion *diagnose.Model,
	o diagnose.Options, th *Throttle) (DiagnosisRun, error) {
	var labels []string
	for _, c := range train {
		if !slices.Contains(labels, c.Label) {
			labels = append(labels, c.Label)
		}
	}
	if len(labels) < 2 {
		return DiagnosisRun{}, fmt.Errorf("%w: the training part holds %v", ErrTooFewLabels, labels)
	}
	ex, err := DiagnosisWindows(ctx, fe, train, MaxWindowsPerLabel, th)
	if err != nil {
		return DiagnosisRun{}, err
	}
	var model *diagnose.Model
	if err := th.Do(func() (err error) {
		model, err = diagnose.Train(ctx, ex, fe, o)
		return err
	}); err != nil {
		return DiagnosisRun{}, err
	}
	run := DiagnosisRun{Model: model, TrainWindows: len(ex)}
	testEx, err := DiagnosisWindows(ctx, fe, test, MaxTestWindowsPerLabel, th)
	if err != nil {
		return DiagnosisRun{}, err
	}
	run.Metrics = ScoreClassifier(model, testEx)
	if champion != nil {
		cfe := champion.FrontEnd
		cfe.ShaftHz = fe.ShaftHz
		champTest := testEx
		if cfe != fe {
			if champTest, err = DiagnosisWindows(ctx, cfe, test, MaxTestWindowsPerLabel, th); err != nil {
				return DiagnosisRun{}, err
			}
		}
		c := *champion
		c.FrontEnd = cfe
		cm := ScoreClassifier(&c, champTest)
		run.Champion = &cm
	}
	run.Promote, run.Reason = GateDiagnosis(run.Champion, run.Metrics)
	return run, nil
}

// wavFrames reads how many frames a WAV file holds from its header.
func wavFrames(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("mlops: %w", err)
	}
	defer f.Close()
	r, err := wav.NewReader(bufio.NewReader(f))
	if err != nil {
		return 0, fmt.Errorf("mlops: %s: %w", path, err)
	}
	return int(r.Frames()), nil
}
