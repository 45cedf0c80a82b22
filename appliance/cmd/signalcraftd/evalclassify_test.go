package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"signalcraft/core/eval"
	"signalcraft/core/shareddata"
)

// TestEvalClassify: the classification task on CWRU, held out by fault diameter, as text and
// JSON; bad arguments are usage errors that say what is wrong.
func TestEvalClassify(t *testing.T) {
	if testing.Short() {
		t.Skip("trains classifiers on real recordings")
	}
	dir := filepath.Dir(shareddata.Require(t, "cwru-12k-de-0hp", "labels.csv"))
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"eval", "classify", dir, "--class", "fault_location", "--group", "fault_diameter_in", "--seed", "11"}, &out, &errb)
	if err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	for _, want := range []string{"leave one fault_diameter_in out (3 folds)", "HELD OUT  TRAIN  TEST  ACCURACY", "0.014     133    76",
		"all folds: accuracy 0.9", "confusion (rows: true, columns: predicted, windows)", "outer_race@6"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := run(context.Background(), []string{"eval", "classify", "--json", "--kind", "rf", "--class", "fault_location", "--group", "fault_diameter_in", dir}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	var rep eval.ClassifyReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || rep.Kind != "rf" || len(rep.Folds) != 3 || len(rep.Confusion) != 4 {
		t.Fatalf("JSON report %+v, %v", rep, err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"eval", "classify"}, "one DIR is needed"},
		{[]string{"eval", "classify", dir, "--kind", "cnn"}, `--kind "cnn"`},
		{[]string{"eval", "classify", dir, "--group", "diameter"}, `no column "diameter"`},
	} {
		err := run(context.Background(), tt.args, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want %q", tt.args, err, tt.want)
		}
	}
}
