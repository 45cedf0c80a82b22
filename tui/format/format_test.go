package format

import (
	"testing"

	"signalcraft/core/api"
)

func TestCount(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{{0, "0 machines"}, {1, "1 machine"}, {2, "2 machines"}}
	for _, tt := range tests {
		if got := Count(tt.n, "machine", "machines"); got != tt.want {
			t.Errorf("Count(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestScore(t *testing.T) {
	for _, tt := range []struct {
		score, thr float64
		want       string
	}{{4.87, 3.4, "1.43×"}, {1.1, 0, "—"}} {
		if got := Score(tt.score, tt.thr); got != tt.want {
			t.Errorf("Score(%v, %v) = %q, want %q", tt.score, tt.thr, got, tt.want)
		}
	}
}

func TestDiagnosis(t *testing.T) {
	d := &api.Diagnosis{Label: "bearing_outer_race", Confidence: 0.87, Model: "rf+svm v3",
		Probs: map[string]float64{"bearing_outer_race": 0.87, "bearing_inner_race": 0.1, "normal": 0.03}}
	if got, want := Diagnosis(d, 2), "bearing outer race 87 % · bearing inner race 10 % · normal 3 %"; got != want {
		t.Errorf("Diagnosis = %q, want %q", got, want)
	}
	u := &api.Diagnosis{Label: api.DiagnosisUnknown, Confidence: 0.41, Probs: map[string]float64{"bearing_ball": 0.41, "normal": 0.39, "imbalance": 0.2}}
	if got, want := Diagnosis(u, 1), "unknown (best guess bearing ball 41 %) · normal 39 %"; got != want {
		t.Errorf("Diagnosis = %q, want %q", got, want)
	}
	if Diagnosis(nil, 2) != "" {
		t.Error("no diagnosis renders as text")
	}
}
