package main

import (
	"context"
	"fmt"
	"io"

	"signalcraft/core/dataset"
	"signalcraft/core/diagnose"
	"signalcraft/core/wav"
)

// datasetDiagnose trains a machine's fault classifier (core/diagnose) on a dataset version:
// its training items cut into the classifier's windows (every half window), its held-back
// items to report how well it does; the model becomes the machine's active classifier, which
// a running daemon takes within seconds.
func datasetDiagnose(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newDatasetFlags("diagnose ID --shaft-rpm N [--kind rf|svm|rf+svm] [--seed S] [--config FILE]",
		"Train the machine's fault classifier on a dataset version (it needs two labels or more) and make it the one that diagnoses its events.", stderr)
	rpm := fs.Float64("shaft-rpm", 0, "the monitored shaft's speed in rpm (fault frequencies are orders of it)")
	kind := fs.String("kind", diagnose.KindSVM, "classifier: rf, svm or rf+svm")
	seed := fs.Uint64("seed", 1, "seed of every random choice (the same seed trains the same model)")
	pos, err := fs.parse(args, 1, stdout)
	if err != nil {
		return helpOK(err)
	}
	if *rpm <= 0 {
		return usageError{fmt.Errorf("dataset diagnose: --shaft-rpm %v: want the shaft's speed, e.g. 1797", *rpm)}
	}
	env, err := openDatasetEnv(ctx, *fs.cfgPath)
	if err != nil {
		return err
	}
	defer env.db.Close()
	man, v, err := env.db.DatasetVersion(ctx, pos[0])
	if err != nil {
		return err
	}
	examples := func(split string) ([]diagnose.Example, diagnose.FrontEnd, error) {
		var out []diagnose.Example
		var fe diagnose.FrontEnd
		for _, it := range man.Select("", split) {
			f, ch, err := wav.ReadFile(env.o.Path(it.SHA256))
			if err != nil {
				return nil, fe, fmt.Errorf("dataset diagnose: item %s (%s): %w", it.Source, it.SHA256[:12], err)
			}
			if fe.Rate == 0 {
				fe = diagnose.FrontEnd{Rate: f.SampleRate, ShaftHz: *rpm / 60}
			} else if f.SampleRate != fe.Rate {
				return nil, fe, fmt.Errorf("dataset diagnose: item %s is at %d Hz, others at %d Hz", it.Source, f.SampleRate, fe.Rate)
			}
			n := fe.Samples()
			for at := 0; at+n <= len(ch[0]); at += n / 2 {
				x, err := fe.Features(ch[0][at : at+n])
				if err != nil {
					return nil, fe, err
				}
				out = append(out, diagnose.Example{X: x, Label: it.Label, Group: it.Source})
			}
		}
		return out, fe, nil
	}
	train, fe, err := examples(dataset.Train)
	if err != nil {
		return err
	}
	model, err := diagnose.Train(ctx, train, fe, diagnose.Options{Kind: *kind, Seed: *seed})
	if err != nil {
		return fmt.Errorf("dataset diagnose: %w", err)
	}
	blob, err := model.MarshalBinary()
	if err != nil {
		return err
	}
	ver, err := env.db.SaveDiagnosisModel(ctx, man.Machine, model.Kind, blob, v.ID, fmt.Sprintf("%d windows, shaft %.0f rpm", len(train), *rpm))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "fault classifier v%d of %s: %s on %d windows of %s (classes %v), trained in %v\n",
		ver, man.Machine, model.Kind, len(train), v.ID[:12], model.Classes(), model.TrainTime.Round(1e6))
	if test, _, err := examples(dataset.Test); err == nil && len(test) > 0 {
		r := diagnose.Evaluate(model, test)
		fmt.Fprintf(stdout, "held-back items: %d windows, accuracy %.3f, macro-F1 %.3f\n", len(test), r.Accuracy, r.MacroF1)
	}
	return nil
}
