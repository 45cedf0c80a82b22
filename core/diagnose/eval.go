package diagnose

import (
	"slices"
	"time"
)

// Report is a classification evaluation. Confusion[i][j] counts examples of class Classes[i]
// predicted as Classes[j]; the last column (index len(Classes)) counts those predicted
// Unknown, which count as errors in Accuracy and MacroF1. TrainTime is the model's,
// PredictTime the mean time of PredictFeatures per example (the classifier alone; the front
// end is measured by the benchmarks), ModelBytes the size of MarshalBinary's output.
type Report struct {
	Accuracy, MacroF1      float64
	Confusion              [][]int
	Classes                []string
	TrainTime, PredictTime time.Duration
	ModelBytes             int
	Unknown                int // predictions below MinConfidence
}

// Evaluate classifies every test example and scores the predictions. Test labels the model
// does not know count as errors and appear as extra rows.
func Evaluate(m *Model, test []Example) Report {
	truth, preds := make([]string, len(test)), make([]string, len(test))
	start := time.Now()
	for i, e := range test {
		truth[i], preds[i] = e.Label, m.PredictFeatures(e.X).Label
	}
	r := Score(m.Classes(), truth, preds)
	if len(test) > 0 {
		r.PredictTime = time.Since(start) / time.Duration(len(test))
	}
	r.TrainTime = m.TrainTime
	if b, err := m.MarshalBinary(); err == nil {
		r.ModelBytes = len(b)
	}
	return r
}

// Score tallies predictions (Unknown among them) against the true labels: Classes are
// classes followed by the true labels it lacks, Confusion as in Report, Accuracy and
// MacroF1 (the mean F1 of the classes that occur) with Unknown counted wrong.
func Score(classes, truth, preds []string) Report {
	r := Report{Classes: slices.Clone(classes)}
	for _, l := range truth {
		if !slices.Contains(r.Classes, l) {
			r.Classes = append(r.Classes, l)
		}
	}
	k := len(r.Classes)
	r.Confusion = make([][]int, k)
	for i := range r.Confusion {
		r.Confusion[i] = make([]int, k+1)
	}
	correct := 0
	for n, l := range truth {
		i := slices.Index(r.Classes, l)
		j := slices.Index(r.Classes, preds[n])
		if preds[n] == Unknown || j < 0 {
			j = k
			r.Unknown++
		}
		r.Confusion[i][j]++
		if i == j {
			correct++
		}
	}
	if len(truth) > 0 {
		r.Accuracy = float64(correct) / float64(len(truth))
	}
	var f1s float64
	n := 0
	for c := range k {
		var tp, fp, fn int
		for j := range k + 1 {
			if j == c {
				tp = r.Confusion[c][c]
			} else {
				fn += r.Confusion[c][j]
			}
			if j < k && j != c {
				fp += r.Confusion[j][c]
			}
		}
		if tp+fp+fn == 0 {
			continue
		}
		n++
		f1s += 2 * float64(tp) / float64(2*tp+fp+fn)
	}
	if n > 0 {
		r.MacroF1 = f1s / float64(n)
	}
	return r
}
