package eval

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"signalcraft/core/diagnose"
)

// Classification evaluation: how well a fault classifier (core/diagnose) names faults on
// recordings it never trained on. Splits are leakage-free: a recording's windows are never on
// both sides of a fold.

// ClassifyOptions configures Classify. Zero values select the defaults in brackets.
type ClassifyOptions struct {
	// ClassColumn of labels.csv holds a fault row's class ["label"]; rows that are not
	// anomalies or faults are class "normal" whatever it says.
	ClassColumn string
	// GroupColumn holds what must not leak between training and test (a CWRU fault diameter,
	// a machine id): each value is held out once. Rows without a value are cut in time —
	// first half trains, second half tests, in every fold. Empty: the recordings are dealt
	// into Folds folds by file order, each recording whole on one side.
	GroupColumn string
	Folds       int     // folds without a GroupColumn [5]
	ShaftRPM    float64 // shaft speed; 0 reads each row's "rpm" column
	Kind        string  // classifier: svm, rf, rf+svm ["svm", the appliance's default]
	Seed        uint64
	// Progress, when set, is called after each fold with the folds done and their count.
	Progress func(done, total int)
}

// ClassifyFold is one fold: what was held out and how the classifier did on it.
type ClassifyFold struct {
	HeldOut   string        `json:"held_out"`
	Train     int           `json:"train_windows"`
	Test      int           `json:"test_windows"`
	Accuracy  float64       `json:"accuracy"`
	MacroF1   float64       `json:"macro_f1"`
	Unknown   int           `json:"unknown"`
	TrainTime time.Duration `json:"train_ns"`
}

// ClassifyReport is Classify's result. Accuracy and MacroF1 are over every fold's test
// windows pooled; Confusion[i][j] counts windows of Classes[i] predicted Classes[j], its last
// column "unknown" (an error, as on the appliance, which says "unknown" below the
// classifier's calibrated confidence).
type ClassifyReport struct {
	Dataset   string         `json:"dataset"`
	Kind      string         `json:"kind"`
	Split     string         `json:"split"`
	Classes   []string       `json:"classes"`
	Folds     []ClassifyFold `json:"folds"`
	Accuracy  float64        `json:"accuracy"`
	MacroF1   float64        `json:"macro_f1"`
	Unknown   int            `json:"unknown"`
	Confusion [][]int        `json:"confusion"`
}

// classRec is one recording's windows, or one half of a recording cut in time.
type classRec struct {
	file, class, group string
	half               int // 0 whole, 1 first half (trains), 2 second half (tests)
	ex                 []diagnose.Example
}

