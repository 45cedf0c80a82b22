package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"signalcraft/core/eval"
	"signalcraft/core/machine"
)

const evalClassifyUsage = `Usage:
  signalcraftd eval classify DIR [--class COLUMN] [--group COLUMN] [--shaft-rpm N]
                                 [--kind svm|rf|rf+svm] [--seed S] [--json]
      How well a fault classifier names faults on recordings it never trained on: accuracy,
      macro-F1 and the confusion matrix over leakage-free folds. DIR holds WAV or CWRU .mat
      files and a labels.csv; --class names the column of a fault's type (rows that are not
      faults are "normal"), --group the column that must not leak (each value held out once;
      rows without one are cut in time: first half trains, second half tests). Without
      --group the recordings are dealt into 5 folds, each whole on one side. The classifier,
      its front end and its calibrated "unknown" are the appliance's (unknown counts wrong).
      E.g. CWRU: eval classify ../shared/data/cwru-12k-de-0hp --class fault_location --group fault_diameter_in
`

func runEvalClassify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("signalcraftd eval classify", args, stdout, stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), evalClassifyUsage+"\nFlags:\n")
		fs.PrintDefaults()
	}
	class := fs.String("class", "label", "labels.csv column holding a fault's type")
	group := fs.String("group", "", "labels.csv column whose values are held out one at a time")
	rpm := fs.Float64("shaft-rpm", 0, "shaft speed in rpm (default: each row's rpm column)")
	kind := fs.String("kind", machine.DiagnosisModels[0], "classifier: "+strings.Join(machine.DiagnosisModels, ", "))
	seed := fs.Uint64("seed", 1, "seed of every random choice")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	switch {
	case fs.NArg() != 1:
		fs.Usage()
		return usageError{fmt.Errorf("eval classify: one DIR is needed (got %d)", fs.NArg())}
	case !slices.Contains(machine.DiagnosisModels, *kind):
		return usageError{fmt.Errorf("eval classify: --kind %q: want one of %s", *kind, strings.Join(machine.DiagnosisModels, ", "))}
	case *rpm < 0 || *rpm > machine.MaxShaftRPM:
		return usageError{fmt.Errorf("eval classify: --shaft-rpm %v: want the shaft's speed, e.g. 1797", *rpm)}
	}
	o := eval.ClassifyOptions{ClassColumn: *class, GroupColumn: *group, ShaftRPM: *rpm, Kind: *kind, Seed: *seed}
	if !*asJSON && isTerminal(stderr) {
		o.Progress = func(done, total int) { fmt.Fprintf(stderr, "\rtraining and testing: fold %d of %d", done, total) }
		defer fmt.Fprintln(stderr)
	}
	rep, err := eval.Classify(ctx, fs.Arg(0), o)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	writeClassifyReport(stdout, rep)
	return nil
}

func writeClassifyReport(w io.Writer, rep eval.ClassifyReport) {
	fmt.Fprintf(w, "%s — %s classifier\nsplit: %s\n\n", rep.Dataset, rep.Kind, rep.Split)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "HELD OUT\tTRAIN\tTEST\tACCURACY\tMACRO-F1\tUNKNOWN\tTRAINING")
	for _, f := range rep.Folds {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.3f\t%.3f\t%d\t%v\n", f.HeldOut, f.Train, f.Test, f.Accuracy, f.MacroF1, f.Unknown,
			f.TrainTime.Round(time.Millisecond))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nall folds: accuracy %.3f, macro-F1 %.3f, %d unknown\n\nconfusion (rows: true, columns: predicted, windows)\n",
		rep.Accuracy, rep.MacroF1, rep.Unknown)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\t"+strings.Join(rep.Classes, "\t")+"\tunknown\t")
	for i, c := range rep.Classes {
		cells := make([]string, len(rep.Confusion[i]))
		for j, v := range rep.Confusion[i] {
			cells[j] = fmt.Sprint(v)
		}
		fmt.Fprintln(tw, c+"\t"+strings.Join(cells, "\t")+"\t")
	}
	tw.Flush()
}
