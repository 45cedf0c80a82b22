package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os/user"
	"slices"
	"strings"
	"time"

	"signalcraft/appliance/daemon"
	"signalcraft/core/machine"
	"signalcraft/core/wav"
)

// datasetDiagnose trains a machine's fault classifier on a dataset version exactly as the
// learning loop's train_diagnosis job does (daemon.DiagnosisTraining): the version's training
// items cut into the classifier's windows, a challenger measured with the champion on its
// held-back items, saved as a candidate and promoted only through the gate; a running daemon
// takes a promoted classifier within seconds.
func datasetDiagnose(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newDatasetFlags("diagnose ID [--shaft-rpm N] [--kind svm|rf|rf+svm] [--seed S] [--config FILE]",
		"Train the machine's fault classifier on a dataset version (two labels or more) and promote it if it is better than the one it has.", stderr)
	rpm := fs.Float64("shaft-rpm", 0, "the monitored shaft's speed in rpm (default: the machine's diagnosis.shaft_rpm)")
	kind := fs.String("kind", "", "classifier: svm, rf or rf+svm (default: the machine's diagnosis.model, else svm)")
	seed := fs.Uint64("seed", 1, "seed of every random choice (the same seed trains the same model)")
	pos, err := fs.parse(args, 1, stdout)
	if err != nil {
		return helpOK(err)
	}
	env, man, v, err := openDatasetVersion(ctx, *fs.cfgPath, pos[0])
	if err != nil {
		return err
	}
	defer env.db.Close()
	mc, err := env.machine(man.Machine)
	if err != nil {
		return err
	}
	switch {
	case *rpm < 0 || *rpm > machine.MaxShaftRPM:
		return usageError{fmt.Errorf("dataset diagnose: --shaft-rpm %v: want the shaft's speed, e.g. 1797", *rpm)}
	case *rpm > 0:
		mc.Diagnosis.ShaftRPM = *rpm
	case !mc.Diagnosis.Enabled():
		return usageError{fmt.Errorf("dataset diagnose: machine %q has no diagnosis.shaft_rpm: give --shaft-rpm N (the shaft's speed, e.g. 1797)", mc.ID)}
	}
	if *kind != "" {
		if !slices.Contains(machine.DiagnosisModels, *kind) {
			return usageError{fmt.Errorf("dataset diagnose: --kind %q: want one of %s", *kind, strings.Join(machine.DiagnosisModels, ", "))}
		}
		mc.Diagnosis.Model = *kind
	}
	mc.Diagnosis.Default()
	rate := 0
	for _, it := range man.Items {
		f, _, err := wav.ReadFile(env.o.Path(it.SHA256))
		if err != nil {
			return fmt.Errorf("dataset diagnose: item %s (%s): %w", it.Source, it.SHA256[:12], err)
		}
		rate = f.SampleRate
		break
	}
	by := "local:unknown"
	if u, err := user.Current(); err == nil {
		by = "local:" + u.Username
	}
	t := daemon.DiagnosisTraining{DB: env.db, Objects: env.o, Machine: mc, Rate: rate, Seed: *seed, Actor: by,
		Trigger: "manual", Code: version, Now: time.Now, Log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	outcome, ver, err := t.Run(ctx, man, v)
	if err != nil {
		return fmt.Errorf("dataset diagnose: %w", err)
	}
	if outcome == daemon.OutcomeSkipped {
		c := man.Counts()
		return fmt.Errorf("dataset diagnose: %s has %d normal and %d fault item(s) of one label: a fault classifier needs two labels or more in its training part",
			v.ID[:12], c.Normal, c.Faults)
	}
	sm, err := env.db.Model(ctx, mc.ID, ver)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "fault classifier v%d of %s: %s, shaft %.0f rpm, trained on %s in %v\n",
		ver, mc.ID, sm.Kind, mc.Diagnosis.ShaftRPM, v.ID[:12], sm.TrainedFor.Round(time.Millisecond))
	if m := sm.Metrics; m != nil && m.Accuracy != nil && m.MacroF1 != nil {
		fmt.Fprintf(stdout, "held-back items: %d windows, accuracy %.3f, macro-F1 %.3f, %d unknown (labels %v)\n",
			m.Windows, *m.Accuracy, *m.MacroF1, m.Unknown, m.Classes)
	}
	fmt.Fprintf(stdout, "%s: %s\n", outcome, sm.Reason)
	return nil
}
