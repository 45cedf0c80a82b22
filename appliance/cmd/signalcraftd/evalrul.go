package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"signalcraft/core/health"
	"signalcraft/core/health/runtofail"
)

const evalRULUsage = `Usage: signalcraftd eval rul [--femto FILE.tar.gz] [--ims FILE.csv] [--seed N] [--json]

Failure prediction on run-to-failure recordings: replays each recording's health indicator
(RMS) through the health monitor of signalcraft/core/health — healthy baseline, CUSUM alarm
("degradation started"), Bayesian exponential degradation model — and reports the alarm's
lead time before the end of life and the remaining-useful-life estimate with its 5–95 %
interval at 10 checkpoints (60 %, 64 %, … 96 % of life), scored with the IEEE PHM 2012
challenge's scoring function. Nothing after a checkpoint is seen before its estimate.

  --femto  a FEMTO PRONOSTIA bearing's tar.gz of acc_*.csv (e.g. ../shared/data/
           femto-bearing1_1/Learning_set_Bearing1_1.tar.gz), read directly
  --ims    the IMS 2nd test's averaged CSV (e.g. ../shared/data/ims-2nd-test-averaged/
           Averaged_BearingTest_Dataset.csv); bearing 1 is evaluated

`

// runEvalRUL evaluates the health monitor's alarm and RUL estimates on run-to-failure data.
func runEvalRUL(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("signalcraftd eval rul", args, stdout, stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), evalRULUsage)
		fs.PrintDefaults()
	}
	femto := fs.String("femto", "", "FEMTO PRONOSTIA tar.gz of acc_*.csv")
	ims := fs.String("ims", "", "IMS 2nd test averaged CSV (bearing 1)")
	seed := fs.Uint64("seed", health.DefaultConfig().Seed, "seed of the RUL model's posterior draws")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("eval rul: unexpected arguments %q (give files with --femto and --ims)", fs.Args())}
	}
	if *femto == "" && *ims == "" {
		fs.Usage()
		return usageError{errors.New("eval rul: give --femto FILE.tar.gz, --ims FILE.csv or both")}
	}
	cfg := health.DefaultConfig()
	cfg.Seed = *seed
	var results []runtofail.Result
	for _, src := range []struct {
		file string
		load func(string) (runtofail.Series, error)
	}{{*femto, runtofail.LoadFEMTO}, {*ims, runtofail.LoadIMS}} {
		if src.file == "" {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		s, err := src.load(src.file)
		if err != nil {
			return fmt.Errorf("eval rul: %w", err)
		}
		r, err := runtofail.Evaluate(s, cfg, runtofail.DefaultCheckpoints())
		if err != nil {
			return fmt.Errorf("eval rul: %w", err)
		}
		results = append(results, r)
	}
	rep := runtofail.NewReport(cfg, results...)
	if *asJSON {
		return rep.WriteJSON(stdout)
	}
	return rep.WriteText(stdout)
}
