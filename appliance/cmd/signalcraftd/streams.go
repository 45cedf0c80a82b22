package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"signalcraft/core/eval/synth"
	"signalcraft/core/shareddata"
	"signalcraft/core/truth"
)

const streamsUsage = `Usage: signalcraftd eval streams [--data DIR] [--seed N] --out DIR [RECIPE...]

Builds reproducible test streams from the shared recordings and writes OUT/NAME.wav
(16-bit PCM mono) and OUT/NAME.csv (ground truth) for each, ready for
'signalcraftd eval --stream OUT/NAME.wav --truth OUT/NAME.csv'. The same seed builds
bit-identical streams. Recipes (default: all): valve, bearing, cwru, sensor — see the
doc of signalcraft/core/eval/synth for what each holds.

`

// runEvalStreams builds the test streams of core/eval/synth and writes them to --out.
func runEvalStreams(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("signalcraftd eval streams", args, stdout, stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), streamsUsage)
		fs.PrintDefaults()
	}
	data := fs.String("data", "", "directory of the shared recordings (default: ../shared/data beside the repository, or $"+shareddata.EnvDir+")")
	seed := fs.Uint64("seed", 0, "seed of every random choice")
	out := fs.String("out", "", "directory for NAME.wav and NAME.csv (created if missing; existing files are replaced)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		fs.Usage()
		return usageError{errors.New("eval streams: --out DIR is required")}
	}
	names := fs.Args()
	if len(names) == 0 {
		names = synth.Recipes()
	}
	for _, n := range names {
		if !slices.Contains(synth.Recipes(), n) {
			return usageError{fmt.Errorf("eval streams: unknown recipe %q (recipes: %s)", n, strings.Join(synth.Recipes(), ", "))}
		}
	}
	dir := *data
	if dir == "" {
		d, err := shareddata.Dir()
		if err != nil {
			return fmt.Errorf("eval streams: %w (or give --data DIR)", err)
		}
		dir = d
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("eval streams: %w", err)
	}
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		s, err := synth.Build(n, dir, synth.Params{Seed: *seed})
		if err != nil {
			return fmt.Errorf("eval streams: %w", err)
		}
		wavPath, csvPath := filepath.Join(*out, n+".wav"), filepath.Join(*out, n+".csv")
		if err := s.WriteFiles(wavPath, csvPath); err != nil {
			return fmt.Errorf("eval streams: %w", err)
		}
		var labels []string
		for _, l := range truth.Labels {
			if d := s.Truth.Total(l); d > 0 {
				labels = append(labels, fmt.Sprintf("%s %.1f s", l, d.Seconds()))
			}
		}
		fmt.Fprintf(stdout, "%-8s %7.1f s at %d Hz: %s -> %s, %s\n", n, s.Duration().Seconds(), s.Rate, strings.Join(labels, ", "), wavPath, csvPath)
	}
	return nil
}
