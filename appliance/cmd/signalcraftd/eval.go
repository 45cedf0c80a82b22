package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"signalcraft/appliance/config"
	"signalcraft/appliance/daemon"
	"signalcraft/core/eval"
	"signalcraft/core/truth"
)

const evalUsage = `Usage:
  signalcraftd eval [--json] [--kind KIND] DIR...
      AUC and pAUC per dataset and model. Each DIR holds WAV or CWRU .mat files and a
      labels.csv (see ../shared/data/README.md); clips are scored with the window, hop and
      pooling of a machine of KIND (default: the dataset's kind, from its folder's name).

  signalcraftd eval --stream FILE.wav --truth FILE.csv [--kind KIND | --config F --machine ID]
                    [--channel N] [--realtime] [--json]
      Replays a recording through the real daemon (source, machine, detector, events, alert
      engine) on the recording's own time and reports what an operator would have seen:
      detection delay from each fault onset to the first event, alert and notification;
      false events and alerts per hour of normal sound; events and sensor alerts during
      sensor faults; window-level AUC. The truth file labels intervals learning, normal,
      fault and sensor_fault (start,end,label,note; times in seconds); the learning interval
      is the learning period. With --config and --machine, that machine's detection
      settings and the file's alert rules are evaluated (nothing is sent to its receivers).

  signalcraftd eval streams [--data DIR] [--seed N] --out DIR [RECIPE...]
      Builds test streams (WAV + truth CSV) from the recordings in ../shared/data.

  signalcraftd eval classify DIR [--class COLUMN] [--group COLUMN] [--shaft-rpm N] [--json]
      Fault classification: accuracy, macro-F1 and confusion matrix over leakage-free folds
      (signalcraftd eval classify --help).

  signalcraftd eval rul [--femto FILE.tar.gz] [--ims FILE.csv] [--json]
      Failure prediction on run-to-failure recordings: alarm lead time and RUL estimates
      with intervals at 10 checkpoints, PHM 2012 score (eval rul --help).
`

// runEval scores labelled recordings: clip-level AUC per dataset and model, or a recording
// replayed through the daemon against its ground truth (--stream).
func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "streams" {
		return runEvalStreams(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "classify" {
		return runEvalClassify(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "rul" {
		return runEvalRUL(ctx, args[1:], stdout, stderr)
	}
	fs := newFlagSet("signalcraftd eval", args, stdout, stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), evalUsage+"\nFlags:\n")
		fs.PrintDefaults()
	}
	asJSON := fs.Bool("json", false, "print the results as JSON")
	quiet := fs.Bool("quiet", false, "do not show progress on stderr")
	kind := fs.String("kind", "", "machine kind whose listening profile is used (valve, fan, pump, …)")
	stream := fs.String("stream", "", "a WAV recording to replay through the daemon")
	truthPath := fs.String("truth", "", "the recording's ground truth (CSV: start,end,label,note)")
	cfgPath := fs.String("config", "", "with --machine: evaluate this configuration's machine and alert rules")
	machine := fs.String("machine", "", "the machine of --config to evaluate")
	channel := fs.Int("channel", 0, "the recording's channel the machine is heard on (0-based)")
	realtime := fs.Bool("realtime", false, "replay at the recording's own pace instead of as fast as possible")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *stream != "" || *truthPath != "" {
		if fs.NArg() > 0 {
			return usageError{fmt.Errorf("eval --stream takes no DIR arguments (got %q)", fs.Args())}
		}
		return runStreamEval(ctx, streamFlags{wav: *stream, truth: *truthPath, kind: *kind, config: *cfgPath,
			machine: *machine, channel: *channel, realtime: *realtime, json: *asJSON}, stdout, stderr)
	}
	if *cfgPath != "" || *machine != "" {
		return usageError{fmt.Errorf("eval: --config and --machine go with --stream")}
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return usageError{fmt.Errorf("eval: at least one DIR is needed")}
	}
	opts := eval.Options{Kind: *kind}
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

type streamFlags struct {
	wav, truth, kind, config, machine string
	channel                           int
	realtime, json                    bool
}

func runStreamEval(ctx context.Context, f streamFlags, stdout, stderr io.Writer) error {
	switch {
	case f.wav == "":
		return usageError{fmt.Errorf("eval: --truth needs --stream FILE.wav")}
	case f.truth == "":
		return usageError{fmt.Errorf("eval: --stream needs --truth FILE.csv (start,end,label,note)")}
	case (f.config == "") != (f.machine == ""):
		return usageError{fmt.Errorf("eval: --config and --machine go together")}
	case f.config != "" && f.kind != "":
		return usageError{fmt.Errorf("eval: --kind comes from the machine in --config; give one or the other")}
	case f.channel < 0:
		return usageError{fmt.Errorf("eval: --channel %d: must not be negative", f.channel)}
	}
	tr, err := truth.Read(f.truth)
	if err != nil {
		return err
	}
	base, machine := (*config.Config)(nil), f.machine
	if f.config != "" {
		if base, err = config.Load(f.config); err != nil {
			return err
		}
	} else {
		if base, err = kindConfig(f.wav, f.kind); err != nil {
			return err
		}
		machine = "machine"
	}
	if !f.json {
		for _, m := range base.Machines {
			if m.ID == machine {
				fmt.Fprintf(stderr, "replaying %s through the daemon: %s (%s)\n", f.wav, machine, m.Detection.Profile())
			}
		}
	}
	run, err := daemon.EvaluateStream(ctx, daemon.StreamEval{WAV: f.wav, Channel: f.channel, Truth: tr, Base: base,
		Machine: machine, Realtime: f.realtime})
	if err != nil {
		return err
	}
	rep := eval.StreamScore(run, tr, 0)
	if f.json {
		return rep.WriteJSON(stdout)
	}
	return rep.WriteText(stdout)
}

// kindConfig is a configuration of one machine of a kind (its default listening profile and
// the default alert rules) heard on the recording.
func kindConfig(wav, kind string) (*config.Config, error) {
	if strings.ContainsAny(kind, "\n:{}[]#\"'") {
		return nil, usageError{fmt.Errorf("eval: --kind %q: a word such as valve, fan or pump", kind)}
	}
	y := fmt.Sprintf("data_dir: /nonexistent\nsources: [{id: recording, kind: wav, paths: [%q]}]\n"+
		"machines: [{id: machine, kind: %q, sensor: {source: recording, channel: 0}}]\n", wav, kind)
	c, err := config.Parse([]byte(y))
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	return c, nil
}
