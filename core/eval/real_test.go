package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"signalcraft/core/shareddata"
)

// TestRealData runs the evaluation on the recordings in ../shared/data and asserts the
// acceptance targets: the best model beats the DCASE 2022 autoencoder baseline (AUC 0.543)
// on valve section 00 with AUC ≥ 0.70, and CWRU normal-vs-fault AUC ≥ 0.99.
func TestRealData(t *testing.T) {
	if testing.Short() {
		t.Skip("real-data evaluation skipped in -short mode")
	}
	valve := shareddata.Require(t, "dcase2022-valve-sec00-source", "labels.csv")
	cwru := shareddata.Require(t, "cwru-12k-de-0hp", "labels.csv")
	fan := shareddata.Require(t, "dcase2020-id00", "labels.csv")
	dirs := []string{strings.TrimSuffix(valve, "/labels.csv"), strings.TrimSuffix(cwru, "/labels.csv"), strings.TrimSuffix(fan, "/labels.csv")}
	var calls int
	rep, err := Run(context.Background(), dirs, Options{Progress: func(Progress) { calls++ }})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 100+11+76 {
		t.Errorf("%d progress calls, want one per file (187)", calls)
	}
	best := map[string]float64{}
	for _, r := range rep.Results {
		best[r.Dataset] = max(best[r.Dataset], r.AUC)
		t.Logf("%-30s %-12s AUC %.4f pAUC %.4f (%d normal, %d anomaly)", r.Dataset, r.Model, r.AUC, r.PAUC, r.NNormal, r.NAnomaly)
	}
	if len(rep.Results) != 9 {
		t.Fatalf("%d results, want 3 datasets × 3 models", len(rep.Results))
	}
	if b := best["dcase2022-valve-sec00-source"]; b < 0.70 {
		t.Errorf("valve best AUC %.4f < 0.70", b)
	}
	if b := best["cwru-12k-de-0hp"]; b < 0.99 {
		t.Errorf("CWRU best AUC %.4f < 0.99", b)
	}
	for _, r := range rep.Results {
		switch r.Dataset {
		case "dcase2022-valve-sec00-source":
			if r.NNormal != 25 || r.NAnomaly != 50 {
				t.Errorf("valve counts %d/%d", r.NNormal, r.NAnomaly)
			}
			if r.Model == "mahalanobis" && r.AUC < 0.95 { // regression guard: measured 0.974
				t.Errorf("valve mahalanobis AUC %.4f regressed below 0.95", r.AUC)
			}
		case "cwru-12k-de-0hp":
			// items one bearing-profile window long: the second half of the normal
			// recording and each of the 9 fault files (all about 10 s) give as many
			if r.NNormal < 5 || r.NAnomaly != 9*r.NNormal {
				t.Errorf("CWRU counts %d/%d", r.NNormal, r.NAnomaly)
			}
		case "dcase2020-id00":
			if r.NNormal != 25 || r.NAnomaly != 1 || r.Note == "" {
				t.Errorf("dcase2020 counts %d/%d note %q", r.NNormal, r.NAnomaly, r.Note)
			}
		}
	}
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "note: dcase2020-id00:") {
		t.Errorf("text report lacks the dcase2020 note:\n%s", buf.String())
	}
}

func TestReportFormats(t *testing.T) {
	rep := Report{Results: []Result{
		{Dataset: "valve", Model: "mahalanobis", AUC: 0.97, PAUC: 0.88, NNormal: 25, NAnomaly: 50},
		{Dataset: "fan-long-name", Model: "gmm", AUC: 0.5, PAUC: 0.5, NNormal: 3, NAnomaly: 1, Note: "tiny"},
	}}
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var generic map[string][]map[string]any
	if err := json.Unmarshal(buf.Bytes(), &generic); err != nil {
		t.Fatal(err)
	}
	keys := []string{"auc", "dataset", "model", "n_anomaly", "n_normal", "pauc"}
	for _, r := range generic["results"] {
		if len(r) != len(keys) {
			t.Errorf("JSON result has keys %v, want exactly %v", r, keys)
		}
		for _, k := range keys {
			if _, ok := r[k]; !ok {
				t.Errorf("JSON result lacks %q", k)
			}
		}
	}
	buf.Reset()
	if err := rep.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	if len(lines) != 4 || len(lines[0]) != len(lines[1]) || len(lines[1]) != len(lines[2]) {
		t.Errorf("table not aligned:\n%s", buf.String())
	}
	if lines[3] != "note: fan-long-name: tiny" {
		t.Errorf("note line %q", lines[3])
	}
}

func TestRunBadDir(t *testing.T) {
	dir := t.TempDir()
	_, err := Run(context.Background(), []string{dir}, Options{})
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("error %v does not name %s", err, dir)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	valve := shareddata.Require(t, "dcase2022-valve-sec00-source")
	if _, err := Run(ctx, []string{valve}, Options{}); err != context.Canceled {
		t.Errorf("cancelled run: %v", err)
	}
}
