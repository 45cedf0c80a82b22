package eval

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"
)

// TestAUCGolden compares with scikit-learn's roc_auc_score (testdata/gen_auc.py).
func TestAUCGolden(t *testing.T) {
	b, err := os.ReadFile("testdata/auc_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Cases []struct {
			Name   string    `json:"name"`
			Labels []bool    `json:"labels"`
			Scores []float64 `json:"scores"`
			AUC    float64   `json:"auc"`
			PAUC10 float64   `json:"pauc10"`
			PAUC30 float64   `json:"pauc30"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Cases) < 5 {
		t.Fatalf("only %d golden cases", len(g.Cases))
	}
	for _, c := range g.Cases {
		t.Run(c.Name, func(t *testing.T) {
			for _, x := range []struct {
				maxFPR, want float64
			}{{1, c.AUC}, {0.1, c.PAUC10}, {0.3, c.PAUC30}} {
				var got float64
				var err error
				if x.maxFPR == 1 {
					got, err = AUC(c.Scores, c.Labels)
				} else {
					got, err = PAUC(c.Scores, c.Labels, x.maxFPR)
				}
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(got-x.want) > 1e-12 {
					t.Errorf("max_fpr %g: %.15g, sklearn %.15g", x.maxFPR, got, x.want)
				}
			}
		})
	}
}

func TestAUCErrors(t *testing.T) {
	if _, err := AUC([]float64{1, 2}, []bool{true, true}); !errors.Is(err, ErrOneClass) {
		t.Errorf("one class: %v", err)
	}
	if _, err := AUC([]float64{1}, []bool{true, false}); err == nil {
		t.Error("length mismatch accepted")
	}
	if _, err := PAUC([]float64{1, 2}, []bool{true, false}, 0); err == nil {
		t.Error("max_fpr 0 accepted")
	}
	if _, err := AUC([]float64{1, math.NaN()}, []bool{true, false}); err == nil {
		t.Error("NaN score accepted")
	}
}