// Classify trains and scores a fault classifier on dir's labelled recordings (a labels.csv
// folder as Load reads: WAV or CWRU MAT files) fold by fold, with the appliance's front end
// (diagnose.FrontEnd: 1-s windows every half window, features in orders of the shaft speed)
// and training (diagnose.Train, its calibrated "unknown" included).
func Classify(ctx context.Context, dir string, o ClassifyOptions) (ClassifyReport, error) {
	if o.ClassColumn == "" {
		o.ClassColumn = "label"
	}
	if o.Folds <= 1 {
		o.Folds = 5
	}
	if o.Kind == "" {
		o.Kind = diagnose.KindSVM
	}
	cols, rows, err := ReadLabels(dir)
	if err != nil {
		return ClassifyReport{}, err
	}
	for _, c := range []string{o.ClassColumn, o.GroupColumn} {
		if c != "" && !slices.Contains(cols, c) {
			return ClassifyReport{}, fmt.Errorf("%w: %s/labels.csv has no column %q (columns: %v)", ErrDataset, dir, c, cols)
		}
	}
	var recs []classRec
	rate := 0
	for i, row := range rows {
		if err := ctx.Err(); err != nil {
			return ClassifyReport{}, err
		}
		class := "normal"
		if row.Anomaly {
			if class = row.Fields[o.ClassColumn]; class == "" {
				return ClassifyReport{}, fmt.Errorf("%w: %s/labels.csv line %d: empty %s", ErrDataset, dir, row.Line, o.ClassColumn)
			}
		}
		rpm := o.ShaftRPM
		if rpm == 0 {
			if rpm, err = strconv.ParseFloat(row.Fields["rpm"], 64); err != nil || rpm <= 0 {
				return ClassifyReport{}, fmt.Errorf("%w: %s/labels.csv line %d: rpm %q: give the shaft speed (--shaft-rpm) or an rpm column",
					ErrDataset, dir, row.Line, row.Fields["rpm"])
			}
		}
		sig, err := readSignal(Clip{Path: row.Path, Var: row.Fields["de_variable"]})
		if err != nil {
			return ClassifyReport{}, err
		}
		if rate == 0 {
			rate = sig.rate
		} else if sig.rate != rate {
			return ClassifyReport{}, fmt.Errorf("%w: %s: %d Hz, the other recordings %d Hz", ErrDataset, row.Path, sig.rate, rate)
		}
		fe := diagnose.FrontEnd{Rate: sig.rate, ShaftHz: rpm / 60}
		group := ""
		switch {
		case o.GroupColumn != "":
			group = row.Fields[o.GroupColumn]
		default:
			group = fmt.Sprintf("fold %d", i%o.Folds+1)
		}
		windows := func(x []float32) ([]diagnose.Example, error) {
			var out []diagnose.Example
			n := fe.Samples()
			for at := 0; at+n <= len(x); at += n / 2 {
				v, err := fe.Features(x[at : at+n])
				if err != nil {
					return nil, fmt.Errorf("%s: %w", row.Path, err)
				}
				out = append(out, diagnose.Example{X: v, Label: class, Group: row.File})
			}
			return out, nil
		}
		parts := [][]float32{sig.x}
		if group == "" {
			h := len(sig.x) / 2
			parts = [][]float32{sig.x[:h], sig.x[h:]}
		}
		for k, x := range parts {
			ex, err := windows(x)
			if err != nil {
				return ClassifyReport{}, err
			}
			half := 0
			if len(parts) == 2 {
				half = k + 1
			}
			recs = append(recs, classRec{file: row.File, class: class, group: group, half: half, ex: ex})
		}
	}
	var groups []string
	for _, r := range recs {
		if r.group != "" && !slices.Contains(groups, r.group) {
			groups = append(groups, r.group)
		}
	}
	if len(groups) < 2 {
		return ClassifyReport{}, fmt.Errorf("%w: %s: %d group(s) to hold out; two or more are needed", ErrDataset, dir, len(groups))
	}
	rep := ClassifyReport{Dataset: dir, Kind: o.Kind}
	if o.GroupColumn != "" {
		rep.Split = fmt.Sprintf("leave one %s out (%d folds); recordings without one: first half trains, second half tests", o.GroupColumn, len(groups))
	} else {
		rep.Split = fmt.Sprintf("%d folds of whole recordings, dealt by file order", len(groups))
	}
	var truth, preds []string
	var classes []string
	for _, r := range recs {
		if !slices.Contains(classes, r.class) {
			classes = append(classes, r.class)
		}
	}
	slices.Sort(classes)
	for fi, g := range groups {
		var train, test []diagnose.Example
		for _, r := range recs {
			switch {
			case r.half == 1 || (r.group != "" && r.group != g):
				train = append(train, r.ex...)
			case r.half == 2 || r.group == g:
				test = append(test, r.ex...)
			}
		}
		fe := diagnose.FrontEnd{Rate: rate, ShaftHz: 1} // features are computed; the model keeps no speed of use here
		m, err := diagnose.Train(ctx, train, fe, diagnose.Options{Kind: o.Kind, Seed: o.Seed})
		if err != nil {
			return ClassifyReport{}, fmt.Errorf("fold %q: %w", g, err)
		}
		var foldTruth, foldPreds []string
		for _, e := range test {
			foldTruth = append(foldTruth, e.Label)
			foldPreds = append(foldPreds, m.PredictFeatures(e.X).Label)
		}
		fr := diagnose.Score(m.Classes(), foldTruth, foldPreds)
		rep.Folds = append(rep.Folds, ClassifyFold{HeldOut: g, Train: len(train), Test: len(test), Accuracy: fr.Accuracy,
			MacroF1: fr.MacroF1, Unknown: fr.Unknown, TrainTime: m.TrainTime})
		truth, preds = append(truth, foldTruth...), append(preds, foldPreds...)
		if o.Progress != nil {
			o.Progress(fi+1, len(groups))
		}
	}
	r := diagnose.Score(classes, truth, preds)
	rep.Classes, rep.Confusion, rep.Accuracy, rep.MacroF1, rep.Unknown = r.Classes, r.Confusion, r.Accuracy, r.MacroF1, r.Unknown
	return rep, nil
}
