package eval

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"signalcraft/core/shareddata"
)

// TestClassifyCWRU: the appliance's default classifier, held out one fault diameter at a
// time (docs/MODELS.md's folds), names the fault of recordings of a diameter it never heard.
func TestClassifyCWRU(t *testing.T) {
	if testing.Short() {
		t.Skip("trains three classifiers on real recordings")
	}
	dir := filepath.Dir(shareddata.Require(t, "cwru-12k-de-0hp", "labels.csv"))
	folds := 0
	rep, err := Classify(context.Background(), dir, ClassifyOptions{ClassColumn: "fault_location", GroupColumn: "fault_diameter_in", Seed: 11,
		Progress: func(done, total int) { folds = total }})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: accuracy %.3f, macro-F1 %.3f, %d unknown; classes %v confusion %v", rep.Split, rep.Accuracy, rep.MacroF1, rep.Unknown, rep.Classes, rep.Confusion)
	for _, f := range rep.Folds {
		t.Logf("held out %s: %d/%d windows, accuracy %.3f, macro-F1 %.3f, %d unknown", f.HeldOut, f.Train, f.Test, f.Accuracy, f.MacroF1, f.Unknown)
	}
	if len(rep.Folds) != 3 || folds != 3 || len(rep.Classes) != 4 || rep.Classes[2] != "none" && rep.Classes[2] != "normal" {
		t.Fatalf("folds %d, classes %v", len(rep.Folds), rep.Classes)
	}
	if rep.Accuracy < 0.85 || rep.MacroF1 < 0.85 {
		t.Errorf("accuracy %.3f, macro-F1 %.3f on held-out diameters; docs/MODELS.md measured ≥ 0.9", rep.Accuracy, rep.MacroF1)
	}
	n := 0
	for _, row := range rep.Confusion {
		for _, v := range row {
			n += v
		}
	}
	want := 0
	for _, f := range rep.Folds {
		want += f.Test
	}
	if n != want {
		t.Errorf("confusion matrix holds %d windows, the folds tested %d", n, want)
	}
}

func TestClassifyErrors(t *testing.T) {
	dir := filepath.Dir(shareddata.Require(t, "cwru-12k-de-0hp", "labels.csv"))
	_, err := Classify(context.Background(), dir, ClassifyOptions{GroupColumn: "diameter"})
	if !errors.Is(err, ErrDataset) || !strings.Contains(err.Error(), `no column "diameter"`) {
		t.Errorf("unknown group column: %v", err)
	}
	valve := filepath.Dir(shareddata.Require(t, "dcase2022-valve-sec00-source", "labels.csv"))
	_, err = Classify(context.Background(), valve, ClassifyOptions{})
	if !errors.Is(err, ErrDataset) || !strings.Contains(err.Error(), "give the shaft speed (--shaft-rpm) or an rpm column") {
		t.Errorf("no shaft speed: %v", err)
	}
}
