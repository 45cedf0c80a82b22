package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"signalcraft/core/eval"
)

// runEval scores labelled recordings and prints AUC and pAUC per dataset and model.
func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	// `eval streams` builds test streams (streams.go); a data directory named "streams"
	// is still reachable as ./streams.
	if len(args) > 0 && args[0] == "streams" {
		return runEvalStreams(ctx, args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("signalcraftd eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: signalcraftd eval [--json] DIR...\n\nEach DIR holds WAV or CWRU .mat files and a labels.csv (see ../shared/data/README.md).")
		fs.PrintDefaults()
	}
	asJSON := fs.Bool("json", false, "print the results as JSON")
	quiet := fs.Bool("quiet", false, "do not show progress on stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return usageError{fmt.Errorf("eval: at least one DIR is needed")}
	}
	opts := eval.Options{}
	if !*quiet && isTerminal(stderr) {
		opts.Progress = func(p eval.Progress) {
			fmt.Fprintf(stderr, "\rextracting features: %-32s %4d/%-4d", p.Dataset, p.Done, p.Total)
			if p.Done == p.Total {
				fmt.Fprintln(stderr)
			}
		}
	}
	rep, err := eval.Run(ctx, fs.Args(), opts)
	if err != nil {
		return err
	}
	if *asJSON {
		return rep.WriteJSON(stdout)
	}
	return rep.WriteText(stdout)
}
